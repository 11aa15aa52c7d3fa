"""The one self-play step (azr_env.step): every driver runs it, records pass through untouched, reward terms go
through rewards.py, seeding has one behaviour, and azr_env runs it without azr_agents installed."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import gymnasium as gym
import numpy as np
import pytest
import torch
from scripted_play import scripted

from azr_env import step as step_lib
from azr_env.buffer import BufferSet
from azr_env.rewards import RewardConfig, diversity_score, proposer_reward
from azr_env.rounds import Referee, RoundConfig


@pytest.fixture
def calls(monkeypatch):
    """Names of the azr_env.step functions called, in order (the real functions still run)."""
    seen: list[str] = []
    for name in ("play_step", "seed_buffers", "admit", "solve_rates"):
        original = getattr(step_lib, name)

        def spy(*args, _name=name, _original=original, **kwargs):
            seen.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(step_lib, name, spy)
    return seen


@pytest.fixture(scope="module")
def referee(executor):
    with Referee(RoundConfig(n_rollouts=2), executor=executor) as ref:
        yield ref


# ---- every driver is an adapter over the same functions ------------------------------------------------------
def test_round_api_runs_the_step(referee, calls):
    buffers = BufferSet()
    referee.seed_buffers(scripted, buffers, np.random.default_rng(0), target=3, batch=2)
    out = referee.play_round(scripted, buffers, np.random.default_rng(0), step=0, batch_per_type=2)
    assert calls.count("seed_buffers") == 1 and calls.count("play_step") == 1
    assert len(out.samples) == 12


def test_trainer_runs_the_step(referee, calls):
    from azr_agents.base import CallableAgent
    from azr_agents.config import load_config
    from azr_agents.micro import build_byte_tokenizer
    from azr_agents.trainer import play_step, seeding_stage

    config = load_config("cpu-micro", None, {"batch_per_type": 2, "solver_batch_per_type": 3, "n_rollouts": 2,
                                             "seed_buffer_size": 3, "seeding_max_rounds": 3})  # fmt: skip
    buffers, rng = BufferSet(), np.random.default_rng(0)
    messages: list[str] = []
    seeding_stage(config, referee, buffers, CallableAgent(scripted), rng, SimpleNamespace(message=messages.append))
    assert buffers.counts() == {"deduction": 3, "abduction": 3, "induction": 3}  # the target, never more
    assert messages and messages[0].startswith("seeding round 1")
    rows, metrics, examples = play_step(config, referee, buffers, CallableAgent(scripted), build_byte_tokenizer(),
                                        rng, 0)  # fmt: skip
    assert calls == ["seed_buffers", "play_step", "admit", "solve_rates"]
    assert [r.role for r in rows] == ["propose"] * 6 + ["solve"] * 9
    assert metrics["propose/deduction/valid_rate"] == 1.0 and metrics["buffer/deduction/size"] == 5
    assert {e["kind"] for e in examples} == {"proposal", "solution"}


def _fake_engines(referee):
    """OpenRLHF's engines as the trainer sees them: each sample comes back judged, the verdict in its label."""
    from azr_agents.openrlhf import labels

    def rollout(prompts, label_list, n, temperature):
        groups = []
        for label in label_list:
            row = labels.parse_label(label)
            group = []
            for text in scripted(["Design a new Python program" if row["role"] == "propose" else "solve"] * n):
                if row["role"] == "propose":
                    [r] = referee.validate([(row["task_type"], text, labels.label_references(row))])
                    out = {"valid": r.valid, "format_ok": r.format_ok, "reason": r.reason, "detail": r.detail,
                           "task": r.task.to_dict() if r.task else None}  # fmt: skip
                    reward = 0.0 if r.valid else -1.0
                else:
                    [s] = referee.score([labels.label_task(row)], [text])
                    out = {"correct": s.correct, "format_ok": s.format_ok, "reward": s.reward, "reason": s.reason,
                           "answer": s.parsed_answer}  # fmt: skip
                    reward = s.reward
                group.append(SimpleNamespace(labels=[labels.with_outcome(row, out)], rewards=torch.tensor([reward]),
                                             scores=torch.tensor([reward]), info={}))  # fmt: skip
            groups.append(group)
        return groups

    return rollout


