"""OpenAI-compatible HTTP client agent: vLLM / SGLang / Ollama / `azr serve` / any such server.

`mode="completions"` sends the prompt text as is to `/v1/completions` (use with the envs' R1 prompts);
`mode="chat"` sends it as one user message (after an optional system message) to `/v1/chat/completions` (the
server applies its chat template; use with `prompt_format="raw"`). Requests run concurrently in threads, at most
`concurrency` in flight; connection errors, timeouts, 429 and 5xx are retried with exponential backoff (a 429/503
`Retry-After` is honoured, capped); other 4xx fail at once with the server's message. `generate_each` yields each
prompt's result as soon as it arrives, so a caller can save answered prompts before a later request fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from azr_agents.base import Generation, check_sampling_args

from azr_env.errors import AZRError, ConfigError

MODES = ("completions", "chat")
RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
MAX_RETRY_AFTER_S = 60.0
ROUTES = {"completions": "/completions", "chat": "/chat/completions"}


class BackendUnavailableError(AZRError, RuntimeError):
    """The model server did not answer successfully after all retries; the message names the URL and cause."""


class OpenAIAgent:
    """An `Agent` that calls an OpenAI-compatible server.

    Args:
        base_url: server root including `/v1`, e.g. "http://127.0.0.1:8000/v1".
        model: model name the server expects.
        mode: "completions" or "chat" (see module docstring).
        api_key: sent as `Authorization: Bearer <key>` when given (never logged or recorded).
        system_prompt: chat mode only: sent as a system message before each prompt.
        timeout_s: per request (connect + read).
        max_retries: extra attempts for retryable failures.
        concurrency: requests in flight at once.
        backoff_s: first retry delay; doubles each retry.
        request_logprobs: ask for per-token log-probs (completions mode; fills `Generation.logprobs`).
        extra_body: merged into every request (server-specific options, e.g. {"top_k": -1}).
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        mode: str = "completions",
        api_key: str | None = None,
        system_prompt: str | None = None,
        timeout_s: float = 120.0,
        max_retries: int = 3,
        concurrency: int = 8,
        backoff_s: float = 0.5,
        request_logprobs: bool = False,
        extra_body: dict[str, Any] | None = None,
    ):
        import httpx

        if not isinstance(base_url, str) or not base_url.strip():
            raise ConfigError(f"base_url={base_url!r}: pass the server's URL including /v1, "
                              "e.g. http://127.0.0.1:8000/v1")
        if mode not in MODES:
            raise ConfigError(f"mode={mode!r}; choose one of {MODES}")
        if system_prompt is not None and mode != "chat":
            raise ConfigError("system_prompt needs mode='chat' (the completions route takes one text prompt)")
        if concurrency < 1 or max_retries < 0 or timeout_s <= 0:
            raise ConfigError(
                f"concurrency={concurrency} must be >= 1, max_retries={max_retries} >= 0, timeout_s={timeout_s} > 0"
            )
        self.base_url = base_url.rstrip("/")
        self.model, self.mode, self.system_prompt = model, mode, system_prompt
        self.timeout_s = timeout_s
        self.max_retries, self.backoff_s, self.concurrency = max_retries, backoff_s, concurrency
        self.request_logprobs = request_logprobs
        self.extra_body = dict(extra_body or {})
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self._client = httpx.Client(timeout=timeout_s, headers=headers, limits=limits)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> OpenAIAgent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _body(self, prompt: str, n: int, temperature: float, top_p: float, max_new_tokens: int,
              stop: list[str] | None, seed: int | None) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model, "n": n, "temperature": temperature, "top_p": top_p,
                                "max_tokens": max_new_tokens}
        if stop:
            body["stop"] = stop
        if seed is not None:
            body["seed"] = seed
        if self.mode == "chat":
            system = [{"role": "system", "content": self.system_prompt}] if self.system_prompt is not None else []
            body["messages"] = [*system, {"role": "user", "content": prompt}]
        else:
            body["prompt"] = prompt
            if self.request_logprobs:
                body["logprobs"] = 1
        return body | self.extra_body

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        import httpx

        url = self.base_url + ROUTES[self.mode]
        cause, wait_s = "", 0.0
        for attempt in range(self.max_retries + 1):
            if attempt:
                time.sleep(max(wait_s, self.backoff_s * 2 ** (attempt - 1)))
            wait_s = 0.0
            try:
                resp = self._client.post(url, json=body)
            except httpx.TransportError as exc:  # connect errors, timeouts, broken connections
                cause = f"{type(exc).__name__}: {exc}"
                continue
            if resp.status_code == 200:
                try:
                    data = resp.json()
                except ValueError:  # a proxy's HTML page, a cut connection: retried like a 5xx
                    cause = f"HTTP 200 with a body that is not JSON: {resp.text[:200]!r}"
                    continue
                if isinstance(data, dict):
                    return data
                cause = f"HTTP 200 with JSON that is not an object: {resp.text[:200]!r}"
                continue
            cause = f"HTTP {resp.status_code}: {resp.text[:300]}"
            wait_s = _retry_after(resp.headers.get("retry-after"))
            if resp.status_code not in RETRY_STATUS:
                raise ConfigError(f"{url} rejected the request ({cause}); check the model name and options")
        raise BackendUnavailableError(f"{url} failed after {self.max_retries + 1} attempts; last error: {cause}")

    def _parse(self, data: dict[str, Any], n: int) -> list[Generation]:
        """Generations from a response body; any other shape is a one-line BackendUnavailableError."""
        try:
            choices = sorted(data.get("choices") or [], key=lambda c: c.get("index", 0))
            if len(choices) != n:
                raise BackendUnavailableError(f"server returned {len(choices)} choices, asked for n={n}")
            out = []
            for c in choices:
                text = c["message"]["content"] if self.mode == "chat" else c["text"]
                if text is not None and not isinstance(text, str):
                    raise TypeError(f"text is {type(text).__name__}")
                lp = (c.get("logprobs") or {}).get("token_logprobs") if self.mode == "completions" else None
                out.append(Generation(text=text or "", logprobs=lp, finish_reason=c.get("finish_reason")))
            return out
        except (KeyError, TypeError, AttributeError) as exc:
            raise BackendUnavailableError(f"{self.base_url}{ROUTES[self.mode]} answered in an unexpected shape "
                                          f"({type(exc).__name__}: {exc}): {str(data)[:200]}") from None

    def generate(
        self, prompts: list[str], *, n: int = 1, temperature: float = 1.0, top_p: float = 1.0,
        max_new_tokens: int = 512, stop: list[str] | None = None, seed: int | None = None,
    ) -> list[list[Generation]]:
        """One request per prompt (with `n` choices), `concurrency` at a time; results in prompt order."""
        out: list[list[Generation]] = [[] for _ in prompts]
        for index, gens in self.generate_each(prompts, n=n, temperature=temperature, top_p=top_p,
                                              max_new_tokens=max_new_tokens, stop=stop, seed=seed):
            out[index] = gens
        return out

    def generate_each(
        self, prompts: list[str], *, n: int = 1, temperature: float = 1.0, top_p: float = 1.0,
        max_new_tokens: int = 512, stop: list[str] | None = None, seed: int | None = None,
    ) -> Iterator[tuple[int, list[Generation]]]:
        """Yield `(prompt index, generations)` in completion order, `concurrency` requests in flight at most.

        On a failure no new request starts; those already in flight are awaited and their results yielded (so
        the caller can keep them), then the first error is raised. Closing the iterator early cancels the rest.
        """
        check_sampling_args(prompts, n, temperature, top_p, max_new_tokens)

        def one(prompt: str) -> list[Generation]:
            return self._parse(self._post(self._body(prompt, n, temperature, top_p, max_new_tokens, stop, seed)), n)

        if not prompts:
            return
        pool = ThreadPoolExecutor(max_workers=min(self.concurrency, len(prompts)), thread_name_prefix="azr-http")
        futures: dict[Future, int] = {}
        error: BaseException | None = None
        finished = False
        try:
            futures = {pool.submit(one, p): i for i, p in enumerate(prompts)}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=futures.__getitem__):
                    if future.cancelled():
                        continue
                    if future.exception() is not None:
                        if error is None:
                            error = future.exception()
                            for other in pending:
                                other.cancel()
                        continue
                    yield futures[future], future.result()
            finished = True
        finally:
            # closed early or interrupted (Ctrl-C): drop what has not started, do not wait for requests in flight
            pool.shutdown(wait=finished, cancel_futures=True)
        if error is not None:
            raise error

    def describe(self) -> dict[str, Any]:
        """What identifies this backend in a results file (the API key is deliberately left out)."""
        return {"backend": "openai", "base_url": self.base_url, "model": self.model,
                "route": ROUTES[self.mode], "system_prompt": self.system_prompt,
                "concurrency": self.concurrency, "max_retries": self.max_retries, "timeout_s": self.timeout_s,
                "extra_body": self.extra_body}

    def __repr__(self) -> str:
        return f"OpenAIAgent({self.base_url!r}, model={self.model!r}, mode={self.mode!r})"


def _retry_after(value: str | None) -> float:
    """Seconds from a numeric `Retry-After` header (capped; an HTTP date or junk counts as none)."""
    try:
        seconds = float(value) if value is not None else 0.0
    except ValueError:
        return 0.0
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)
