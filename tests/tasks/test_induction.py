import pytest
from task_helpers import wrap

from azr_env.tasks import Pending, Task, TaskConfig, get_task_type

IND = get_task_type("induction")
CFG = TaskConfig()
DOUBLE = Task("deduction", "def f(x):\n    return x * 2", ("1",), ("2",))


def inputs_response(values, message="double it"):
    blocks = "".join(f"```input\n{v}\n```\n" for v in values)
    return wrap(blocks + (f"```message\n{message}\n```" if message is not None else ""))


@pytest.mark.parametrize(
    "response, reason",
    [
        ("x", "bad_format"),
        (inputs_response(range(9)), "too_few_inputs"),
        (inputs_response(range(10), message=None), "no_message"),
        (inputs_response(range(10), message="def f(x): return 2*x"), "message_has_code"),
        (inputs_response([*range(9), "1) or (2"]), "bad_input"),
    ],
)
def test_static_rules(response, reason):
    assert IND.propose(response, [DOUBLE], CFG).reason == reason


def test_no_reference_is_a_rejection():
    assert IND.propose(inputs_response(range(10)), [], CFG).reason == "no_reference"


def test_keeps_last_ten_inputs_and_all_must_run(referee):
    [ok, bad] = referee.validate(
        [
            ("induction", inputs_response(["'skip'", *range(10)]), [DOUBLE]),
            (
                "induction",
                inputs_response([*range(9), "None"]),
                [Task("deduction", "def f(x):\n    return x + 1", ("1",), ("2",))],
            ),
        ]
    )
    assert ok.valid and ok.task.inputs == tuple(str(i) for i in range(10))
    assert ok.task.outputs[3] == "6" and ok.task.message == "double it"
    assert bad.reason == "execution_error" and "input 10" in bad.detail


def test_solver_sees_first_half_and_is_checked_on_hidden_half(referee):
    task = Task(
        "induction",
        "def f(x):\n    return x * 2",
        tuple(map(str, range(10))),
        tuple(str(2 * i) for i in range(10)),
        message="double",
    )
    prompt = IND.solver_prompt(task, CFG)
    assert "```input\n4\n```" in prompt and "```input\n5\n```" not in prompt and "double" in prompt
    answers = [
        "def f(x):\n    return x + x",
        "def g(x):\n    return 2 * x",  # renamed to f
        "def f(x):\n    return {0: 0, 1: 2, 2: 4, 3: 6, 4: 8}[x]",  # memorised the shown pairs only
        "def f(x):\n    return x * 2\n    import os",
        "x = 1",
    ]
    results = referee.score([task] * len(answers), [wrap(f"```python\n{a}\n```") for a in answers])
    assert [r.correct for r in results] == [True, True, False, True, False]
    assert results[4].reason == "bad_program"


def test_zero_seed_task_has_six_inputs_and_the_message():
    zero = IND.zero_task()
    assert len(zero.inputs) == 6 and zero.num_shown == 3
    assert zero.message == "Write a function that returns whatever you input"


