"""The `azr` lm-eval model: any azr agent backend (HF, vLLM, OpenAI-compatible HTTP, scripted) behind lm-eval's
`generate_until`. Prompts are wrapped like `azr eval` wraps them (R1 template by default, or raw/chat).

Model args (`--model_args key=value,...`): backend (hf | vllm | openai | random), model, base_url,
prompt_format (r1 | raw | chat), batch_size, seed; lm-eval's `--device` goes to the HF backend. With backend
openai, chat format uses the `/v1/chat/completions` route (as `azr eval` does), and api_key (default
$OPENAI_API_KEY), system_prompt, concurrency, max_retries, timeout_s are the server options.
Log-likelihood requests are not supported: the agent interface only generates.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from lm_eval.api.model import LM
from lm_eval.api.registry import register_model

from azr_env.errors import ConfigError


@register_model("azr")
class AZRLM(LM):
    def __init__(self, backend: str = "hf", model: str = "cpu-micro", prompt_format: str = "r1",
                 batch_size: int | str = 16, seed: int = 0, agent: Any = None, base_url: str | None = None,
                 max_gen_toks: int = 16000, device: str | None = None, max_batch_size: Any = None,
                 **kwargs: Any) -> None:
        super().__init__()
        if prompt_format not in ("r1", "raw", "chat"):
            raise ConfigError(f"prompt_format={prompt_format!r}; choose r1, raw or chat")
        self.prompt_format, self.seed, self.max_gen_toks = prompt_format, int(seed), int(max_gen_toks)
        self.batch_size = int(batch_size) if str(batch_size).isdigit() else 16
        if agent is None and backend == "openai":
            import os

            from azr_evals.backends import build_agent

            types = {"system_prompt": str, "concurrency": int, "max_retries": int, "timeout_s": float}
            info = {"backend": "openai", "model": model, "base_url": base_url,
                    **{k: types[k](kwargs[k]) for k in types if kwargs.get(k) is not None}}
            agent = build_agent(info, prompt_format,
                                api_key=kwargs.get("api_key") or os.environ.get("OPENAI_API_KEY") or None)
        if agent is None:
            from azr_agents.models import make_agent
            from azr_evals.backends import check_backend

            check_backend(backend)  # the oracle answers only its own AZR tasks: 0 % here, so it is refused
            options = dict(kwargs)
            if base_url:
                options["base_url"] = base_url
            if backend in ("hf", "vllm") and prompt_format == "chat":
                options["chat_template"] = True
            if backend == "hf" and device:  # lm-eval's --device; other backends place themselves
                options["device"] = device
            agent = make_agent(backend, model, **options)
        self.agent = agent

    def _wrap(self, context: str) -> str:
        from azr_env.tasks import format_prompt

        return format_prompt(context, "r1" if self.prompt_format == "r1" else "raw")

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        """Batch requests sharing generation settings; greedy unless `do_sample`/`temperature` ask otherwise."""
        outputs: list[str | None] = [None] * len(requests)
        groups: dict[str, list[int]] = defaultdict(list)
        for index, request in enumerate(requests):
            groups[repr(sorted(request.args[1].items()))].append(index)
        for indices in groups.values():
            settings = dict(requests[indices[0]].args[1])
            until = settings.get("until") or None
            until = [until] if isinstance(until, str) else until
            temperature = float(settings.get("temperature", 0.0)) if settings.get("do_sample", False) else 0.0
            for start in range(0, len(indices), self.batch_size):
                chunk = indices[start : start + self.batch_size]
                prompts = [self._wrap(requests[i].args[0]) for i in chunk]
                gens = self.agent.generate(prompts, n=1, temperature=temperature,
                                           max_new_tokens=int(settings.get("max_gen_toks", self.max_gen_toks)),
                                           stop=until, seed=self.seed)
                for i, gen in zip(chunk, gens):
                    outputs[i] = getattr(gen[0], "text", gen[0])
        return [o or "" for o in outputs]

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        raise NotImplementedError("the azr model only generates: use generate_until tasks (e.g. amc23_azr)")

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        raise NotImplementedError("the azr model only generates: use generate_until tasks (e.g. amc23_azr)")
