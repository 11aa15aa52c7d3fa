"""`azr serve`: an OpenAI-compatible server over the HF backend (FastAPI + uvicorn).

Why: the HTTP client agent is tested against a real server on loopback, and any OpenAI-speaking tool can use a
model trained here. Endpoints: `GET /v1/models`, `POST /v1/completions`, `POST /v1/chat/completions` (the
tokenizer's chat template is applied), and `POST /update_weights_from_disk` (SGLang's endpoint and body, so the
trainer's `rollout_backend: http` can push new weights). Concurrent requests are batched: a single worker thread
takes all requests queued within `batch_window_s` that share sampling options and generates them in one call.
Not implemented: streaming, `echo`, `best_of`, tools, more than 1 top log-prob.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
import uuid
from concurrent.futures import Future
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azr_agents.base import Generation
from pydantic import BaseModel


class Sampling(BaseModel):
    """OpenAI sampling fields we honour (others are accepted and ignored)."""

    model: str | None = None
    max_tokens: int | None = 16
    temperature: float = 1.0
    top_p: float = 1.0
    n: int = 1
    stop: str | list[str] | None = None
    seed: int | None = None

class CompletionRequest(Sampling):
    prompt: str | list[str]
    logprobs: int | None = None

class ChatRequest(Sampling):
    messages: list[dict[str, Any]]

class WeightsRequest(BaseModel):
    """SGLang's /update_weights_from_disk body; its other fields (e.g. load_format) are accepted and ignored."""

    model_path: str


@dataclass
class _Request:
    prompts: list[str]
    options: tuple
    future: Future = field(default_factory=Future)


class BatchingWorker:
    """One thread owns the model; requests with equal sampling options are generated together.

    `lock` is held while a batch generates, so a weight swap taking it lands between batches.
    """

    def __init__(self, agent: Any, batch_window_s: float = 0.01, max_batch_prompts: int = 64):
        self.agent, self.window, self.max_prompts = agent, batch_window_s, max_batch_prompts
        self.lock = threading.Lock()
        self.queue: queue.Queue[_Request | None] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="azr-serve-worker", daemon=True)
        self.thread.start()

    def submit(self, prompts: list[str], **options: Any) -> Future:
        req = _Request(prompts, tuple(sorted((k, _freeze(v)) for k, v in options.items())))
        self.queue.put(req)
        return req.future

    def close(self) -> None:
        self.queue.put(None)

    def _loop(self) -> None:
        pending: list[_Request] = []
        while True:
            first = pending.pop(0) if pending else self.queue.get()
            if first is None:
                return
            group, deadline = [first], time.monotonic() + self.window
            while sum(len(r.prompts) for r in group) < self.max_prompts:
                try:
                    nxt = self.queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is None:
                    self.queue.put(None)
                    break
                (group if nxt.options == first.options else pending).append(nxt)
            self._run(group)

    def _run(self, group: list[_Request]) -> None:
        options = {k: (list(v) if isinstance(v, tuple) else v) for k, v in group[0].options}
        try:
            with self.lock:
                results = self.agent.generate([p for r in group for p in r.prompts], **options)
        except Exception as exc:  # noqa: BLE001 - reported to each waiting request as an HTTP 500
            for r in group:
                r.future.set_exception(exc)
            return
        start = 0
        for r in group:
            r.future.set_result(results[start : start + len(r.prompts)])
            start += len(r.prompts)


def _freeze(v: Any) -> Any:
    return tuple(v) if isinstance(v, list) else v


def load_weights_from_disk(model: Any, lock: threading.Lock, path: str) -> None:
    """Copy the weights saved in folder `path` into the served `model` in place (same architecture required).

    The folder is read and checked without the lock (serving goes on); only the copy holds it, between batches.
    Raises ValueError with the reason, leaving the old weights in place.
    """
    import torch
    from transformers import AutoModelForCausalLM

    if not Path(path).is_dir():
        raise ValueError(f"model_path {path!r} is not a folder on the server's machine")
    try:
        loaded = AutoModelForCausalLM.from_pretrained(path, dtype=next(model.parameters()).dtype)
    except Exception as exc:  # any load failure means a bad folder: reported to the client
        raise ValueError(f"cannot load a model from {path!r}: {type(exc).__name__}: {exc}") from exc
    state, current = loaded.state_dict(), model.state_dict()
    bad = sorted(set(state) ^ set(current)) or [k for k in current if current[k].shape != state[k].shape]
    if bad:
        raise ValueError(f"the model in {path!r} does not match the served architecture (e.g. {bad[0]!r})")
    with lock, torch.no_grad():
        model.load_state_dict(state)


