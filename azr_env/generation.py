"""The one agent interface the envs, the self-play step and the trainers talk to (docs/CONTRACTS.md, "Agents").

It lives in `azr_env` (the lowest layer) so the step can take an agent without importing `azr_agents`;
`azr_agents.base` re-exports it.

An agent turns complete text prompts into `n` sampled responses each. Training backends also return the
response token ids and their log-probs under the sampling policy, which the PPO ratio needs; other backends
leave them `None`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from azr_env.errors import ConfigError


@dataclass
class Generation:
    """One sampled response.

    Attributes:
        text: the decoded response (stop strings and end-of-sequence removed).
        token_ids: response token ids, where the backend has them (training needs them).
        logprobs: log-prob of each response token under the sampling distribution, aligned with `token_ids`.
        prompt_token_ids: the tokenised prompt, where the backend has it.
        finish_reason: "stop" (EOS or a stop string), "length" (hit `max_new_tokens`) or None if unknown.
    """

    text: str
    token_ids: list[int] | None = None
    logprobs: list[float] | None = None
    prompt_token_ids: list[int] | None = None
    finish_reason: str | None = None


@runtime_checkable
class Agent(Protocol):
    """Anything with a batched `generate`; returns one list of `n` generations per prompt, in prompt order."""

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
    ) -> list[list[Generation]]: ...


def check_sampling_args(prompts: list[str], n: int, temperature: float, top_p: float, max_new_tokens: int) -> None:
    """Shared argument checks so every backend rejects the same bad values with the same message."""
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        raise ConfigError(f"prompts must be a list of str, got {type(prompts).__name__}")
    if n < 1:
        raise ConfigError(f"n={n} must be >= 1")
    if temperature < 0:
        raise ConfigError(f"temperature={temperature} must be >= 0 (0 means greedy)")
    if not 0 < top_p <= 1:
        raise ConfigError(f"top_p={top_p} must be in (0, 1]")
    if max_new_tokens < 1:
        raise ConfigError(f"max_new_tokens={max_new_tokens} must be >= 1")


def truncate_at_stop(text: str, stop: list[str] | None) -> tuple[str, bool]:
    """Cut `text` at the earliest stop string (excluded, as OpenAI servers do); returns (text, stopped)."""
    if not stop:
        return text, False
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


class CallableAgent:
    """Wraps a plain `list[str] -> list[str]` function; `n` samples are obtained by calling it `n` times.

    Sampling arguments other than `n` and `stop` are ignored: the function decides how it answers.
    """

    def __init__(self, fn: Callable[[list[str]], list[str]]):
        self.fn = fn

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
        check_sampling_args(prompts, n, temperature, top_p, max_new_tokens)
        out: list[list[Generation]] = [[] for _ in prompts]
        for _ in range(n):
            texts = list(self.fn(list(prompts)))
            if len(texts) != len(prompts):
                raise ConfigError(
                    f"agent callable returned {len(texts)} responses for {len(prompts)} prompts; "
                    "it must return exactly one str per prompt"
                )
            for slot, text in zip(out, texts):
                if not isinstance(text, str):
                    raise ConfigError(f"agent callable returned {type(text).__name__}, expected str")
                cut, stopped = truncate_at_stop(text, stop)
                slot.append(Generation(text=cut, finish_reason="stop" if stopped else None))
        return out

    def __repr__(self) -> str:
        return f"CallableAgent({getattr(self.fn, '__name__', self.fn)!r})"


def as_agent(obj: object) -> Agent:
    """Return `obj` itself if it is an Agent, wrap a callable `list[str] -> list[str]`, else raise ConfigError."""
    if isinstance(obj, Agent):
        return obj
    if callable(obj):
        return CallableAgent(obj)  # type: ignore[arg-type]
    raise ConfigError(
        f"cannot use {type(obj).__name__} as an agent: pass an object with a batched generate(prompts, n=...) "
        "method (azr_agents.Agent) or a callable list[str] -> list[str]"
    )
