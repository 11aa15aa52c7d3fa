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
from collections.abc import Callable

import torch
from vllm.logprobs import Logprob
from vllm.outputs import CompletionOutput, RequestOutput


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
