"""Scoring a round's answers: every verdict is a function of (task, answer) only, and the executor work is as
small as that allows (literal answers never run, identical answers run once, the rest one process each, all in
one `run_many`)."""

import random

import pytest

from azr_env.rounds import Referee, RoundConfig
from azr_env.tasks import Task


@pytest.fixture(scope="module")
def referee(executor):
    with Referee(RoundConfig(), executor=executor) as ref:
        yield ref


def respond(block: str, body: str) -> str:
    return f"<think>x</think>\n<answer>```{block}\n{body}\n```</answer>"


# Each program passes the determinism check (two calls with one input agree) yet keeps state across calls, so
# evaluating several answers in one process would let an earlier answer change a later answer's verdict.
STATEFUL = {
    "module-level state": "seen = []\n\ndef f(x):\n    seen.append(x)\n    return seen[0] * 10",
    "patched builtin": "import builtins\n\ndef f(x):\n    if x == 2:\n        builtins.abs = lambda v: 0\n"
                       "    return abs(x) * 10",
    "patched module": "import math\n\ndef f(x):\n    if x == 2:\n        math.pi = 0.0\n"
                      "    return x * 10 + int(math.pi) - 3",
}  # fmt: skip
# Gold input 1, gold output 10. `1.0` is right (10.0 == 10) but needs f to run; `2` and `3` are wrong, and `2`
# is the answer that leaves state behind.
ANSWERS = {"1.0": True, "2": False, "3": False, "1.0 ": True, "(2)": False}


def stateful_batch() -> tuple[list[Task], list[str], list[bool]]:
    tasks, responses, expected = [], [], []
    for program in STATEFUL.values():
        task = Task("abduction", program, ("1",), ("10",))
        for answer, right in ANSWERS.items():
            tasks.append(task)
            responses.append(respond("input", answer))
            expected.append(right)
    return tasks, responses, expected


def test_stateful_programs_give_the_same_verdicts_batched_alone_and_in_any_order(referee):
    tasks, responses, expected = stateful_batch()
    batched = [r.correct for r in referee.score(tasks, responses, purpose="rollout")]
    alone = [referee.score([t], [r], purpose="rollout")[0].correct for t, r in zip(tasks, responses)]
    assert batched == alone == expected
    for seed in range(3):
        order = list(range(len(tasks)))
        random.Random(seed).shuffle(order)
        shuffled = referee.score([tasks[i] for i in order], [responses[i] for i in order], purpose="rollout")
        assert [shuffled[order.index(i)].correct for i in range(len(tasks))] == expected, seed


def test_code_answers_never_share_a_process(referee):
    """Each solver program counts itself in a process-wide marker and poisons `sorted`: were two answers ever in
    one process, the later one would see a count above 1 or a poisoned `sorted`, and be wrong."""
    program = "def f(xs):\n    return sorted(xs)"
    inputs = ("[3, 1]", "[2, 2, 1]", "[]", "[5, 4, 3]", "[1]", "[9, 0]", "[0, 0]", "[7, 1, 4]", "[6]", "[2, 8]")
    outputs = tuple(repr(sorted(eval(x))) for x in inputs)
    task = Task("induction", program, inputs, outputs, message="sort")
    answer = ("import builtins\n\nbuiltins.azr_marker = getattr(builtins, 'azr_marker', 0) + 1\n"
              "_sorted = sorted\n\ndef f(xs):\n    assert builtins.azr_marker == 1\n    return _sorted(xs)\n\n"
              "builtins.sorted = lambda *a, **k: []  # rollout {}\n")  # fmt: skip
    responses = [respond("python", answer.format(i)) for i in range(8)]
    before = referee.executor_programs
    results = referee.score([task] * 8, responses, purpose="rollout")
    assert [r.correct for r in results] == [True] * 8, [r.detail for r in results]
    assert referee.executor_programs - before == 8


