"""A local OpenAI-compatible HTTP server that records every request and fails on purpose when told to.

Used by the endpoint tests of `azr eval --backend openai`: which route and body each request had, its headers
(Authorization), how many were in flight at once, and scripted failures (status codes, stalls past the client's
timeout, a permanent outage after K answers).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    """State shared by the handler threads.

    Args:
        answer: body -> completion text (default: a fixed boxed answer).
        script: actions for the first requests, in arrival order: an int status code to return,
            ("stall", seconds) to sleep before answering 200 (past the client's timeout), or ("body", text) to
            answer 200 with that raw text as the body.
        fail_after: after this many successful answers, every request gets HTTP 500 (an outage).
        hold_until: keep each request waiting until this many are in flight at once (or 5 s pass), so a
            concurrency bound is reached for certain, without relying on timing.
    """

    def __init__(self, answer: Callable[[dict[str, Any]], str] | None = None, *,
                 script: list[Any] | None = None, fail_after: int | None = None, hold_until: int | None = None):
        self.answer = answer or (lambda body: "<think>hm</think><answer>\\boxed{42}</answer>")
        self.script = list(script or [])
        self.fail_after, self.hold_until = fail_after, hold_until
        self.requests: list[dict[str, Any]] = []  # every request: path, headers, body, time, status
        self.answered: list[dict[str, Any]] = []  # bodies answered with 200
        self.in_flight = self.max_in_flight = 0
        self.granted = 0  # successful answers promised (checked and counted together, so fail_after is exact)
        self.lock = threading.Condition()

    def prompt_of(self, body: dict[str, Any]) -> str:
        return body["messages"][-1]["content"] if "messages" in body else body["prompt"]

    def handle(self, path: str, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            entry = {"path": path, "headers": headers, "body": body, "time": time.monotonic()}
            self.requests.append(entry)
            action = self.script.pop(0) if self.script else None
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.lock.notify_all()
            if self.hold_until:
                self.lock.wait_for(lambda: self.in_flight >= self.hold_until, timeout=5)
        try:
            if isinstance(action, tuple) and action[0] == "body":
                entry["status"] = 200
                return 200, action[1]
            if isinstance(action, int):
                status = action
            elif isinstance(action, tuple) and action[0] == "stall":
                time.sleep(action[1])
                status = 200
            else:
                with self.lock:
                    outage = self.fail_after is not None and self.granted >= self.fail_after
                    self.granted += not outage
                status = 500 if outage else 200
            entry["status"] = status
            if status != 200:
                return status, {"error": {"message": f"failing on purpose ({status})"}}
            text = self.answer(body)
            with self.lock:
                self.answered.append(body)
            if path.endswith("/chat/completions"):
                choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            else:
                choice = {"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}
            return 200, {"id": "x", "object": "completion", "model": body.get("model"),
                         "choices": [dict(choice, index=i) for i in range(int(body.get("n", 1)))]}
        finally:
            with self.lock:
                self.in_flight -= 1


@contextmanager
def serve(fake: FakeOpenAI):
    """Run `fake` on a free loopback port; yields the base URL (with /v1)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path not in ("/v1/completions", "/v1/chat/completions"):
                status, reply = 404, {"error": {"message": f"no route {self.path}"}}
            else:
                status, reply = fake.handle(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            data = (reply if isinstance(reply, str) else json.dumps(reply)).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (its timeout): nothing to answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
