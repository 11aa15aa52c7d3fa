"""Issue 10 D: hostile model text ends in a clean verdict, with caps checked before any parsing and every
in-process parse bounded. Structural tests only (which reason, whether a parser ran, cache bytes); the
timings are in benchmarks/hostile_answers.py."""

import sys

import pytest
from task_helpers import proposal, wrap

import azr_env.tasks.answer_checks as answer_checks
import azr_env.tasks.induction as induction
import azr_env.tasks.program_task as program_task
import azr_env.tasks.values as values
from azr_env.tasks import Pending, Task, TaskConfig, get_task_type
from azr_env.tasks.program_checks import check_program
from azr_env.tasks.values import LITERAL_CACHE, LiteralCache, read_literal

CFG = TaskConfig()
DED_TASK = Task("deduction", "def f(x):\n    return [x] * 2", ("1",), ("[1, 1]",))
ABD_TASK = Task("abduction", "def f(x):\n    return len(x)", ("[1, 2]",), ("2",))
IND_TASK = Task("induction", "def f(x):\n    return x", tuple(map(str, range(10))), tuple(map(str, range(10))),
                message="same")  # fmt: skip


def _forbid(monkeypatch, module, name):
    def fail(*args, **kwargs):
        raise AssertionError(f"{name} must not run on a response over the cap")

    monkeypatch.setattr(module, name, fail)


@pytest.mark.parametrize("task_type", ["deduction", "abduction", "error_type", "induction"])
def test_response_over_the_cap_is_never_parsed(monkeypatch, task_type):
    kind = get_task_type(task_type)
    for module in (program_task, induction, answer_checks):
        for name in ("answer_section", "is_well_formatted", "answer_value", "code_blocks"):
            if hasattr(module, name):
                _forbid(monkeypatch, module, name)
    config = TaskConfig(max_response_chars=1000)
    parsed = kind.parse_answer(wrap("```output\n" + "1" * 2000 + "\n```"), config)
    assert (parsed.format_ok, parsed.answer, parsed.reason) == (False, None, "response_too_long")
    assert "2" in parsed.detail and "1000" in parsed.detail


def test_proposal_over_the_cap_is_invalid_before_parsing(monkeypatch):
    for name in ("answer_section", "code_blocks", "check_program"):
        _forbid(monkeypatch, program_task, name)
    _forbid(monkeypatch, answer_checks, "is_well_formatted")
    config = TaskConfig(max_response_chars=500)
    out = get_task_type("deduction").propose(proposal("def f(a):\n    return a", "1" * 600), [], config)
    assert out.reason == "response_too_long"
    ind = get_task_type("induction").propose(wrap("```input\n1\n```" * 100), [DED_TASK], config)
    assert ind.reason == "response_too_long"


def test_response_too_long_scores_minus_one(referee):
    [result] = referee.score([DED_TASK], [wrap("x" * (CFG.max_response_chars + 1))])
    assert (result.format_ok, result.reward, result.reason) == (False, -1.0, "response_too_long")


def test_answer_over_the_cap_is_wrong_without_parsing_it(monkeypatch, referee):
    for name in ("read_literal", "parse_expression", "argument_list_problem", "value_problem"):
        _forbid(monkeypatch, values, name)
    huge = "[" + "1, " * CFG.max_answer_chars + "]"
    for task in (DED_TASK, ABD_TASK):
        block = "input" if task.task_type == "abduction" else "output"
        parsed = get_task_type(task.task_type).parse_answer(wrap(f"```{block}\n{huge}\n```"), CFG)
        assert len(parsed.answer) == CFG.max_answer_chars + 1  # cut right away, nothing holds the whole text
        verdict = get_task_type(task.task_type).check(task, parsed.answer, CFG)
        assert (verdict.correct, verdict.reason) == (False, "answer_too_long")


def test_answer_too_long_scores_minus_half(referee):
    huge = "[" + "1, " * CFG.max_answer_chars + "]"
    results = referee.score([DED_TASK, ABD_TASK], [wrap(f"```output\n{huge}\n```"), wrap(f"```input\n{huge}\n```")])
    assert [(r.format_ok, r.reward, r.reason) for r in results] == [(True, -0.5, "answer_too_long")] * 2


