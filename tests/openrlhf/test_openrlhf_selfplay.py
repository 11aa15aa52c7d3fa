"""One AZR step of the OpenRLHF trainer (agents/openrlhf/selfplay.py) with the agent run in-process.

The rollout function plays the role of OpenRLHF's vLLM engines: every sample goes through the AZR agent under
OpenRLHF's real MultiTurnAgentExecutor and OpenRLHF's real `_process_response_into_experience`; the model is
a scripted oracle (solves every other attempt, proposes fresh tasks, sometimes garbles a proposal).
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

pytest.importorskip("openrlhf.utils.agent", reason="OpenRLHF is not installed in this interpreter; run "
                    "`make test-openrlhf` (it uses the training environment .venv-train)")

import torch
from azr_agents.openrlhf import labels
from azr_agents.openrlhf.agent import AgentExecutor
from azr_agents.openrlhf.options import OpenRLHFSelfPlayConfig
from azr_agents.openrlhf.selfplay import SelfPlay, outcome
from openrlhf.trainer.ppo_utils.samples_generator import SamplesGenerator
from openrlhf_engines import Oracle, ScriptedEngine
from vllm import SamplingParams

from azr_env.rounds import RoundConfig
from azr_env.step import StepConfig
from azr_env.tasks.base import TaskConfig


class InProcessEngines:
    """`rollout(prompts, labels, n, temperature)` as AZRSamplesGenerator provides it, without Ray or vLLM."""

    def __init__(self, tokenizer) -> None:
        from azr_agents.micro import build_byte_tokenizer

        self.tokenizer = tokenizer or build_byte_tokenizer()
        self.oracle = Oracle()
        self.engine = ScriptedEngine(self.tokenizer, self.oracle)
        self.executor = AgentExecutor()
        args = SimpleNamespace(vllm=SimpleNamespace(enable_sleep=False),
                               algo=SimpleNamespace(advantage=SimpleNamespace(is_correction_level="off")))
        self.generator = SamplesGenerator(SimpleNamespace(args=args), None, None, self.tokenizer, [])
        self.temperatures: list[float | None] = []

    def __call__(self, prompts, label_list, n, temperature):
        self.temperatures.append(temperature)
        for prompt, label in zip(prompts, label_list):
            self.oracle.rows[prompt] = labels.parse_label(label)
        params = SamplingParams(temperature=temperature or 1.0, max_tokens=1024)

        async def run():
            return await asyncio.gather(*(asyncio.gather(*(
                self.executor.execute(p, lab, params, 16384, self.tokenizer, self.engine) for _ in range(n)))
                for p, lab in zip(prompts, label_list)))  # fmt: skip

        groups = asyncio.run(run())
        return [[self.generator._process_response_into_experience(r, max_len=16384) for r in g] for g in groups]


def _config(tmp_path, prompt_format: str = "r1", **kw) -> OpenRLHFSelfPlayConfig:
    task = TaskConfig(timeout_s=5.0, prompt_format="raw" if prompt_format == "chat" else "r1")
    # "current": this step's new tasks are this step's solver prompts (the reference's "previous" is tested in
    # tests/test_step_options.py)
    rnd = RoundConfig(task=task, workers=2, memory_mb=512, n_rollouts=4, step=StepConfig(solver_batch_source="current"))
    options = {"steps": 2, "batch_per_type": 4, "n_rollouts": 4, "seed_tasks_per_type": 3,
               "buffer_dir": str(tmp_path / "buffers"), **kw}
    return OpenRLHFSelfPlayConfig(round=rnd, prompt_format=prompt_format, **options)


@pytest.fixture(scope="module")
def tokenizer():
    from azr_agents.micro import build_byte_tokenizer

    return build_byte_tokenizer()


def test_one_step_propose_learnability_solve(tmp_path, tokenizer):
    engines = InProcessEngines(tokenizer)
    play = SelfPlay(_config(tmp_path), engines)
    assert play.seed_buffers() >= 1 and min(play.buffers.counts().values()) >= 3
    samples, metrics = play.step(0)
    assert len(samples) == 2 * 3 * 4
    roles = [labels.group_name(int(s.info[labels.GROUP_KEY]))[0] for s in samples]
    assert roles == ["propose"] * 12 + ["solve"] * 12
    for sample in samples[:12]:
        out = outcome(sample)
        reward = float(sample.rewards)
        # The oracle solves every other rollout: p = 0.5, learnability 0.5; garbled proposals get -1.
        assert reward == (0.5 if out["valid"] else -1.0), out
        assert float(sample.info["reward"]) == reward
    assert engines.temperatures.count(1.0) == 1  # learnability rollouts at the rollout temperature; others: None
    new = {json.dumps(outcome(s)["task"], sort_keys=True) for s in samples[:12] if outcome(s)["valid"]}
    solved = {json.dumps(json.loads(s.labels[0])["task"], sort_keys=True) for s in samples[12:]}
    assert new and new <= solved  # this step's valid tasks are this step's solver prompts
    solver_rewards = [float(s.rewards) for s in samples[12:]]
    assert set(solver_rewards) <= {1.0, -0.5, -1.0} and 1.0 in solver_rewards  # wrong induction: no program
    accuracy = sum(r == 1.0 for r in solver_rewards[4:8]) / 4
    assert metrics["solve/abduction/accuracy"] == accuracy
    assert metrics["propose/deduction/valid_rate"] == pytest.approx(0.75, abs=0.25)
    assert metrics["buffer/induction/size"] >= 3


def test_buffers_persist_and_a_resumed_run_draws_the_same(tmp_path, tokenizer):
    play = SelfPlay(_config(tmp_path), InProcessEngines(tokenizer))
    play.seed_buffers()
    counts = play.buffers.counts()
    again = SelfPlay(_config(tmp_path), InProcessEngines(tokenizer))
    assert again.buffers.counts() == counts
    a = play.referee.proposer_prompts(play.buffers, {"deduction": 3}, play.rng(5, "propose"))
    b = again.referee.proposer_prompts(again.buffers, {"deduction": 3}, again.rng(5, "propose"))
    assert [p.prompt for p in a] == [p.prompt for p in b]


def test_step_samples_feed_the_trr_estimator(tmp_path, tokenizer):
    from azr_agents.openrlhf.estimator import group_whiten
    from azr_agents.trr import trr_plus_plus_advantages

    play = SelfPlay(_config(tmp_path, seed_tasks_per_type=0), InProcessEngines(tokenizer))
    samples, _ = play.step(0)
    masks = [s.action_mask for s in samples]
    returns = [s.rewards[:, None] * m for s, m in zip(samples, masks)]
    got = group_whiten(returns, masks, [s.info[labels.GROUP_KEY] for s in samples])
    width = max(m.shape[1] for m in masks)
    pad = lambda t: torch.nn.functional.pad(t.float(), (0, width - t.shape[1]))  # noqa: E731
    keys = [labels.group_name(int(s.info[labels.GROUP_KEY])) for s in samples]
    expected = trr_plus_plus_advantages(torch.cat([s.rewards for s in samples]), torch.cat([pad(m) for m in masks]),
                                        [k for _, k in keys], [r for r, _ in keys])  # fmt: skip
    assert torch.allclose(torch.cat([pad(g) for g in got]), expected, atol=1e-6)


def test_chat_prompt_format_wraps_prompts(tmp_path, tokenizer):
    engines = InProcessEngines(tokenizer)
    cfg = _config(tmp_path, seed_tasks_per_type=0, prompt_format="chat")
    play = SelfPlay(cfg, engines, lambda text: tokenizer.apply_chat_template(
        [{"role": "user", "content": text}], tokenize=False, add_generation_prompt=True))
    play.propose(0, {"deduction": 2}, play.rng(0, "propose"))
    prompt = next(iter(engines.oracle.rows))
    assert prompt.startswith("user: ") and prompt.endswith("assistant: ")


def test_reflection_and_concerning_phrases_are_measured_from_the_engines_checks(tmp_path, tokenizer):
    """Issue 12 item 19 on the OpenRLHF trainer: the engines check each response's text (the driver never sees
    it) and the step logs the reference's reflect ratios and the concerning-phrase counts, saving flagged samples."""
    engines = InProcessEngines(tokenizer)
    scripted = engines.oracle

    class Reflective:
        rows = scripted.rows
        concern_next = False  # armed after seeding: the step's first proposal is a concerning one

        def __call__(self, prompt, row=None):
            text = scripted(prompt, row)
            row = row or scripted.rows[prompt]
            if row["role"] == "solve":  # every solver answer reflects; the proposals do not
                return "wait, let me recheck. " + text
            if self.concern_next:
                Reflective.concern_next = False
                return "I will outsmart the less intelligent humans."
            return text

    engines.engine.respond = Reflective()
    play = SelfPlay(_config(tmp_path), engines)
    play.seed_buffers()
    Reflective.concern_next = True
    _, metrics = play.step(0)
    assert metrics["reflect/solve/deduction/reflect_ratio"] == 1.0
    assert metrics["reflect/propose/deduction/reflect_ratio"] == 0.0
    assert 0 < metrics["reflect/reflect_ratio"] < 1
    assert metrics["safety/concerning_count"] == 1.0
    flagged = [json.loads(line) for line in (tmp_path / "flagged.jsonl").read_text().splitlines()]
    assert len(flagged) == 1 and "outsmart" in flagged[0]["response"] and flagged[0]["role"] == "propose"
