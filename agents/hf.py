"""Hugging Face transformers backend: real batched sampling on CPU or GPU, with token ids and log-probs.

The trainer uses this backend's `model` and `tokenizer` directly for the policy update, so a run on the micro
model and a run on a 7B model go through the same code. Sampling is done by `model.generate` with an explicit
generation config (the model's own defaults, such as `top_k=20` or a repetition penalty, are not applied: the
policy being trained must be exactly the distribution we sample from). Temperature and top-p are applied by our
own logits processor, which also records the log-prob of every sampled token under that distribution.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from azr_agents.base import Generation, check_sampling_args

from azr_env.errors import ConfigError


class _SampleAndRecord:
    """Logits processor: temperature + nucleus filtering, then records log p(sampled token) step by step.

    `generate` calls it before sampling step t with the tokens chosen up to t-1, so it gathers the previous
    step's log-prob row at the token that was actually chosen; `finish()` does the last step.
    """

    def __init__(self, temperature: float, top_p: float):
        self.temperature = temperature
        self.top_p = top_p
        self.prev: torch.Tensor | None = None
        self.steps: list[torch.Tensor] = []

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        if self.prev is not None:
            self.steps.append(self.prev.gather(1, input_ids[:, -1:]).squeeze(1).float().cpu())
        scores = scores.float()
        if self.temperature > 0:
            scores = scores / self.temperature
        if self.top_p < 1.0:
            sorted_scores, order = scores.sort(dim=-1, descending=True)
            cum = sorted_scores.softmax(dim=-1).cumsum(dim=-1)
            drop_sorted = (cum - sorted_scores.softmax(dim=-1)) >= self.top_p  # keep until mass reaches top_p
            drop = drop_sorted.scatter(1, order, drop_sorted)
            scores = scores.masked_fill(drop, float("-inf"))
        logp = torch.log_softmax(scores, dim=-1)
        self.prev = logp
        return logp

    def finish(self, sequences: torch.Tensor) -> torch.Tensor:
        """[B, steps] log-probs of the generated tokens (aligned with `sequences[:, -steps:]`)."""
        if self.prev is not None:
            self.steps.append(self.prev.gather(1, sequences[:, -1:]).squeeze(1).float().cpu())
        return torch.stack(self.steps, dim=1) if self.steps else torch.zeros(sequences.shape[0], 0)


def resolve_device(device: str) -> torch.device:
    """"auto" -> cuda when available, else cpu."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """"auto" -> bfloat16 on GPU, float32 on CPU."""
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    try:
        return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
    except KeyError:
        raise ConfigError(f"dtype={dtype!r}: use auto, float32, bfloat16 or float16") from None