def test_program_and_input_over_the_cap_are_invalid_proposals(monkeypatch):
    _forbid(monkeypatch, program_task, "argument_list_problem")
    _forbid(monkeypatch, induction, "solver_program")
    config = TaskConfig(max_program_chars=200, max_answer_chars=100)
    long_program = "def f(a):\n" + "    a = a\n" * 50 + "    return a"
    _forbid(monkeypatch, program_task, "check_program")
    assert get_task_type("deduction").propose(proposal(long_program, "1"), [], config).reason == "answer_too_long"
    monkeypatch.undo()
    _forbid(monkeypatch, program_task, "argument_list_problem")
    _forbid(monkeypatch, induction, "solver_program")
    out = get_task_type("deduction").propose(proposal("def f(a):\n    return a", "1" * 150), [], config)
    assert out.reason == "answer_too_long"
    result = get_task_type("induction").check(IND_TASK, "def f(x):\n" + "    x = x\n" * 5000, CFG)
    assert result.reason == "answer_too_long"


@pytest.mark.parametrize(
    "text",
    [
        "[" * 100 + "]" * 100,  # deeper than the parser's own limit
        "[" * 70 + "]" * 70,  # within the parser's limit, deeper than ours
        "0x" + "f" * 5000,  # an integer whose repr would raise
        "{" + ", ".join(str(i * (2**61 - 1)) for i in range(600)) + "}",  # equal hashes, quadratic to build
        "[" + ", ".join(["1"] * 5000) + "]",  # more nodes than the budget
        "'" + "a" * (values.LITERAL_MAX_CHARS + 1) + "'",
    ],
)
def test_large_or_unusual_literals_are_left_to_the_sandbox(text):
    assert read_literal(text)[0] == "too_large"


def test_small_literals_parse_and_non_literals_do_not():
    assert read_literal("[1, (2, 'a'), {3}]") == ("ok", [1, (2, "a"), {3}])
    assert read_literal("f(1)")[0] == "not_literal"
    assert read_literal("1 +")[0] == "not_literal"


def test_unusual_answers_end_in_clean_verdicts_through_the_sandbox(referee):
    hexa = "0x" + "f" * 5000
    equal_hash = "{" + ", ".join(str(i * (2**61 - 1)) for i in range(600)) + "}"
    tasks = [DED_TASK, ABD_TASK, DED_TASK, ABD_TASK]
    responses = [wrap(f"```output\n{hexa}\n```"), wrap(f"```input\n{hexa}\n```"),
                 wrap(f"```output\n{equal_hash}\n```"), wrap(f"```input\n{equal_hash}\n```")]  # fmt: skip
    assert isinstance(get_task_type("deduction").check(DED_TASK, equal_hash, CFG), Pending)  # not parsed here
    results = referee.score(tasks, responses)
    assert [r.reason for r in results] == ["wrong", "answer_error", "wrong", "wrong"]
    assert all(r.reward == -0.5 for r in results)


def _deep_size(value, seen=None) -> int:
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        size += sum(_deep_size(k, seen) + _deep_size(v, seen) for k, v in value.items())
    elif isinstance(value, (list, tuple, set, frozenset)):
        size += sum(_deep_size(item, seen) for item in value)
    return size


def test_literal_cache_stays_within_its_byte_budget():
    cache = LiteralCache(max_bytes=2 << 20)
    original = values.LITERAL_CACHE
    values.LITERAL_CACHE = cache
    try:
        for i in range(2000):  # distinct set-heavy answers
            text = "{" + ", ".join(f"'{i}-{j}'" for j in range(60)) + "}"
            status, value = read_literal(text)
            assert status == "ok"
            assert _deep_size(value) <= values._estimate_bytes(text, 62)  # the estimate bounds the real size
            assert cache.bytes <= cache.max_bytes
        assert 0 < len(cache) < 2000  # old entries were evicted
    finally:
        values.LITERAL_CACHE = original


def test_default_cache_is_bounded():
    assert LITERAL_CACHE.max_bytes <= 64 << 20


def test_rename_with_many_references_on_one_line():
    code = "def helper(a):\n    return [" + ", ".join(["helper"] * 20_000) + "]\n"
    program, problem = check_program(code)
    assert problem is None
    assert program.count("helper") == 0 and program.count("f, ") == 19_999


def test_cache_estimate_bounds_wide_strings():
    text = "'" + "😀" * 4000 + "'"
    status, value = read_literal(text)
    assert status == "ok"
    assert sys.getsizeof(text) + sys.getsizeof(value) <= values._estimate_bytes(text, 2)
