from task_helpers import proposal, wrap

from azr_env.tasks import Task, TaskConfig, get_task_type

ERR = get_task_type("code_e")


def test_gold_is_exception_name_or_no_error(referee):
    results = referee.validate(
        [
            ("error_type", proposal("def f(x):\n    return [1][x]", "5"), []),
            ("error_type", proposal("def f(x):\n    return x", "5"), []),
        ]
    )
    assert [r.task.output for r in results] == ["IndexError", "NoError"]


def test_answers_compare_by_name():
    task = Task("error_type", "def f(x):\n    return 1 / x", ("0",), ("ZeroDivisionError",))
    for answer, correct in [
        ("ZeroDivisionError", True),
        ("'ZeroDivisionError'", True),
        ("builtins.ZeroDivisionError", True),
        ("ValueError", False),
        ("NoError", False),
    ]:
        assert ERR.check(task, answer, TaskConfig()).correct is correct


def test_scored_through_the_referee(referee):
    task = Task("error_type", "def f(x):\n    return 1 / x", ("0",), ("ZeroDivisionError",))
    [r] = referee.score([task], [wrap("```output\nZeroDivisionError\n```")])
    assert r.correct and r.reward == 1.0


def test_names_compare_case_insensitively_as_in_the_reference():
    # Issue 12 item 14: the reference keeps the text before the first space and colon, lower-cased.
    task = Task("error_type", "def f(x):\n    return 1 / x", ("0",), ("ZeroDivisionError",))
    for answer, correct in [
        ("zerodivisionerror", True),
        ("ZeroDivisionError: division by zero", True),
        ("ZERODIVISIONERROR raised", True),
        ("ZeroDivisionError()", True),
        ("Zero DivisionError", False),
        ("", False),
    ]:
        assert ERR.check(task, answer, TaskConfig()).correct is correct, answer