def create_app(agent: Any, model_name: str, *, batch_window_s: float = 0.01, max_batch_prompts: int = 64):
    """The FastAPI app serving `agent` (an HFAgent with `chat_template=False`) under `model_name`."""
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import JSONResponse

    worker = BatchingWorker(agent, batch_window_s, max_batch_prompts)

    @asynccontextmanager
    async def lifespan(_app: Any):
        yield
        worker.close()

    app = FastAPI(title="azr serve", version="1", lifespan=lifespan)
    app.state.worker = worker

    async def run(prompts: list[str], req: Sampling) -> list[list[Generation]]:
        if req.n < 1 or req.temperature < 0 or not 0 < req.top_p <= 1:
            raise HTTPException(400, f"bad sampling options n={req.n} temperature={req.temperature} top_p={req.top_p}")
        stop = [req.stop] if isinstance(req.stop, str) else req.stop
        future = worker.submit(prompts, n=req.n, temperature=req.temperature, top_p=req.top_p,
                               max_new_tokens=req.max_tokens or 16, stop=stop, seed=req.seed)
        try:
            return await asyncio.wrap_future(future)
        except Exception as exc:
            raise HTTPException(500, f"generation failed: {type(exc).__name__}: {exc}") from exc

    def usage(prompt_gens: list[tuple[int, list[Generation]]]) -> dict[str, int]:
        p = sum(n_prompt for n_prompt, _ in prompt_gens)
        c = sum(len(g.token_ids or []) for _, gens in prompt_gens for g in gens)
        return {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}

    @app.get("/v1/models")
    async def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": model_name, "object": "model", "owned_by": "azr-env"}]}

    @app.post("/v1/completions")
    async def completions(req: CompletionRequest) -> dict[str, Any]:
        prompts = [req.prompt] if isinstance(req.prompt, str) else req.prompt
        results = await run(prompts, req)
        choices = []
        for i, gens in enumerate(results):
            for j, g in enumerate(gens):
                choice: dict[str, Any] = {"index": i * req.n + j, "text": g.text, "finish_reason": g.finish_reason}
                if req.logprobs is not None:
                    tokens = [agent.tokenizer.decode([t]) for t in g.token_ids or []]
                    choice["logprobs"] = {"tokens": tokens, "token_logprobs": g.logprobs}
                else:
                    choice["logprobs"] = None
                choices.append(choice)
        lens = [len(gens[0].prompt_token_ids or []) if gens else 0 for gens in results]
        return {"id": f"cmpl-{uuid.uuid4().hex}", "object": "text_completion", "created": int(time.time()),
                "model": model_name, "choices": choices, "usage": usage(list(zip(lens, results)))}

    @app.post("/v1/chat/completions")
    async def chat(req: ChatRequest) -> dict[str, Any]:
        try:
            text = agent.tokenizer.apply_chat_template(req.messages, add_generation_prompt=True, tokenize=False)
        except Exception as exc:
            raise HTTPException(400, f"cannot apply the chat template to these messages: {exc}") from exc
        gens = (await run([text], req))[0]
        choices = [{"index": j, "message": {"role": "assistant", "content": g.text}, "finish_reason": g.finish_reason}
                   for j, g in enumerate(gens)]
        n_prompt = len(gens[0].prompt_token_ids or []) if gens else 0
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                "model": model_name, "choices": choices, "usage": usage([(n_prompt, gens)])}

    @app.post("/update_weights_from_disk")
    async def update_weights_from_disk(req: WeightsRequest) -> Any:
        """Load new weights from a folder on this machine (SGLang's endpoint); requests in flight finish first."""
        try:
            await asyncio.to_thread(load_weights_from_disk, agent.model, worker.lock, req.model_path)
        except ValueError as exc:
            return JSONResponse({"success": False, "message": str(exc)}, status_code=400)
        return {"success": True, "message": f"loaded the weights in {req.model_path}"}

    return app
