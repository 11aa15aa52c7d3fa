"""`--prompts-from`: templates read as data from a reference-format prompts.py render byte-identical prompts.

The comparison runs the file's own prompt functions in a subprocess (tests/tasks/prompt_runner.py): the
reference's from ../shared/reference (skipped when absent), and a small file of the same shape written here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from azr_env.errors import ConfigError
from azr_env.tasks import Task, TaskConfig, format_prompt, get_task_type
from azr_env.tasks.reference_prompts import parse_reference_prompts, reference_template_names

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "absolute-zero-reasoner"
REFERENCE_PROMPTS = REFERENCE / "absolute_zero_reasoner" / "data_construction" / "prompts.py"
RUNNER = Path(__file__).with_name("prompt_runner.py")
BANNED = ["logging", "random", "multiprocessing", "pebble", "subprocess", "threading", "datetime", "time",
          "hashlib", "hmac", "bcrypt", "os.sys", "os.path", "sys.exit", "os.environ", "calendar", "datetime"]
# Programs and values with every character a template engine might trip on.
REFS = [
    Task("deduction", "def f(a):\n    return {'x': a, 'cost': '$5'}", ("'$name'",), ("{'x': '$name', 'cost': '$5'}",)),
    Task("deduction", "def f(s):\n    # <|BANNED_KEYWORDS|> ${program} {snippet}\n    return s[::-1]", ("'abc'",),
         ("'cba'",)),
    Task("deduction", "import math\ndef f(n):\n    return [math.factorial(i) for i in range(n)]  # é ü", ("4",),
         ("[1, 1, 2, 6]",)),
]
ERROR_REFS = [Task("error_type", "def f(a):\n    return 1 / a", ("0",), ("ZeroDivisionError",)),
              Task("error_type", "def f(a):\n    return a", ("'$x'",), ("NoError",))]
INDUCTION = Task("induction", "def f(a, b):\n    return a * b  # ${x} {y}", tuple(f"{i}, '{i}$'" for i in range(10)),
                 tuple(repr(str(i) * i) for i in range(10)), message="Repeat {the} string $$ times")


def _cases(banned_error: list[str]) -> tuple[list[dict], list[tuple[str, str, list[Task] | Task]]]:
    """(cases for the file's own functions, the same prompts as (role, task type, refs or task) for ours)."""
    ref_rows = [{"snippet": t.program, "input": t.input, "output": t.output} for t in REFS]
    error_rows = [{"snippet": t.program, "input": t.input, "output": t.output} for t in ERROR_REFS]
    common = {"banned_keywords": BANNED, "banned_assertion_keywords": banned_error, "composite_functions": [],
              "remove_after_return": False, "remove_input_from_snippet": False}
    theirs: list[dict] = [
        {"kind": "gen", "problem_type": "code_o", "reference_snippets": ref_rows, **common},
        {"kind": "gen", "problem_type": "code_i", "reference_snippets": ref_rows[:2], **common},
        {"kind": "gen", "problem_type": "code_e", "reference_snippets": error_rows, **common},
        {"kind": "gen", "problem_type": "code_f", "reference_snippets": ref_rows[1:2], "num_inputs": 10, **common},
        {"kind": "pred", "problem_type": "code_o", "snippet": REFS[0].program, "input_args": REFS[0].input},
        {"kind": "pred", "problem_type": "code_i", "snippet": REFS[1].program, "output": REFS[1].output},
        {"kind": "pred", "problem_type": "code_e", "snippet": ERROR_REFS[0].program, "input_args": "0"},
        {"kind": "pred", "problem_type": "code_f", "snippet": INDUCTION.program, "message": INDUCTION.message,
         "input_output_pairs": [list(p) for p in zip(INDUCTION.inputs[:5], INDUCTION.outputs[:5])]},
    ]
    ours = [("propose", "deduction", REFS), ("propose", "abduction", REFS[:2]), ("propose", "error_type", ERROR_REFS),
            ("propose", "induction", REFS[1:2]), ("solve", "deduction", REFS[0]), ("solve", "abduction", REFS[1]),
            ("solve", "error_type", ERROR_REFS[0]), ("solve", "induction", INDUCTION)]
    return theirs, ours


def _theirs(prompts_py: Path, process_data: Path | None, cases: list[dict]) -> list[str]:
    args = [sys.executable, str(RUNNER), str(prompts_py)] + ([str(process_data)] if process_data else [])
    done = subprocess.run(args, input=json.dumps(cases), capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _ours(config: TaskConfig, items: list) -> list[str]:
    out = []
    for role, kind_name, arg in items:
        kind = get_task_type(kind_name)
        text = kind.proposer_prompt(arg, config) if role == "propose" else kind.solver_prompt(arg, config)
        out.append(format_prompt(text, "r1", config.template_dir))
    return out


def _assert_identical(prompts_py: Path, process_data: Path | None) -> None:
    for banned_error in (["raise"], []):
        cases, items = _cases(banned_error)
        config = TaskConfig(template_dir=str(prompts_py), prompt_banned_keywords=tuple(BANNED),
                            banned_error_keywords=tuple(banned_error), induction_num_inputs=10)  # fmt: skip
        theirs, ours = _theirs(prompts_py, process_data, cases), _ours(config, items)
        for case, a, b in zip(cases, theirs, ours):
            assert a == b, f"{case['kind']} {case['problem_type']} differs"


def test_rendering_is_byte_identical_to_the_reference_prompt_functions():
    if not REFERENCE_PROMPTS.is_file():
        pytest.skip(f"the reference code is not at {REFERENCE} (../shared/reference); nothing to compare with")
    _assert_identical(REFERENCE_PROMPTS, REFERENCE_PROMPTS.with_name("process_data.py"))


# A file of the reference's shape in our own words: str.format constants, markers, numbered sections.
SHAPED = textwrap.dedent('''
    from typing import List

    code_input_prompt = """
    Invent f and an input; a solver must recover the input. Never use: <|BANNED_KEYWORDS|>
    {remove_input_from_snippet_prompt}{remove_after_return_prompt}Like {{'k': 1}}, costs $5.
    Examples:
    """
    code_output_prompt = """
    Invent f and an input; a solver must predict the output. Never use: <|BANNED_KEYWORDS|>
    {remove_input_from_snippet_prompt}{remove_after_return_prompt}Examples:
    """
    code_error_prompt = """
    Invent f that may raise. Never use: <|BANNED_KEYWORDS|>
    <|BANNED_ASSERTION_KEYWORDS|>{remove_after_return_prompt}Examples:
    """
    code_function_prompt = "Give {num_inputs} inputs and a message for:\\n```python\\n{snippet}\\n```\\n"
    code_input_predictor_prompt = "Which input?\\n```python\\n{snippet}\\n```\\n```output\\n{output}\\n```\\n"
    code_output_predictor_prompt = "Which output?\\n```python\\n{snippet}\\n```\\n```input\\n{input_args}\\n```\\n"
    code_error_predictor_prompt = "Which error?\\n```python\\n{snippet}\\n```\\n```input\\n{input_args}\\n```\\n"
    code_function_predictor_prompt = "Which f?\\n{input_output_pairs}Hint: {message} {{ok}}\\n"
    code_suffix = "\\nf(<|HERE|>)"
    remove_input_from_snippet_prompt = "- keep the input out of the code"
    remove_singleton_variables_prompt = "- no globals\\n"


    def get_code_problem_generator_prompt(problem_type, reference_snippets, banned_keywords,
                                          banned_assertion_keywords, composite_functions=None,
                                          remove_after_return=False, num_inputs=10, remove_input_from_snippet=False):
        if problem_type == "code_f":
            return code_function_prompt.format(num_inputs=num_inputs,
                                               snippet=reference_snippets[0]["snippet"] + code_suffix)
        output_key = "error" if problem_type == "code_e" else "output"
        snippet_string = ""
        for i, snippet in enumerate(reference_snippets):
            snippet_string += (f"<snippet_{i}> {snippet['snippet']} | {snippet['input']} | "
                               f"{output_key}: {snippet['output']} #{i}\\n")
        after = remove_singleton_variables_prompt if remove_after_return else "\\n"
        no_input = remove_input_from_snippet_prompt if remove_input_from_snippet else ""
        if problem_type == "code_e":
            if banned_assertion_keywords:
                assertion_keywords_string = "- and never: " + ", ".join(banned_assertion_keywords) + "\\n"
            else:
                assertion_keywords_string = "\\n"
            head = code_error_prompt.format(remove_after_return_prompt=after).replace(
                "<|BANNED_KEYWORDS|>", ", ".join(banned_keywords)).replace(
                "<|BANNED_ASSERTION_KEYWORDS|>", assertion_keywords_string)
        else:
            template = code_input_prompt if problem_type == "code_i" else code_output_prompt
            head = template.format(remove_after_return_prompt=after, remove_input_from_snippet_prompt=no_input)
            head = head.replace("<|BANNED_KEYWORDS|>", ", ".join(banned_keywords))
        return head + snippet_string + "\\n"


    def get_code_problem_predictor_prompt(problem_type, snippet, input_args=None, output=None, message=None,
                                          input_output_pairs=None):
        if problem_type.endswith("code_i"):
            return code_input_predictor_prompt.format(snippet=snippet, output=output)
        if problem_type.endswith("code_o"):
            return code_output_predictor_prompt.format(snippet=snippet, input_args=input_args)
        if problem_type.endswith("code_e"):
            return code_error_predictor_prompt.format(snippet=snippet, input_args=input_args)
        input_output_pairs_string = ""
        for i, (input, output) in enumerate(input_output_pairs):
            input_output_pairs_string += f"```input_{i} {input} -> {output} ({i})\\n"
        return code_function_predictor_prompt.format(input_output_pairs=input_output_pairs_string, message=message)
''')
SHAPED_PREAMBLE = ('instruction_following = "Think in <think> </think>, answer in <answer> </answer>.  '
                   'User: {}\\nAssistant: <think>"\n')


@pytest.fixture
def shaped(tmp_path) -> Path:
    path = tmp_path / "prompts.py"
    path.write_text(SHAPED, encoding="utf-8")
    (tmp_path / "process_data.py").write_text("import not_installed_anywhere\n" + SHAPED_PREAMBLE, encoding="utf-8")
    return path


def test_a_file_of_the_same_shape_renders_byte_identical(shaped):
    _assert_identical(shaped, shaped.with_name("process_data.py"))


def test_shaped_file_renders_numbered_sections_banned_words_and_preamble_spacing(shaped):
    config = TaskConfig(template_dir=str(shaped), banned_modules=("os", "time"), banned_error_keywords=("raise",))
    text = format_prompt(get_task_type("deduction").proposer_prompt(REFS[:2], config), "r1", config.template_dir)
    assert text.startswith("Think in <think> </think>, answer in <answer> </answer>.  User: \nInvent f")
    assert "Never use: os, time\n\nExamples:\n<snippet_0> def f(a):" in text
    assert "| output: 'cba' #1\n\n\nAssistant: <think>" in text
    error = get_task_type("error_type").proposer_prompt(ERROR_REFS, config)
    assert "Never use: os, time\n- and never: raise\n\nExamples:" in error and "| error: ZeroDivisionError #0" in error
    pairs = get_task_type("induction").solver_prompt(INDUCTION, config)
    assert pairs.startswith("Which f?\n```input_0 0, '0$' -> '' (0)\n```input_1 1, '1$' -> '1' (1)\n")


def test_the_file_is_read_as_data_never_executed(shaped, tmp_path):
    marker = tmp_path / "executed"
    shaped.write_text(f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n" + SHAPED, encoding="utf-8")
    templates = parse_reference_prompts(shaped)
    assert not marker.exists()
    assert "solve_deduction" in templates and "r1" in templates  # process_data.py imports a missing module


def test_without_process_data_the_packaged_preamble_is_kept(tmp_path):
    path = tmp_path / "prompts.py"
    path.write_text(SHAPED, encoding="utf-8")
    assert "r1" not in reference_template_names(path)
    assert "propose_deduction" in reference_template_names(path)
    wrapped = format_prompt("X", "r1", str(path))
    assert wrapped == format_prompt("X", "r1")


def test_a_file_of_another_shape_is_refused_naming_what_is_missing(tmp_path):
    path = tmp_path / "prompts.py"
    path.write_text("code_input_prompt = 'x'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="lacks code_output_prompt"):
        parse_reference_prompts(path)
    with pytest.raises(ConfigError, match="does not exist"):
        parse_reference_prompts(tmp_path / "nope.py")
    bad = SHAPED.replace("{input_args}", "{whatever}", 1)
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown placeholder \{whatever\}"):
        parse_reference_prompts(path)


def test_template_folders_can_number_sections_and_set_separators(tmp_path):
    (tmp_path / "reference.txt").write_text("[$index:$output_block] $input -> $output\n")
    (tmp_path / "reference_separator.txt").write_text(" | \n")
    (tmp_path / "propose_deduction.txt").write_text("banned=$banned_keywords refs=$references\n")
    config = TaskConfig(template_dir=str(tmp_path), banned_modules=("os",))
    text = get_task_type("deduction").proposer_prompt(REFS[:2], config)
    assert text == "banned=os refs=[0:output] '$name' -> {'x': '$name', 'cost': '$5'} | [1:output] 'abc' -> 'cba'"
