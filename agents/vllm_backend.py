"""vLLM backend (GPU): fast sampling for real models; imported lazily so the package works without vLLM.

Returns token ids and sampled-token log-probs like the HF backend. For training, the trainer pushes updated
weights into the vLLM engine with `load_weights` (same process, one GPU), see docs/trainer.md.
"""

from __future__ import annotations

from typing import Any

from azr_agents.base import Generation, check_sampling_args

from azr_env.errors import require


class VLLMAgent:
    """An `Agent` backed by `vllm.LLM`.

    Args:
        model: model folder (never downloaded by azr-env; a hub id works only if vLLM can reach the hub).
        chat_template: apply the tokenizer's chat template to each prompt (as the HF backend does).
        **llm_kwargs: passed to `vllm.LLM` (e.g. gpu_memory_utilization=0.5, dtype="bfloat16").
    """

    def __init__(self, model: str, *, chat_template: bool = False, **llm_kwargs: Any):
        vllm = require("vllm", "vllm", "the vLLM backend")
        self._vllm = vllm
        self.llm = vllm.LLM(model=str(model), **llm_kwargs)
        self.tokenizer = self.llm.get_tokenizer()
        self.chat_template = chat_template

    def format_prompt(self, prompt: str) -> str:
        if not self.chat_template:
            return prompt
        return self.tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=False
        )

    def load_weights(self, named_tensors: Any) -> None:
        """Copy trainer weights into the engine (iterable of (name, tensor)); API of vLLM >= 0.6."""
        engine = self.llm.llm_engine
        executor = getattr(engine, "model_executor", None)
        if executor is not None and hasattr(executor, "driver_worker"):
            executor.driver_worker.model_runner.model.load_weights(named_tensors)
        else:
            self.llm.collective_rpc("load_weights", args=(list(named_tensors),))

    def generate(
        self, prompts: list[str], *, n: int = 1, temperature: float = 1.0, top_p: float = 1.0,
        max_new_tokens: int = 512, stop: list[str] | None = None, seed: int | None = None,
    ) -> list[list[Generation]]:
        check_sampling_args(prompts, n, temperature, top_p, max_new_tokens)
        params = self._vllm.SamplingParams(
            n=n, temperature=temperature, top_p=top_p, top_k=-1, max_tokens=max_new_tokens, stop=stop, seed=seed,
            logprobs=0,
        )
        outputs = self.llm.generate([self.format_prompt(p) for p in prompts], params, use_tqdm=False)
        result = []
        for out in outputs:
            gens = []
            for c in out.outputs:
                lps = None
                if c.logprobs is not None:
                    lps = [step[tok].logprob for step, tok in zip(c.logprobs, c.token_ids)]
                gens.append(Generation(text=c.text, token_ids=list(c.token_ids), logprobs=lps,
                                       prompt_token_ids=list(out.prompt_token_ids or []),
                                       finish_reason=c.finish_reason))
            result.append(gens)
        return result
