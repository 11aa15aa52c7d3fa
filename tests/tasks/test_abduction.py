import pytest
from task_helpers import wrap

from azr_env.tasks import Pending, Task, TaskConfig, get_task_type

ABD = get_task_type("abduction")
CFG = TaskConfig()
SQUARE = Task("abduction", "def f(x):\n    return x * x", ("3",), ("9",))


def score(referee, task, answers):
    return referee.score([task] * len(answers), [wrap(f"```input\n{a}\n```") for a in answers])


def test_gold_input_needs_no_executor():
    verdict = ABD.check(SQUARE, "3", CFG)
    assert not isinstance(verdict, Pending) and verdict.correct


def test_any_input_producing_the_output_is_correct(referee):
    results = score(referee, SQUARE, ["-3", "3.0", "4", "'a'", "x=3"])
    assert [r.correct for r in results] == [True, True, False, False, True]
    assert [r.reward for r in results] == [1.0, 1.0, -0.5, -0.5, 1.0]
    assert results[3].reason == "answer_error"


@pytest.mark.parametrize("answer", ["3) or (1", "3), f(3", "__import__('os')", "(lambda: 3)()", "3).__class__(("])
def test_answer_must_be_an_argument_list(referee, answer):
    [result] = score(referee, SQUARE, [answer])
    assert not result.correct and result.reason == "not_an_argument_list"


def test_custom_eq_objects_cannot_fool_the_check(referee):
    task = Task("abduction", "def f(x):\n    return x", ("1",), ("1",))
    [result] = score(referee, task, ["type('A', (), {'__eq__': lambda s, o: True})()"])
    assert not result.correct


def test_non_round_trip_gold_compares_reprs(referee):
    task = Task(
        "abduction", "from collections import deque\ndef f(x):\n    return deque(x)", ("[1, 2]",), ("deque([1, 2])",)
    )
    results = score(referee, task, ["[1, 2]", "(1, 2)", "[2, 1]"])
    assert [r.correct for r in results] == [True, True, False]


def test_reference_rejects_gold_for_unevaluable_outputs_but_we_do_not(referee):
    task = Task("abduction", "def f(x):\n    return {'a': x}.keys()", ("1",), ("dict_keys(['a'])",))
    [result] = score(referee, task, ["2"])
    assert result.correct


def test_solver_prompt_shows_output_not_input():
    text = ABD.solver_prompt(SQUARE, CFG)
    assert "```output\n9\n```" in text and "```input\n3" not in text
