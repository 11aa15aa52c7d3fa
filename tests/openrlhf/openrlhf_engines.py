"""Engines for the CPU tests: OpenRLHF's engine interface without vLLM's CUDA engine.

OpenRLHF's agent executors call `await llm_engine.generate(prompt_token_ids, sampling_params,
multi_modal_data=None)` on its `RolloutRayActor` and read `.outputs[0].token_ids / .text / .finish_reason /
.logprobs` from the vLLM `RequestOutput` it returns. These engines implement exactly that call and return
vLLM's own `RequestOutput` / `CompletionOutput` / `Logprob` objects (vLLM's Python package is installed;
only its CUDA engine is not).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Callable

import torch
from azr_agents.responses import propose_response, solve_response
from vllm.logprobs import Logprob
from vllm.outputs import CompletionOutput, RequestOutput

from azr_env.tasks.base import Task


def _request_output(prompt_ids: list[int], ids: list[int], text: str, finish: str, logprobs) -> RequestOutput:
    completion = CompletionOutput(0, text, ids, None, logprobs, finish_reason=finish)
    return RequestOutput(uuid.uuid4().hex, None, list(prompt_ids), None, [completion], True)


class ScriptedEngine:
    """Answers each prompt with `respond(prompt_text)`, tokenized and cut at `sampling_params.max_tokens`."""

    def __init__(self, tokenizer, respond: Callable[[str], str]) -> None:
        self.tokenizer = tokenizer
        self.respond = respond
        self.calls: list[tuple[str, object]] = []

    async def generate(self, prompt_token_ids, sampling_params, multi_modal_data=None) -> RequestOutput:
        prompt = self.tokenizer.decode(prompt_token_ids)
        self.calls.append((prompt, sampling_params))
        await asyncio.sleep(0)  # a real engine yields to the loop while it generates
        ids = self.tokenizer(text=self.respond(prompt), add_special_tokens=False)["input_ids"]
        budget = sampling_params.max_tokens
        finish = "length" if budget is not None and len(ids) > budget else "stop"
        ids = ids[:budget] if budget is not None else ids
        logprobs = [{t: Logprob(-0.25)} for t in ids] if sampling_params.logprobs is not None else None
        return _request_output(prompt_token_ids, ids, self.tokenizer.decode(ids), finish, logprobs)


class MicroModelEngine:
    """Samples from a tiny Hugging Face causal LM on CPU (azr_agents.micro), off the event loop."""

    def __init__(self, model_dir, tokenizer, max_tokens: int = 24) -> None:
        from transformers import AutoModelForCausalLM

        self.model = AutoModelForCausalLM.from_pretrained(model_dir).eval()
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens

    def _sample(self, prompt_ids: list[int], budget: int, temperature: float) -> list[int]:
        with torch.no_grad():
            out = self.model.generate(torch.tensor([prompt_ids]), max_new_tokens=budget, do_sample=True,
                                      temperature=max(temperature, 1e-3), top_k=0,
                                      pad_token_id=self.tokenizer.pad_token_id)  # fmt: skip
        return out[0, len(prompt_ids):].tolist()

    async def generate(self, prompt_token_ids, sampling_params, multi_modal_data=None) -> RequestOutput:
        budget = min(self.max_tokens, sampling_params.max_tokens or self.max_tokens)
        ids = await asyncio.to_thread(self._sample, list(prompt_token_ids), budget, sampling_params.temperature)
        finish = "length" if len(ids) >= budget else "stop"
        return _request_output(prompt_token_ids, ids, self.tokenizer.decode(ids), finish, None)


class _Remote:
    """`obj.method.remote(...)` for an in-process object: runs now, returns a Ray object ref of the result."""

    def __init__(self, fn: Callable) -> None:
        self.fn = fn

    def remote(self, *args, **kwargs):
        import ray

        return ray.put(self.fn(*args, **kwargs))


class EngineActor:
    """Stands in for OpenRLHF's `RolloutRayActor` (a vLLM engine in a Ray actor, which needs CUDA).

    Its `generate_responses` does what OpenRLHF's does (n concurrent `executor.execute` calls with the engine
    itself as `llm_engine`), with the agent loaded by OpenRLHF's own `_load_agent_executor`; generation is a
    `ScriptedEngine` answering through `respond(prompt_text, label_row)`.
    """

    def __init__(self, agent_path: str, tokenizer, respond: Callable[[str, dict], str]) -> None:
        from azr_agents.openrlhf.labels import parse_label
        from openrlhf.trainer.ray.vllm_engine import _load_agent_executor

        self.executor = _load_agent_executor(agent_path)
        self.rows: dict[str, dict] = {}
        self.engine = ScriptedEngine(tokenizer, lambda prompt: respond(prompt, self.rows[prompt]))
        self.calls: list[str] = []
        self.awake = True  # an engine without sleep mode is always awake
        self.asleep_generations = 0
        self._parse = parse_label
        for name in ("generate_responses", "get_num_unfinished_requests", "wake_up", "sleep"):
            setattr(self, name, _Remote(getattr(self, f"_{name}")))

    def _generate_responses(self, prompt, label, sampling_params, max_length, hf_tokenizer, num_samples=1,
                            images=None):  # fmt: skip
        self.rows[prompt] = self._parse(label)
        self.asleep_generations += not self.awake

        async def run():
            return await asyncio.gather(*(self.executor.execute(prompt=prompt, label=label,
                                                                sampling_params=sampling_params,
                                                                max_length=max_length, hf_tokenizer=hf_tokenizer,
                                                                llm_engine=self.engine, images=images)
                                          for _ in range(num_samples)))  # fmt: skip

        return asyncio.run(run())

    def _get_num_unfinished_requests(self) -> int:
        return 0

    def _wake_up(self, tags=None) -> None:
        self.calls.append("wake_up")
        self.awake = True

    def _sleep(self, level: int = 1) -> None:
        self.calls.append("sleep")
        self.awake = False


class ActorGroup:
    """Stands in for OpenRLHF's DeepSpeed policy `RayActorGroup` (GPU training): fixed log-probs, records calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.appended: list = []

    def async_run_method_batch(self, method_name: str, **kwargs):
        import ray

        self.calls.append(method_name)
        if method_name == "forward":
            return [ray.put([torch.full(m.shape, -1.0)]) for m in kwargs["action_mask"]]
        if method_name == "append":
            self.appended.extend(kwargs["experience"])
        return [ray.put(None)]

    def async_run_method(self, method_name: str, **kwargs):
        import ray

        self.calls.append(method_name)
        if method_name == "fit":
            return [ray.put({"policy_loss": 0.125, "actor_lr": 1e-6})]
        return [ray.put(None)]


class Oracle:
    """A scripted policy: solves every other attempt at a prompt, proposes fresh tasks, garbles every 4th proposal.

    It reads the request from the label row (given, or registered under the prompt text beforehand).
    """

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}
        self.attempts: Counter = Counter()
        self.proposals = 0

    def __call__(self, prompt: str, row: dict | None = None) -> str:
        row = row or self.rows[prompt]
        if row["role"] == "solve":
            self.attempts[prompt] += 1
            task = Task.from_dict(row["task"])
            return solve_response(task) if self.attempts[prompt] % 2 == 1 else "<think>t</think><answer>no</answer>"
        self.proposals += 1
        k = self.proposals
        if k % 4 == 0:
            return "I will not propose anything."
        if row["task_type"] == "induction":
            program = row["references"][0]["program"]
            inputs = tuple(f"'in{k}_{j}'" for j in range(10))
            return propose_response(Task("induction", program, inputs, inputs, message="echo"))
        return propose_response(Task(row["task_type"], f"def f(a):\n    return a + {k}", (str(k),), ("?",)))
