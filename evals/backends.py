"""Which agents can be evaluated, and building one from its recorded description (`azr eval`, `--reproduce`).

A results file records the agent as a small dict (backend, model, server URL and options; never an API key), so
`azr eval --reproduce results.json` can rebuild the same agent. The "oracle" backend is refused: it answers only
the AZR tasks it proposed itself, so on a benchmark it would score 0 % without saying why.
"""

from __future__ import annotations

from typing import Any

from azr_env.errors import ConfigError

EVAL_BACKENDS = ("hf", "vllm", "openai", "random")
# Server options of the openai backend when none were recorded (long generations: generous timeout).
OPENAI_DEFAULTS = {"concurrency": 8, "max_retries": 3, "timeout_s": 600.0}


def check_backend(backend: str) -> None:
    """Raise a one-line ConfigError for a backend `azr eval` cannot use."""
    if backend == "oracle":
        raise ConfigError("--backend oracle cannot be evaluated: it only answers AZR tasks it proposed itself, so "
                          f"every benchmark problem would score 0 %. Use one of {', '.join(EVAL_BACKENDS)}")
    if backend not in EVAL_BACKENDS:
        raise ConfigError(f"unknown backend {backend!r} for azr eval; choose one of {', '.join(EVAL_BACKENDS)}")


def build_agent(info: dict[str, Any], prompt_format: str, *, api_key: str | None = None) -> Any:
    """An agent from its description: `backend`, `model`, and for openai `base_url`, `system_prompt`,
    `concurrency`, `max_retries`, `timeout_s`. Chat format selects the chat template (hf/vllm) or the
    `/chat/completions` route (openai); r1/raw send text to `/completions`."""
    from azr_agents.models import make_agent

    backend = info.get("backend") or "hf"
    check_backend(backend)
    system_prompt = info.get("system_prompt")
    if system_prompt is not None and (backend != "openai" or prompt_format != "chat"):
        raise ConfigError("--system-prompt needs --backend openai with --prompt-format chat (the chat route)")
    if backend in ("hf", "vllm", "openai") and not info.get("model"):
        raise ConfigError(f"--backend {backend} needs --model")
    kwargs: dict[str, Any] = {}
    if backend == "openai":
        if not info.get("base_url"):
            raise ConfigError("--backend openai needs --base-url: the server's URL including /v1, "
                              "e.g. http://127.0.0.1:8000/v1")
        kwargs = {"base_url": info["base_url"], "mode": "chat" if prompt_format == "chat" else "completions",
                  "api_key": api_key, "system_prompt": system_prompt}
        kwargs |= {k: info.get(k) if info.get(k) is not None else v for k, v in OPENAI_DEFAULTS.items()}
    elif backend in ("hf", "vllm") and prompt_format == "chat":
        kwargs["chat_template"] = True
    return make_agent(backend, info.get("model") or "cpu-micro", **kwargs)
