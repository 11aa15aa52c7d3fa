"""Issue 10 E: answer modes (SPEC §2). "data" admits data values only; "expression" (paper preset, CRUXEval)
evaluates any allowed expression in the sandbox: deduction without the program, abduction as one call of f."""

import gymnasium as gym
import pytest
from task_helpers import wrap

from azr_env.errors import ConfigError
from azr_env.rounds import Referee, RoundConfig
from azr_env.tasks import Task, TaskConfig

EXPR = TaskConfig(answer_mode="expression")


@pytest.fixture(scope="module")
def expr_referee(executor):
    with Referee(RoundConfig(task=EXPR), executor=executor) as ref:
        yield ref


# Rows shaped like CRUXEval-I gold inputs the data mode cannot read (issue 10 E).
CRUX_I = [
    Task("abduction", "def f(nums, pred):\n    return [x for x in nums if pred(x)]",
         ("[0, 3, 0, 1], lambda x: x < 2",), ("[0, 0, 1]",)),
    Task("abduction", "def f(text):\n    return text.lower()", ("''.join(['A'] * 20)",), ("'" + "a" * 20 + "'",)),
    Task("abduction", "thigh_o_two = [1, 2]\ndef f(a, b, c, d):\n    return a + [b, c, d]",
         ("thigh_o_two[:], 3, 3, 2",), ("[1, 2, 3, 3, 2]",)),
    Task("abduction", "def f(x=4):\n    return x * 2", ("",), ("8",)),
]  # fmt: skip


def _abduction(referee, tasks, answers):
    return referee.score(tasks, [wrap(f"```input\n{a}\n```") for a in answers])


def test_cruxeval_i_gold_inputs_are_correct_in_expression_mode(expr_referee):
    results = _abduction(expr_referee, CRUX_I, [t.input for t in CRUX_I])
    assert [(r.correct, r.reward) for r in results] == [(True, 1.0)] * 4


def test_the_same_gold_inputs_are_not_data(referee):
    results = _abduction(referee, CRUX_I, [t.input for t in CRUX_I])
    assert [r.correct for r in results] == [False] * 4
    assert [r.reason for r in results] == ["not_an_argument_list"] * 3 + ["empty_answer"]
    assert results[3].reward == -0.5  # well formatted, empty: wrong, not unparsable


def test_empty_argument_list_needs_a_function_without_required_parameters(expr_referee):
    task = Task("abduction", "def f(x):\n    return x", ("1",), ("1",))
    [result] = _abduction(expr_referee, [task], [""])
    assert (result.correct, result.reward, result.reason) == (False, -0.5, "answer_error")


BANNED = [
    "__import__('os').getcwd()", "getattr(x, 'y')", "eval('1')", "exec('x=1')", "compile('1', '', 'eval')",
    "globals()", "vars()", "locals()", "builtins.len", "().__class__", "setattr(f, 'x', 1)",
    "delattr(f, 'x')", "type('A', (), {})()", "(f := 3)", "operator.attrgetter('__class__')(1)",
]  # fmt: skip


@pytest.mark.parametrize("answer", BANNED)
def test_banned_forms_are_rejected_in_both_modes(referee, expr_referee, answer):
    task = Task("abduction", "def f(x):\n    return x", ("1",), ("1",))
    for ref in (referee, expr_referee):
        [result] = _abduction(ref, [task], [answer])
        assert not result.correct and result.reason == "not_an_argument_list"
    ded = Task("deduction", "def f(x):\n    return x", ("1",), ("1",))
    [result] = expr_referee.score([ded], [wrap(f"```output\n{answer}\n```")])
    assert not result.correct and result.reason == "not_a_value"


def test_abduction_answer_must_still_be_one_call(expr_referee):
    task = Task("abduction", "def f(x):\n    return x", ("'abc'",), ("'abc'",))
    [result] = _abduction(expr_referee, [task], ["'abc') or (1"])
    assert result.reason == "not_an_argument_list"


def test_deduction_expression_runs_without_the_program(expr_referee):
    task = Task("deduction", "import math\ndef f(x):\n    return [x] * 3", ("1",), ("[1, 1, 1]",))
    answers = ["[1] * 3", "f(1)", "list(map(int, '111'))", "[math.floor(1.5)] * 3", "[1] * 2"]
    results = expr_referee.score([task] * len(answers), [wrap(f"```output\n{a}\n```") for a in answers])
    assert [r.correct for r in results] == [True, False, True, True, False]
    assert results[1].reason == "answer_error"  # f is not loaded: the answer cannot compute the output


def test_objects_with_their_own_equality_are_never_correct(expr_referee):
    task = Task("abduction", "def f(x):\n    return x", ("1",), ("1",))
    sneaky = "(lambda: 1)"  # a function object: its repr differs and it is not plain data
    [result] = _abduction(expr_referee, [task], [sneaky])
    assert not result.correct


def test_answer_mode_is_an_env_argument(executor):
    task = CRUX_I[0]
    for mode, correct in (("expression", True), (None, False)):
        kwargs = {"answer_mode": mode} if mode else {}
        env = gym.make("AZR-Abduction-v0", **kwargs)
        assert env.unwrapped.config.task.answer_mode == (mode or "data")
        env.reset(options={"task": task.to_dict()})
        reward = env.step(wrap(f"```input\n{task.input}\n```"))[1]
        assert reward == (1.0 if correct else -0.5)
        env.close()


def test_bad_answer_mode_is_a_clear_error():
    with pytest.raises(ConfigError, match="answer_mode"):
        TaskConfig(answer_mode="code")
    with pytest.raises(ConfigError, match="answer_mode"):
        gym.make("AZR-Deduction-v0", answer_mode="code")


def test_an_expression_answer_cannot_read_the_gold_value_from_its_frame(expr_referee):
    """An expression runs with the program's imports in scope; evaluated beside the gold value, one could read it
    from its own frame's constants and be scored correct without predicting anything."""
    task = Task("deduction", "import ast\nimport sys\n\ndef f(x):\n    return sorted(x)[::-1] + [len(x) * 37]",
                ("[3, 1, 2]",), ("[3, 2, 1, 111]",))  # fmt: skip
    answers = ["ast.literal_eval(sys._getframe().f_code.co_consts[0])", "sorted([1, 2, 3])[::-1] + [111]",
               "[3, 2, 1, 111.0]", "[3, 2, 1, 110]"]  # fmt: skip
    results = expr_referee.score([task] * len(answers), [wrap(f"```output\n{a}\n```") for a in answers])
    assert [r.correct for r in results] == [False, True, True, False]
