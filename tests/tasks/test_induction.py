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