def test_literal_answers_never_run_and_identical_answers_run_once_in_one_call(referee):
    deduction = Task("deduction", "def f(x):\n    return [x, x]", ("1",), ("[1, 1]",))
    abduction = Task("abduction", "def f(x):\n    return x * 2", ("4",), ("8",))
    induction = Task("induction", "def f(x):\n    return x + 1", tuple(map(str, range(10))),
                     tuple(str(i + 1) for i in range(10)), message="add")  # fmt: skip
    gold_code, wrong_code = "def f(x):\n    return x + 1", "def f(x):\n    return x"
    batch = [
        (deduction, respond("output", "[1, 1]")), (deduction, respond("output", "[1,1]")),
        (deduction, respond("output", "[1, 2]")), (deduction, respond("output", "'x'")),
        (abduction, respond("input", "4")), (abduction, respond("input", "4")),  # the gold input: no run
        (abduction, respond("input", "3")), (abduction, respond("input", "3")),  # one run for both
        (abduction, respond("input", "4.0")),  # right, but only running f can tell: a second run
        (induction, respond("python", gold_code)), (induction, respond("python", gold_code)),
        (induction, respond("python", wrong_code)), (induction, respond("python", wrong_code)),
    ]  # fmt: skip
    calls, programs = referee.executor_calls, referee.executor_programs
    results = referee.score([t for t, _ in batch], [r for _, r in batch], purpose="rollout")
    assert [r.correct for r in results] == [True, True, False, False, True, True, False, False, True,
                                            True, True, False, False]  # fmt: skip
    assert referee.executor_calls - calls == 1  # every run of the batch went out together
    assert referee.executor_programs - programs == 4  # abduction 3 and 4.0, induction gold and wrong


def _proposal(program: str, x: str) -> str:
    return f"<think>x</think>\n<answer>```python\n{program}\n```\n```input\n{x}\n```</answer>"


class RecordingExecutor:
    """The real executor, recording how many processes each `run_many` asks for."""

    def __init__(self, executor):
        self.executor, self.processes = executor, 0

    def run_many(self, jobs, **kwargs):
        jobs = list(jobs)
        self.processes += len(jobs) * (2 if kwargs.get("check_determinism") is True else 1)
        return self.executor.run_many(jobs, **kwargs)


@pytest.mark.parametrize("hash_seed_check", [True, False])
def test_validation_runs_two_processes_per_program_with_or_without_the_hash_seed_rerun(executor, hash_seed_check):
    """The cross-process determinism comparison is the executor's second run or, when the hash-seed re-run
    follows, that re-run itself: never both (it was 3 processes per program with the hash-seed check)."""
    from azr_env.executor import Executor

    programs = [f"def f(a):\n    return a * {k} + {k}" for k in range(4)]
    with Executor(workers=1, hash_seed=1) as seeded:
        main, other = RecordingExecutor(executor), RecordingExecutor(seeded)
        with Referee(RoundConfig(), executor=main, hash_executor=other) as ref:
            results = ref.validate([("deduction", _proposal(p, "3"), []) for p in programs],
                                   hash_seed_check=hash_seed_check)  # fmt: skip
    assert [r.valid for r in results] == [True] * 4
    assert main.processes + other.processes == 2 * len(programs)
    assert other.processes == (len(programs) if hash_seed_check else 0)


def test_a_state_keeping_program_is_still_rejected_when_the_check_stays_in_the_child(referee):
    program = "calls = []\n\ndef f(a):\n    calls.append(a)\n    return len(calls)"
    for hash_seed_check in (True, False):
        [result] = referee.validate([("deduction", _proposal(program, "3"), [])], hash_seed_check=hash_seed_check)
        assert not result.valid and result.reason == "nondeterministic", result


def test_the_generators_own_programs_skip_the_second_process(executor):
    """`trusted_source=True` (azr_env's generator, not a model): the determinism check stays in the child."""
    programs = [f"def f(a):\n    return a - {k}" for k in range(3)]
    main = RecordingExecutor(executor)
    with Referee(RoundConfig(), executor=main) as ref:
        results = ref.validate([("deduction", _proposal(p, "5"), []) for p in programs], hash_seed_check=False,
                               trusted_source=True)  # fmt: skip
        stateful = ref.validate([("deduction", _proposal("n = []\ndef f(a):\n    n.append(a)\n    return len(n)", "5"),
                                  [])], hash_seed_check=False, trusted_source=True)  # fmt: skip
    assert [r.valid for r in results] == [True] * 3 and main.processes == 3 + 1
    assert stateful[0].reason == "nondeterministic"
