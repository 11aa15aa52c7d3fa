"""The AZR agent under OpenRLHF's real MultiTurnAgentExecutor (agents/openrlhf/agent.py), train environment.

`AgentExecutor.execute` is called exactly as OpenRLHF's `RolloutRayActor.generate_responses` calls it, with
vLLM's real `SamplingParams`, a real tokenizer and an engine implementing OpenRLHF's engine interface; its
results go through OpenRLHF's real `SamplesGenerator._process_response_into_experience`.
"""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import numpy as np
import pytest

pytest.importorskip("openrlhf.utils.agent", reason="OpenRLHF is not installed in this interpreter; run "
                    "`make test-openrlhf` (it uses the training environment .venv-train)")

from azr_agents.openrlhf import labels
from azr_agents.openrlhf.agent import AgentExecutor
from azr_agents.openrlhf.entry import agent_func_path
from azr_agents.responses import propose_response, solve_response
from openrlhf.trainer.ppo_utils.samples_generator import SamplesGenerator
from openrlhf.trainer.ray.vllm_engine import _load_agent_executor
from openrlhf.utils.agent import MultiTurnAgentExecutor
from openrlhf_engines import MicroModelEngine, ScriptedEngine
from vllm import SamplingParams

from azr_env.buffer import BufferSet
from azr_env.rounds import Referee, RoundConfig
from azr_env.tasks.base import Task, TaskConfig

CONFIG = labels.config_to_json(RoundConfig(task=TaskConfig(timeout_s=5.0), workers=2, memory_mb=512))
TASK = Task("deduction", "def f(a):\n    return a * 2", ("3",), ("6",))
SLOW = Task("deduction", "def f(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s", ("1_500_000",),
            ("0",))


@pytest.fixture(scope="module")
def tokenizer():
    from azr_agents.micro import build_byte_tokenizer

    return build_byte_tokenizer()


@pytest.fixture(scope="module")
def referee():
    return Referee(RoundConfig(task=TaskConfig(timeout_s=5.0)))


def _params(max_tokens: int = 2048, logprobs: int | None = None) -> SamplingParams:
    return SamplingParams(temperature=1.0, top_p=1.0, max_tokens=max_tokens, logprobs=logprobs)


def _run(executor, prompt, label, engine, tokenizer, *, max_length=8192, params=None):
    return asyncio.run(executor.execute(prompt, label, params or _params(), max_length, tokenizer, engine))


def _experience(result):
    args = SimpleNamespace(vllm=SimpleNamespace(enable_sleep=False),
                           algo=SimpleNamespace(advantage=SimpleNamespace(is_correction_level="off")))
    generator = SamplesGenerator(SimpleNamespace(args=args), None, None, None, [])
    return generator._process_response_into_experience(result, max_len=8192)


def test_openrlhf_loads_the_agent_file():
    executor = _load_agent_executor(agent_func_path())  # OpenRLHF's own loader, as in its vLLM engine actor
    assert isinstance(executor, MultiTurnAgentExecutor) and type(executor).__name__ == "AgentExecutor"


def test_solver_rewards_and_outcome_label(tokenizer, referee):
    prompt = referee.solver_prompt(TASK)
    label = labels.make_label("solve", "deduction", task=TASK, config=CONFIG)
    answers = {"right": solve_response(TASK), "wrong": solve_response(Task("deduction", "x", ("3",), ("7",))),
               "garbled": "I refuse to use the format."}
    executor = AgentExecutor()
    got = {}
    for name, text in answers.items():
        result = _run(executor, prompt, label, ScriptedEngine(tokenizer, lambda _p, t=text: t), tokenizer)
        got[name] = result
    assert [got[n]["reward"] for n in answers] == [1.0, -0.5, -1.0]
    out = json.loads(got["right"]["label"])["outcome"]
    assert out["correct"] and out["answer"] == "6"
    logs = got["right"]["extra_logs"]
    assert logs == {labels.GROUP_KEY: labels.group_id("solve", "deduction"), "azr_format_ok": 1.0}
    # The action span covers exactly the response tokens.
    start, end = got["right"]["action_ranges"][0]
    assert tokenizer.decode(got["right"]["observation_tokens"][start:end]) == answers["right"]