def test_solver_may_rely_on_the_gold_programs_imports(referee):
    # Issue 12 item 16: the reference prepends the gold program's imports to the solver's program.
    task = Task("induction", "import math\ndef f(x):\n    return math.floor(x / 2)", tuple(map(str, range(10))),
                tuple(str(i // 2) for i in range(10)), message="halve")  # fmt: skip
    answer = wrap("```python\ndef f(x):\n    return math.floor(x / 2)\n```")
    [result] = referee.score([task], [answer])
    assert result.correct
    off = IND.check(task, "def f(x):\n    return math.floor(x / 2)", TaskConfig(induction_gold_imports=False))
    assert "import math" not in off.jobs[0].program


def test_solver_program_is_the_last_block_of_any_tag(referee):
    task = Task("induction", "def f(x):\n    return x + 1", tuple(map(str, range(10))),
                tuple(str(i + 1) for i in range(10)), message="add one")  # fmt: skip
    answers = [
        wrap("```python\ndef f(x):\n    return x\n```\n```\ndef f(x):\n    return x + 1\n```"),
        wrap("def f(x):\n    return x + 1"),
    ]
    results = referee.score([task] * 2, answers)
    assert results[0].correct
    assert (results[1].reward, results[1].reason) == (-1.0, "no_answer")
    assert results[1].detail == "no fenced code block inside <answer>"  # item 15: the detail says why


def test_message_fallbacks_and_the_empty_message_option():
    inputs = "".join(f"```input\n{i}\n```\n" for i in range(10))
    assert isinstance(IND.propose(wrap(inputs + "<message>double it</message>"), [DOUBLE], CFG), Pending)
    empty = wrap(inputs + "```message\n```")
    assert IND.propose(empty, [DOUBLE], CFG).reason == "no_message"
    assert isinstance(IND.propose(empty, [DOUBLE], TaskConfig(induction_empty_message=True)), Pending)


SQUARE = Task("induction", "def f(x):\n    return x * x + 7", tuple(map(str, range(10))),
              tuple(str(i * i + 7) for i in range(10)), message="square and add")  # fmt: skip


def test_the_solver_process_never_sees_the_hidden_outputs(referee):
    """Solver code runs before anything compares: it must neither read the hidden outputs from its caller nor
    forge the comparison by patching builtins (both scored correct when the comparison ran beside it)."""
    reads_caller = ("import ast, sys\n_calls = [0]\n\ndef f(x):\n"
                    "    consts = [c for c in sys._getframe(1).f_code.co_consts if isinstance(c, str)]\n"
                    "    _calls[0] += 1\n    return ast.literal_eval(consts[_calls[0] - 1])\n")  # fmt: skip
    patches_builtins = (
        "import builtins\n\nclass _Eq:\n    def __eq__(self, other):\n        return True\n\n"
        "class _F:\n    pass\n\n_eval, _type = eval, type\n"
        "builtins.eval = lambda src, *a, **k: _Eq() if _type(src) is str else _eval(src, *a, **k)\n"
        "builtins.type = lambda *v: int if len(v) == 1 and _type(v[0]) in (_Eq, _F) else _type(*v)\n\n"
        "def f(x):\n    return _F()\n"
    )  # fmt: skip
    results = referee.score([SQUARE] * 2, [wrap(f"```python\n{code}```") for code in (reads_caller, patches_builtins)])
    assert [r.correct for r in results] == [False, False]


def test_outputs_are_compared_as_values_when_their_text_differs(referee):
    """Equal literals with other text, and plain data only evaluation can read (`Counter`, `inf`), still count."""
    counts = Task("induction", "from collections import Counter\n\ndef f(s):\n    return dict(Counter(s))",
                  tuple(repr(w) for w in ("aa", "ab", "b", "abc", "", "ba", "cc", "a", "bb", "aab")),
                  tuple(repr(dict(__import__("collections").Counter(w)))
                        for w in ("aa", "ab", "b", "abc", "", "ba", "cc", "a", "bb", "aab")),
                  message="count the letters")  # fmt: skip
    answers = [
        "def f(s):\n    out = {}\n    for c in s:\n        out[c] = out.get(c, 0) + 1\n    return out",
        "from collections import Counter\n\ndef f(s):\n    return Counter(s)",  # Counter(...) == the dict
        "def f(s):\n    return {c: float(s.count(c)) for c in s}",  # 2.0 == 2: equal literals
        "def f(s):\n    return {c: s.count(c) + 1 for c in s}",
        "def f(s):\n    return float('inf')",
    ]
    results = referee.score([counts] * len(answers), [wrap(f"```python\n{a}\n```") for a in answers])
    assert [r.correct for r in results] == [True, True, True, False, False]
    infinite = Task("induction", "def f(x):\n    return float('inf') if x > 4 else x", tuple(map(str, range(10))),
                    tuple(map(str, range(5))) + ("inf",) * 5, message="big ones are infinite")  # fmt: skip
    answer = "import math\n\ndef f(x):\n    return math.inf if x >= 5 else x"
    assert referee.score([infinite], [wrap(f"```python\n{answer}\n```")])[0].correct
