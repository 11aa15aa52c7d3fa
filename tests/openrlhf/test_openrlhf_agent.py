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


# ---- issue 14 item 7: one exception must not end the run ---------------------------------------------------------
def test_an_agent_that_raises_gives_minus_one_samples_with_the_reason(tokenizer, monkeypatch, caplog):
    """OpenRLHF gathers a prompt's samples without return_exceptions: a raising agent would kill the engine call.
    Proposals meet a closed (real) executor, which raises on every program; answers meet a scorer that raises.
    Each sample becomes a -1 sample saying why, and each error is logged."""
    from azr_agents.openrlhf import agent
    from azr_agents.openrlhf.bridge import AsyncReferee

    from azr_env.executor import Executor

    class ExplodingScorer(AsyncReferee):
        async def score(self, task, response, *, mode="train"):
            raise RuntimeError("scorer exploded")

    broken = Executor(1, 5.0, 256)
    broken.close()
    monkeypatch.setattr(agent, "referee_for", lambda row: ExplodingScorer(RoundConfig(), executors=(broken, broken)))
    executor = AgentExecutor()
    solve = labels.make_label("solve", "deduction", task=TASK, config=CONFIG)
    propose = labels.make_label("propose", "deduction", references=[TASK], config=CONFIG)

    async def generate_responses(label, text, n=3):  # what OpenRLHF's RolloutRayActor.generate_responses does
        engine = ScriptedEngine(tokenizer, lambda _p: text)
        return await asyncio.gather(*(executor.execute("Q", label, _params(), 4096, tokenizer, engine)
                                      for _ in range(n)))  # fmt: skip

    with caplog.at_level("ERROR", logger="azr_agents.openrlhf.agent"):
        results = asyncio.run(generate_responses(propose, propose_response(TASK)))
        results += asyncio.run(generate_responses(solve, solve_response(TASK), n=2))
    assert len(results) == 5 and [r["reward"] for r in results] == [-1.0] * 5
    details = []
    for result in results:
        out = json.loads(result["label"])["outcome"]
        assert out["reason"] == "agent_error" and not out["valid"] and not out["correct"]
        details.append(out["detail"])
        exp = _experience(result)  # still a well-formed OpenRLHF sample
        assert exp.rewards.tolist() == [-1.0] and labels.GROUP_KEY in exp.info
    assert all("ExecutorClosedError" in d for d in details[:3]) and all("scorer exploded" in d for d in details[3:])
    assert sum("AZR agent error" in r.getMessage() for r in caplog.records) == 5


def test_a_required_sandbox_that_is_missing_is_an_error_not_a_sample(tokenizer, monkeypatch):
    """Labels from the trainer ask for bubblewrap (issue 14 item 3): a node without it fails loudly instead of
    running model code in the fallback sandbox, and this error is not turned into -1 samples (item 7)."""
    from azr_env.errors import SandboxUnavailableError
    from azr_env.sandbox import isolation

    monkeypatch.setattr(isolation, "bwrap_works", lambda: False)
    config = labels.config_to_json(RoundConfig(task=TaskConfig(timeout_s=5.0), workers=1, memory_mb=640), "bwrap")
    assert labels.isolation_of({"config": config}) == "bwrap"
    label = labels.make_label("solve", "deduction", task=TASK, config=config)
    engine = ScriptedEngine(tokenizer, lambda _p: solve_response(TASK))
    with pytest.raises(SandboxUnavailableError, match="bubblewrap"):
        _run(AgentExecutor(), "Q", label, engine, tokenizer)


# ---- issue 14 item 9: Llama prompts without BOS ------------------------------------------------------------------
def test_prompts_get_the_bos_token_when_the_tokenizer_adds_one(referee):
    """OpenRLHF tokenizes observations with add_special_tokens=False; Llama's tokenizer adds BOS by default."""
    from azr_agents.micro import build_byte_tokenizer
    from tokenizers import processors

    llama_like = build_byte_tokenizer()
    bos = llama_like.bos_token_id
    llama_like._tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{llama_like.bos_token} $A", special_tokens=[(llama_like.bos_token, bos)])
    label = labels.make_label("solve", "deduction", task=TASK, config=CONFIG)
    prompt = referee.solver_prompt(TASK)
    for text in (prompt, llama_like.bos_token + prompt):  # added once, never twice
        result = _run(AgentExecutor(), text, label, ScriptedEngine(llama_like, lambda _p: solve_response(TASK)),
                      llama_like)  # fmt: skip
        tokens = result["observation_tokens"]
        assert tokens[0] == bos and tokens[1] != bos and result["reward"] == 1.0
    qwen_like = build_byte_tokenizer()  # no BOS by default (as Qwen2.5): prompts unchanged
    result = _run(AgentExecutor(), prompt, label, ScriptedEngine(qwen_like, lambda _p: solve_response(TASK)),
                  qwen_like)  # fmt: skip
    assert result["observation_tokens"][0] != qwen_like.bos_token_id
