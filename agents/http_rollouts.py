"""Trainer rollouts from an OpenAI-compatible server (`rollout_backend: http`) and the weight sync to it.

Why a wrapper around `OpenAIAgent`: the trainer trains on token ids and a server returns text. The prompt ids are
the local HF policy's own encoding (`HFAgent.encode_prompt`, chat template included, sent as text in completions
mode) and the response is re-tokenised (`policy.response_ids_from_text`). After each update `sync` makes the
server sample from the new weights: save them to disk, then POST the folder to `<root>/update_weights_from_disk`
with `{"model_path": ...}` — SGLang's native endpoint and body, also offered by `azr serve`. vLLM's OpenAI server
has no such endpoint: use weight_sync "none" there (off-policy), or serve with SGLang / `azr serve`.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from azr_agents.base import Generation, as_agent
from azr_agents.http_client import BackendUnavailableError, OpenAIAgent
from azr_agents.policy import response_ids_from_text

from azr_env.errors import ConfigError

WEIGHT_SYNC = ("reload", "none")


def served_model_name(base_url: str, timeout_s: float = 30.0) -> str:
    """The first model the server lists at GET /v1/models (SGLang and vLLM list the one model they serve)."""
    import httpx

    url = f"{base_url.rstrip('/')}/models"
    try:
        resp = httpx.get(url, timeout=timeout_s)
        resp.raise_for_status()
        return str(resp.json()["data"][0]["id"])
    except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise BackendUnavailableError(
            f"cannot read the served model name from {url} ({type(exc).__name__}: {exc}); is the server up? "
            "Or set rollout_model"
        ) from exc


def fill_token_ids(policy: Any, prompts: list[str], out: list[list[Generation]]) -> list[list[Generation]]:
    """Give text-only generations the token ids the local policy trains on (its prompt encoding, re-tokenised
    responses); generations that already carry ids are left as they are."""
    for prompt, gens in zip(prompts, out):
        prompt_ids = policy.encode_prompt(prompt)
        for g in gens:
            if g.token_ids is None:
                g.prompt_token_ids = list(prompt_ids)
                g.token_ids = response_ids_from_text(policy.tokenizer, g.text, g.finish_reason)
    return out


class ExternalRollouts:
    """The trainer's sampler when the user brings one (`trainer.main(config, sampler=...)`): any `Agent` or a
    plain `list[str] -> list[str]` callable samples, the local policy is trained on the re-tokenised texts.

    Off-policy unless the sampler follows the policy's weights: the PPO ratio then corrects nothing (old log-probs
    are the local policy's), so use it for frozen teachers, scripted agents and experiments, not as a fast path.
    """

    def __init__(self, sampler: Any, policy: Any):
        self.agent, self.policy = as_agent(sampler), policy

    def generate(self, prompts: list[str], **options: Any) -> list[list[Generation]]:
        return fill_token_ids(self.policy, prompts, self.agent.generate(prompts, **options))

    def __repr__(self) -> str:
        return f"ExternalRollouts({self.agent!r})"


class HTTPRollouts:
    """An `Agent` for the trainer: samples on a server, returns token ids of the local policy's tokenizer.

    Args:
        base_url: server root including `/v1`.
        model: model name the server expects (None: `served_model_name(base_url)`).
        policy: the local `HFAgent` being trained (its tokenizer and prompt format).
        weights_dir: where `sync` saves the weights the server reloads (the server must be able to read it).
        weight_sync: "reload" or "none" (`sync` does nothing: the server's weights stay fixed).
        reload_timeout_s: how long the server may take to load new weights.
        **agent_kwargs: passed to `OpenAIAgent` (concurrency, timeout_s, ...; its defaults otherwise).
    """

    def __init__(self, base_url: str, model: str | None, policy: Any, weights_dir: str | Path, *,
                 weight_sync: str = "reload", reload_timeout_s: float = 600.0, **agent_kwargs: Any):
        if weight_sync not in WEIGHT_SYNC:
            raise ConfigError(f"weight_sync={weight_sync!r}: choose one of {WEIGHT_SYNC}")
        base_url = base_url.rstrip("/")
        if not base_url.endswith("/v1"):
            raise ConfigError(f"base_url={base_url!r}: give the server root including /v1")
        self.client = OpenAIAgent(base_url, model or served_model_name(base_url), mode="completions", **agent_kwargs)
        self.policy, self.weight_sync, self.reload_timeout_s = policy, weight_sync, reload_timeout_s
        self.weights_dir = Path(weights_dir).resolve()
        self.reload_url = f"{base_url[: -len('/v1')]}/update_weights_from_disk"

    def generate(
        self, prompts: list[str], *, n: int = 1, temperature: float = 1.0, top_p: float = 1.0,
        max_new_tokens: int = 512, stop: list[str] | None = None, seed: int | None = None,
    ) -> list[list[Generation]]:
        """Sample on the server; fill in prompt and response token ids as the local policy tokenises them."""
        texts = [self.policy.format_prompt(p) for p in prompts]
        out = self.client.generate(texts, n=n, temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens,
                                   stop=stop, seed=seed)
        return fill_token_ids(self.policy, prompts, out)  # OpenAIAgent returns text only: re-tokenised here

    def sync(self, model: Any, tokenizer: Any) -> None:
        """Make the server sample from `model`'s current weights (weight_sync "reload"; "none" does nothing)."""
        if self.weight_sync == "none":
            return
        self.save(model, tokenizer)
        self.reload(self.weights_dir)

    def save(self, model: Any, tokenizer: Any) -> None:
        """Write model + tokenizer to `weights_dir` via a temp folder and renames: never a half-written folder."""
        tmp = self.weights_dir.with_name(self.weights_dir.name + ".tmp")
        old = self.weights_dir.with_name(self.weights_dir.name + ".old")
        for leftover in (tmp, old):
            shutil.rmtree(leftover, ignore_errors=True)
        model.save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        if self.weights_dir.exists():
            os.replace(self.weights_dir, old)
        os.replace(tmp, self.weights_dir)
        shutil.rmtree(old, ignore_errors=True)

    def reload(self, path: str | Path) -> None:
        """POST `{"model_path": path}` to the server's update endpoint; raise unless it reports success."""
        import httpx

        try:
            resp = httpx.post(self.reload_url, json={"model_path": str(Path(path).resolve())},
                              timeout=self.reload_timeout_s)
        except httpx.TransportError as exc:
            raise BackendUnavailableError(f"{self.reload_url}: {type(exc).__name__}: {exc}") from exc
        if resp.status_code == 404:
            raise ConfigError(
                f"{self.reload_url} does not exist, so the server cannot load new weights (vLLM's OpenAI server has "
                "no such endpoint): serve with SGLang or `azr serve`, or set weight_sync none (off-policy)"
            )
        try:
            body = resp.json()
        except ValueError:
            body = None
        ok = resp.status_code == 200 and isinstance(body, dict) and body.get("success") is True
        if not ok:
            raise BackendUnavailableError(
                f"{self.reload_url} did not load {path}: HTTP {resp.status_code}: {resp.text[:300]}"
            )

    def close(self) -> None:
        self.client.close()

    def __repr__(self) -> str:
        return f"HTTPRollouts({self.client!r}, weight_sync={self.weight_sync!r})"