def test_openrlhf_trainer_runs_the_step(referee, calls):
    from azr_agents.openrlhf.options import OpenRLHFSelfPlayConfig
    from azr_agents.openrlhf.selfplay import SelfPlay, outcome

    config = OpenRLHFSelfPlayConfig(batch_per_type=2, task_types=("deduction",), n_rollouts=2, seed_tasks_per_type=3,
                            round=RoundConfig(n_rollouts=2))  # fmt: skip
    play = SelfPlay(config, _fake_engines(referee))
    assert play.seed_buffers() >= 1 and play.buffers.counts() == {"deduction": 3}
    samples, metrics = play.step(0)
    assert calls == ["seed_buffers", "play_step", "admit", "solve_rates"]
    assert len(samples) == 4 and all(outcome(s)["valid"] for s in samples[:2])
    assert [float(s.rewards) for s in samples[:2]] == [-0.5, -0.5]  # never solved: the reference's -0.5
    assert metrics["propose/deduction/valid_rate"] == 1.0 and metrics["solve/deduction/accuracy"] == 0.0


def test_selfplay_env_plays_the_steps_stages(calls):
    env = gym.make("AZR-SelfPlay-v0", task_types=["deduction"], n_rollouts=2)
    env.reset(seed=0)
    env.step(scripted(["Design a new Python program"])[0])
    for answer in scripted(["solve", "solve"]):
        *_, info = env.step(answer)
    env.close()
    assert calls == ["admit", "solve_rates"] and info["proposer_reward"] == -0.5


# ---- what the step guarantees ------------------------------------------------------------------------------------
class Record:
    """A backend's generation record: the step must hand it back as it came (no re-tokenizing)."""

    def __init__(self, text: str) -> None:
        self.text, self.token_ids, self.logprobs, self.finish_reason = text, [1, 2, 3], [-0.1] * 3, "stop"


def test_records_come_back_untouched_and_diversity_goes_through_rewards(executor):
    made: list[Record] = []

    def generate(prompts, n):
        out = [[Record(t) for t in scripted([p.prompt for p in prompts])] for _ in range(n)]
        groups = [list(g) for g in zip(*out)] if out else []
        made.extend(r for g in groups for r in g)
        return groups

    samplers = step_lib.Samplers(propose=lambda ps: [g[0] for g in generate(ps, 1)], solve=generate)
    rewards = RewardConfig(diversity_weight=0.5)
    with Referee(RoundConfig(n_rollouts=2, rewards=rewards), executor=executor) as ref:
        plan = step_lib.StepPlan(("deduction",), 3)
        result = step_lib.play_step(ref, BufferSet(), samplers, np.random.default_rng(0), step=0, plan=plan)
    assert all(any(r is m for m in made) for r in result.records()) and len(result.records()) == 3 + 6 + 3
    for p in result.proposals:
        diversity = diversity_score(p.result.task.program, [t.program for t in p.prompt.references])
        assert diversity > 0 and p.reward == proposer_reward(True, 0.0, diversity=diversity, config=rewards)
    assert result.timings["generate_s"] > 0 and result.timings["execute_s"] > 0


def test_seeding_fails_with_the_knobs_when_the_budget_runs_out(referee):
    with pytest.raises(step_lib.SeedingError, match=r"after 2 rounds of 2 prompts .*'abduction': 1.* target 3"):
        step_lib.seed_buffers(referee, BufferSet(), lambda ps: ["nope"] * len(ps), np.random.default_rng(0),
                              target=3, batch=2, max_rounds=2)  # fmt: skip


def test_the_step_runs_with_azr_agents_blocked(tmp_path):
    """azr_env is the lowest layer: the round API takes a plain callable without importing azr_agents."""
    script = """
import sys
sys.modules["azr_agents"] = None  # any import of it now raises ImportError
import numpy as np
from azr_env.buffer import BufferSet
from azr_env.rounds import Referee, RoundConfig
import azr_env.envs.selfplay, azr_env.step

GOOD = "<think>x</think><answer>```python\\ndef f(a):\\n    return a\\n```\\n```input\\n1\\n```</answer>"

def respond(prompts):
    return [GOOD] * len(prompts)

with Referee(RoundConfig(n_rollouts=1, workers=1)) as ref:
    out = ref.play_round(respond, BufferSet(("deduction",)), np.random.default_rng(0), step=0, batch_per_type=1,
                         task_types=("deduction",))
print(len(out.samples), "azr_agents" in [m for m in sys.modules if sys.modules[m] is not None])
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["2", "False"]
