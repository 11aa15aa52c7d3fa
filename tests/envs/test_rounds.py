"""The batched round API with a scripted agent: one AZR step end to end, the seeding stage, batching."""

import itertools

import numpy as np
import pytest
from scripted_play import scripted

from azr_env.buffer import BufferSet
from azr_env.errors import ConfigError
from azr_env.rounds import Referee, RoundConfig
from azr_env.tasks import Task


@pytest.fixture(scope="module")
def referee(executor):
    with Referee(RoundConfig(n_rollouts=2), executor=executor) as ref:
        yield ref


def test_play_round_end_to_end(referee):
    buffers = BufferSet()
    out = referee.play_round(scripted, buffers, np.random.default_rng(0), step=1, batch_per_type=4)
    proposers = [s for s in out.samples if s.role == "propose"]
    solvers = [s for s in out.samples if s.role == "solve"]
    assert len(proposers) == 12 and len(solvers) == 12
    assert all(p.valid for p in out.proposals)
    assert all(s.reward == -0.5 for s in proposers)  # always-wrong solver: p = 0, reference reward -0.5
    assert all(s.reward == -0.5 for s in solvers) and all(s.generation.text for s in solvers)
    assert buffers.counts() == {"deduction": 5, "abduction": 5, "induction": 5}
    assert {t.task_type for t in (s.task for s in out.solves)} == {"deduction", "abduction", "induction"}
    assert out.metrics["propose/induction/valid_rate"] == 1.0 and out.metrics["solve/deduction/accuracy"] == 0.0


def test_one_batch_of_many_types_uses_at_most_two_executor_calls_per_pass(referee):
    proposals = [(t, text, []) for t, text in zip(["deduction", "abduction", "error_type"] * 4,
                                                  scripted(["Design a new Python program"] * 12))]  # fmt: skip
    calls = referee.executor_calls
    results = referee.validate(proposals, hash_seed_check=False)
    assert all(r.valid for r in results) and referee.executor_calls - calls == 1


def test_score_checks_each_distinct_answer_once(referee):
    task = Task("abduction", "def f(x):\n    return x + 1", ("1",), ("2",))
    calls = referee.executor_calls
    results = referee.score([task] * 6, ["<think>x</think><answer>```input\n0 + 1\n```</answer>"] * 6)
    assert all(r.correct for r in results) and referee.executor_calls - calls == 1
    with pytest.raises(ConfigError, match="2 tasks but 1 responses"):
        referee.score([task, task], ["x"])


def test_seeding_stage_fills_every_buffer(referee):
    buffers = BufferSet()
    counts = referee.seed_buffers(scripted, buffers, np.random.default_rng(0), target=6, batch=4)
    assert counts == {"deduction": 6, "abduction": 6, "induction": 6}
    with pytest.raises(ConfigError, match="seeding stopped"):
        referee.seed_buffers(lambda ps: ["nope"] * len(ps), BufferSet(), np.random.default_rng(0), target=3,
                             batch=2, max_batches=2)  # fmt: skip


def test_solve_rates_and_proposer_rewards(referee):
    task = Task("deduction", "def f(x):\n    return x", ("1",), ("1",))
    answers = itertools.cycle(["1", "2"])
    rates = referee.solve_rates(
        [task], lambda ps: [f"<think>x</think><answer>{next(answers)}</answer>" for _ in ps], n=4
    )
    assert rates == [0.5]
    valid = referee.validate([("deduction", scripted(["Design a new Python program"])[0], [])])
    invalid = referee.validate([("deduction", "junk", [])])
    assert referee.proposer_rewards(valid + invalid, [0.5, None]) == [0.5, -1.0]
