"""Model names and agent construction shared by the CLI commands (`azr serve`, `azr selfplay`, evals).

A model is the name "cpu-micro" (the cached micro model, built on first use), "cpu-micro-habit" (its positive
control for the learning evidence, docs/trainer.md) or a local folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azr_env.errors import ConfigError

BACKENDS = ("hf", "vllm", "openai", "random", "oracle")


def resolve_model(model: str, cache_dir: str | None = None) -> Path:
    """"cpu-micro" / "cpu-micro-habit" -> the cached micro model folders; anything else must be a folder."""
    if model == "cpu-micro":
        from azr_agents.micro import micro_model_path

        return micro_model_path(cache_dir)
    if model == "cpu-micro-habit":
        from azr_agents.micro import habit_model_path

        return habit_model_path(cache_dir)
    path = Path(model).expanduser()
    if not path.exists():
        raise ConfigError(
            f"model {model!r} is neither 'cpu-micro', 'cpu-micro-habit' nor an existing folder (no hub downloads)"
        )
    return path


def make_agent(backend: str, model: str = "cpu-micro", **kwargs: Any) -> Any:
    """Build an agent by backend name; `kwargs` go to the backend's constructor.

    hf/vllm: `model` is resolved by `resolve_model`; openai: `model` is the server's model name and
    `base_url` is required; random/oracle: no model.
    """
    if backend == "hf":
        from azr_agents.hf import HFAgent

        return HFAgent(resolve_model(model, kwargs.pop("cache_dir", None)), **kwargs)
    if backend == "vllm":
        from azr_agents.vllm_backend import VLLMAgent

        return VLLMAgent(str(resolve_model(model, kwargs.pop("cache_dir", None))), **kwargs)
    if backend == "openai":
        from azr_agents.http_client import OpenAIAgent

        if "base_url" not in kwargs:
            raise ConfigError("backend 'openai' needs base_url, e.g. http://127.0.0.1:8000/v1")
        return OpenAIAgent(model=model, **kwargs)
    if backend == "random":
        from azr_agents.scripted import RandomAgent

        return RandomAgent(**kwargs)
    if backend == "oracle":
        from azr_agents.scripted import OracleAgent

        return OracleAgent(**kwargs)
    raise ConfigError(f"unknown backend {backend!r}; known: {', '.join(BACKENDS)}")
