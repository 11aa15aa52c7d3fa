import pytest
from task_helpers import proposal, wrap

from azr_env.tasks import Pending, Task, TaskConfig, get_task_type
from azr_env.tasks.values import DATA_PRELUDE

DED = get_task_type("deduction")
CFG = TaskConfig()


def task(program="def f(x):\n    return [x] * 2", arguments="1", output="[1, 1]"):
    return Task("deduction", program, (arguments,), (output,))


@pytest.mark.parametrize(
    "response, reason",
    [
        ("no tags at all", "bad_format"),
        (wrap("no fence"), "no_program"),
        (wrap("```input\n1\n```"), "no_function"),  # the first fenced block of any tag is the program
        (wrap("```python\ndef f(a):\n    return a\n```"), "no_input"),
        (proposal("def f(a):\n    return a", "'abc') or (1"), "bad_input"),
        (proposal("def f(a):\n    return a", "__import__('os')"), "bad_input"),
        (proposal("def f(a:\n    return a", "1"), "syntax_error"),
        (proposal("import random\ndef f(a):\n    return random.random()", "1"), "banned_module"),
        (proposal("def f(a):\n    return a", "1"), None),
    ],
)
def test_static_proposal_rules(response, reason):
    out = DED.propose(response, [], CFG)
    if reason is None:
        assert isinstance(out, Pending) and out.jobs[0].check_determinism
    else:
        assert out.reason == reason


@pytest.mark.parametrize(
    "program, arguments, reason",
    [
        ("def f(a):\n    return 1 / a", "0", "execution_error"),
        ("def f(a):\n    while True:\n        pass", "1", "timeout"),
        ("def f(a):\n    return 'x' * 500", "1", "output_too_long"),
        ("_c = [0]\ndef f(a):\n    _c[0] += 1\n    return _c[0]", "1", "nondeterministic"),
        ("def f(a):\n    return list({'apple', 'pear', 'fig', 'kiwi', 'lime'})", "1", "hash_seed_dependent"),
        ("def f(a):\n    return print(a)", "1", "valid"),
        ("def f(a):\n    x = bytearray(4 * 1024 ** 3)\n    return len(x)", "1", "memory"),
        ("def f(a):\n    print('x' * 40_000_000)\n    return a", "1", "output_limit"),
        ("import signal\ndef f(a):\n    signal.raise_signal(signal.SIGKILL)", "1", "crashed"),
    ],
)
def test_executed_proposal_rules(referee, program, arguments, reason):
    cfg = TaskConfig(timeout_s=1.0)
    old = referee.config
    referee.config = type(old)(task=cfg)
    try:
        [result] = referee.validate([("deduction", proposal(program, arguments), [])])
    finally:
        referee.config = old
    assert result.reason == reason, result.detail
    assert result.valid is (reason == "valid")


def test_truncate_policy_keeps_long_outputs_like_the_reference(referee):
    old = referee.config
    referee.config = type(old)(task=TaskConfig(long_output="truncate"))
    try:
        [result] = referee.validate([("deduction", proposal("def f(a):\n    return 'x' * 500", "1"), [])])
    finally:
        referee.config = old
    assert result.valid and result.task.output == "'" + "x" * 199 + "..." + "x" * 199 + "'"


def test_gold_output_is_repr_and_function_renamed(referee):
    [result] = referee.validate([("deduction", proposal("def g(s):\n    return s.upper(), len(s)", "'ab'"), [])])
    assert result.valid
    assert result.task.program.startswith("def f(s)")
    assert result.task.output == "('AB', 2)"


@pytest.mark.parametrize(
    "answer, correct",
    [("[1, 1]", True), ("[1,\n 1]", True), ("[1.0, True]", True), ("[1]", False), ("[1, 2]", False)],
)
def test_literal_answers_are_checked_in_process(answer, correct):
    verdict = DED.check(task(), answer, CFG)
    assert not isinstance(verdict, Pending)  # no executor call for literals
    assert verdict.correct is correct


def test_non_literal_answers_go_to_the_sandbox(referee):
    results = referee.score(
        [task()] * 4 + [task("from collections import deque\ndef f(x):\n    return deque(x)", "[1]", "deque([1])")],
        [
            wrap(f"```output\n{a}\n```")
            for a in ("[1] * 2", "[1] * 3", "f(1)", "type('A', (), {'__eq__': lambda s, o: True})()", "deque([1])")
        ],
    )
    assert [r.correct for r in results] == [True, False, False, False, True]
    assert results[2].reason == "not_a_value"  # the answer cannot call f
    assert results[3].reason == "not_a_value"


def test_gold_reprs_that_do_not_round_trip(referee):
    inf_task = task("def f(x):\n    return float('inf')", "1", "inf")
    answers = ("inf", "float('inf')", "1e999", "-inf")
    results = referee.score([inf_task] * 4, [wrap(f"```output\n{a}\n```") for a in answers])
    assert [r.correct for r in results] == [True, True, True, False]  # values compare in the sandbox


def test_prompts_show_program_and_input():
    text = DED.solver_prompt(task(), CFG)
    assert "def f(x)" in text and "```input\n1\n```" in text
    refs = [task()]
    assert "[1, 1]" in DED.proposer_prompt(refs, CFG)


def test_prelude_defines_every_data_name():
    namespace = {}
    exec(DATA_PRELUDE, namespace)  # our own constant, not model text
    assert {"deque", "Counter", "defaultdict", "OrderedDict", "inf", "nan"} <= set(namespace)


def test_empty_answer_is_wrong_not_unparsable(referee):
    # Issue 12 item 15: the reference scores a well-formatted empty answer −0.5 (its eval fails), not −1.
    results = referee.score([task()] * 2, [wrap("   "), wrap("```output\n\n```")])
    assert [(r.format_ok, r.reason, r.reward) for r in results] == [(True, "empty_answer", -0.5)] * 2


def test_bare_fence_keeps_its_reward_and_says_why(referee):
    # Issue 12 item 15: −0.5 `not_a_value` as before, with a detail that names the bare fence.
    [result] = referee.score([task()], [wrap("```\n[1, 1]\n```")])
    assert (result.reward, result.reason) == (-0.5, "not_a_value")
    assert "bare ``` fence" in result.detail and "```output" in result.detail


def test_proposal_program_is_the_first_block_of_any_tag():
    # Issue 12 item 13: the reference takes the first fenced block whatever its tag.
    response = wrap("```\ndef f(a):\n    return a\n```\n```input\n1\n```")
    assert isinstance(DED.propose(response, [], CFG), Pending)
    second = wrap("```input\n1\n```\n```python\ndef f(a):\n    return a\n```")
    assert DED.propose(second, [], CFG).reason == "no_function"


def test_predefined_names_are_an_option(executor):
    # Issue 12 item 17: the reference predefines nothing; a program using `deque` unimported is invalid there.
    from azr_env.rounds import Referee, RoundConfig

    response = proposal("def f(x):\n    return list(deque(x))", "[1]")
    imported = proposal("from collections import deque\ndef f(x):\n    return list(deque(x))", "[1]")
    with Referee(RoundConfig(task=TaskConfig(predefined_names=False)), executor=executor) as bare:
        [without, with_import] = bare.validate([("deduction", response, []), ("deduction", imported, [])])
    assert without.reason == "execution_error" and "deque" in without.detail
    assert with_import.valid
    with Referee(RoundConfig(), executor=executor) as ours:
        [default] = ours.validate([("deduction", response, [])])
    assert default.valid