def test_proposals_are_validated_in_the_sandbox(tokenizer, referee):
    label = labels.make_label("propose", "abduction", references=[TASK], config=CONFIG)
    prompt = referee.proposer_prompt(BufferSet(("abduction",)), "abduction", np.random.default_rng(0)).prompt
    proposal = Task("abduction", "def f(s):\n    return s[::-1]", ("'abc'",), ("?",))
    cases = {"valid": propose_response(proposal), "banned": propose_response(
        Task("abduction", "import random\ndef f(a):\n    return random.random()", ("1",), ("?",))),
             "garbled": "no blocks at all"}
    executor = AgentExecutor()
    results = {n: _run(executor, prompt, label, ScriptedEngine(tokenizer, lambda _p, t=t: t), tokenizer)
               for n, t in cases.items()}
    valid = json.loads(results["valid"]["label"])["outcome"]
    assert valid["valid"] and Task.from_dict(valid["task"]).outputs == ("'cba'",)
    assert results["valid"]["reward"] == 0.0  # provisional until the trainer has the solve rate
    banned = json.loads(results["banned"]["label"])["outcome"]
    assert not banned["valid"] and banned["format_ok"] and results["banned"]["reward"] == -1.0
    garbled = json.loads(results["garbled"]["label"])["outcome"]
    assert not garbled["valid"] and not garbled["format_ok"]
    assert results["valid"]["extra_logs"][labels.GROUP_KEY] == labels.group_id("propose", "abduction")


def test_response_budget_is_max_tokens_not_the_whole_context(tokenizer, referee):
    prompt = referee.solver_prompt(TASK)
    engine = ScriptedEngine(tokenizer, lambda _p: "<think>" + "x" * 500)
    result = _run(AgentExecutor(), prompt, labels.make_label("solve", "deduction", task=TASK, config=CONFIG),
                  engine, tokenizer, max_length=8192, params=_params(max_tokens=64))
    start, end = result["action_ranges"][0]
    assert end - start == 64 and result["truncated"] and result["reward"] == -1.0
    assert engine.calls[0][1].max_tokens == 64


def test_concurrent_samples_do_not_block_the_loop(tokenizer, referee):
    """OpenRLHF gathers n executions per prompt on the engine's loop; slow checks must not stall it."""
    label = labels.make_label("propose", "deduction", references=[TASK], config=CONFIG)
    executor = AgentExecutor()
    engine = ScriptedEngine(tokenizer, lambda _p: propose_response(SLOW))

    async def main():
        ticks, done = 0, asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.005)

        tick = asyncio.create_task(ticker())
        results = await asyncio.gather(*(executor.execute("Propose.", label, _params(), 4096, tokenizer, engine)
                                         for _ in range(4)))  # fmt: skip
        done.set()
        await tick
        return results, ticks

    results, ticks = asyncio.run(main())
    assert all(json.loads(r["label"])["outcome"]["valid"] for r in results)
    assert ticks >= 10, f"event loop ticked {ticks} times during four sandboxed validations"


def test_results_become_openrlhf_experiences_with_group_ids(tokenizer, referee):
    label = labels.make_label("solve", "deduction", task=TASK, config=CONFIG)
    result = _run(AgentExecutor(), referee.solver_prompt(TASK), label,
                  ScriptedEngine(tokenizer, lambda _p: solve_response(TASK)), tokenizer,
                  params=_params(logprobs=1))  # fmt: skip
    exp = _experience(result)
    assert exp.rewards.tolist() == [1.0] and exp.info["reward"].tolist() == [1.0]
    assert exp.info[labels.GROUP_KEY].tolist() == [labels.group_id("solve", "deduction")]
    assert json.loads(exp.labels[0])["outcome"]["correct"]
    assert int(exp.action_mask.sum()) == exp.response_length.item()
    assert exp.rollout_log_probs.shape == exp.action_mask.shape


def test_tiny_cpu_model_engine(tokenizer, referee, tmp_path):
    """A real (random, 2-layer) causal LM behind the engine interface: gibberish, scored as bad format."""
    from azr_agents.micro import MicroModelConfig, build_micro_model

    model_dir = build_micro_model(tmp_path / "micro", MicroModelConfig(num_layers=2, hidden_size=64,
                                                                       intermediate_size=128))
    engine = MicroModelEngine(model_dir, tokenizer, max_tokens=16)
    label = labels.make_label("solve", "deduction", task=TASK, config=CONFIG)
    result = _run(AgentExecutor(), referee.solver_prompt(TASK), label, engine, tokenizer)
    start, end = result["action_ranges"][0]
    assert 0 < end - start <= 16
    assert result["reward"] == -1.0 and not json.loads(result["label"])["outcome"]["format_ok"]