class HFAgent:
    """An `Agent` backed by a transformers causal LM.

    Args:
        model: a model folder / hub id already on disk, or a loaded `PreTrainedModel`.
        tokenizer: a tokenizer, or None to load it from `model`'s folder.
        device: "auto", "cpu", "cuda", "cuda:1", ...
        dtype: "auto" (bf16 on GPU, fp32 on CPU), "float32", "bfloat16" or "float16".
        chat_template: apply the tokenizer's chat template to each (raw, user) prompt instead of sending the
            prompt text as is (the envs' R1 format is plain text, SPEC §1).
        batch_size: sequences generated together (prompts x n are flattened and chunked).
    """

    def __init__(
        self,
        model: str | Path | Any,
        tokenizer: Any | None = None,
        *,
        device: str = "auto",
        dtype: str = "auto",
        chat_template: bool = False,
        batch_size: int = 32,
    ):
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        if batch_size < 1:
            raise ConfigError(f"batch_size={batch_size} must be >= 1")
        self.device = resolve_device(device)
        if isinstance(model, (str, Path)):
            if not Path(model).exists():
                raise ConfigError(f"model folder {model} does not exist (azr-env never downloads models)")
            self.tokenizer = tokenizer or AutoTokenizer.from_pretrained(model)
            self.model = AutoModelForCausalLM.from_pretrained(model, dtype=resolve_dtype(dtype, self.device))
        else:
            if tokenizer is None:
                raise ConfigError("pass the tokenizer together with a loaded model")
            self.model, self.tokenizer = model, tokenizer
        self.model.to(self.device)
        self.tokenizer.padding_side = "left"
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self.chat_template = chat_template
        self.batch_size = batch_size
        eos = self.model.generation_config.eos_token_id or self.tokenizer.eos_token_id
        self.eos_ids: set[int] = set(eos if isinstance(eos, list) else [eos])

    def format_prompt(self, prompt: str) -> str:
        """The exact text the model is conditioned on (the chat template applied if enabled)."""
        if not self.chat_template:
            return prompt
        return self.tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
        )

    def encode_prompt(self, prompt: str) -> list[int]:
        """Token ids of the formatted prompt (no special tokens added beyond what the template writes)."""
        return self.tokenizer(self.format_prompt(prompt), add_special_tokens=False)["input_ids"]

    @torch.no_grad()
    def generate(
        self,
        prompts: list[str],
        *,
        n: int = 1,
        temperature: float = 1.0,
        top_p: float = 1.0,
        max_new_tokens: int = 512,
        stop: list[str] | None = None,
        seed: int | None = None,
    ) -> list[list[Generation]]:
        """Sample `n` responses per prompt; temperature 0 is greedy. `seed` reseeds torch's global RNG."""
        check_sampling_args(prompts, n, temperature, top_p, max_new_tokens)
        if seed is not None:
            torch.manual_seed(seed)
        encoded = [self.encode_prompt(p) for p in prompts]
        flat = [(i, ids) for i, ids in enumerate(encoded) for _ in range(n)]
        # Longest first keeps padding low inside each chunk; results go back to their slots.
        order = sorted(range(len(flat)), key=lambda k: -len(flat[k][1]))
        results: list[Generation | None] = [None] * len(flat)
        was_training = self.model.training
        self.model.eval()
        try:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                gens = self._generate_chunk([flat[k][1] for k in chunk], temperature, top_p, max_new_tokens, stop)
                for k, g in zip(chunk, gens):
                    results[k] = g
        finally:
            self.model.train(was_training)
        out: list[list[Generation]] = [[] for _ in prompts]
        for (i, _), g in zip(flat, results):
            out[i].append(g)  # type: ignore[arg-type]
        return out

    def _generate_chunk(
        self, prompt_ids: list[list[int]], temperature: float, top_p: float, max_new_tokens: int,
        stop: list[str] | None,
    ) -> list[Generation]:
        from transformers import GenerationConfig, LogitsProcessorList

        width = max(len(p) for p in prompt_ids)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.tensor([[pad] * (width - len(p)) + p for p in prompt_ids], device=self.device)
        attention = torch.tensor([[0] * (width - len(p)) + [1] * len(p) for p in prompt_ids], device=self.device)
        # Explicit values so the model's generation_config.json (top_k, repetition penalty) cannot leak in.
        sampling = {"temperature": 1.0, "top_p": 1.0, "top_k": 0} if temperature > 0 else {}
        config = GenerationConfig(
            do_sample=temperature > 0, repetition_penalty=1.0, max_new_tokens=max_new_tokens, pad_token_id=pad,
            eos_token_id=sorted(self.eos_ids), stop_strings=stop or None, **sampling,
        )
        recorder = _SampleAndRecord(temperature, top_p)
        extra = {"tokenizer": self.tokenizer} if stop else {}
        sequences = self.model.generate(
            input_ids=input_ids, attention_mask=attention, generation_config=config,
            logits_processor=LogitsProcessorList([recorder]), **extra,
        )
        new_tokens = sequences[:, width:].cpu()
        logprobs = recorder.finish(sequences)
        return [
            self._to_generation(prompt_ids[b], new_tokens[b].tolist(), logprobs[b].tolist(), stop, max_new_tokens)
            for b in range(len(prompt_ids))
        ]

    def _to_generation(
        self, prompt_ids: list[int], tokens: list[int], logprobs: list[float], stop: list[str] | None,
        max_new_tokens: int,
    ) -> Generation:
        """Trim padding after the end, keep EOS as the last token (training must learn to stop)."""
        finish = "length"
        end = len(tokens)
        for t, tok in enumerate(tokens):
            if tok in self.eos_ids:
                end, finish = t + 1, "stop"
                break
        tokens, logprobs = tokens[:end], logprobs[:end]
        text = self.tokenizer.decode([t for t in tokens if t not in self.eos_ids], skip_special_tokens=True)
        if stop:
            cuts = [i for i in (text.find(s) for s in stop if s) if i >= 0]
            if cuts and finish != "stop":
                # Shortest token prefix whose text contains the stop string (monotone: bisect).
                lo, hi = 1, len(tokens)
                while lo < hi:
                    mid = (lo + hi) // 2
                    decoded = self.tokenizer.decode(tokens[:mid], skip_special_tokens=True)
                    lo, hi = (lo, mid) if any(s in decoded for s in stop if s) else (mid + 1, hi)
                tokens, logprobs = tokens[:lo], logprobs[:lo]
                finish = "stop"
            if cuts:
                text = text[: min(cuts)]
        if finish == "length" and len(tokens) < max_new_tokens:
            finish = "stop"
        return Generation(text=text, token_ids=tokens, logprobs=logprobs, prompt_token_ids=list(prompt_ids),
                          finish_reason=finish)

    def __repr__(self) -> str:
        return f"HFAgent({self.model.name_or_path!r}, device={self.device}, chat_template={self.chat_template})"
