"""One warm worker process (a zygote, see `zygote.py`) and the length-prefixed JSON protocol to it.

The parent side trusts nothing it reads: replies are size-checked JSON, and a worker that stops answering in
time, dies, or breaks the protocol is killed (its whole process group, or its bubblewrap pid namespace) and
started afresh on the next request. Only the request in flight fails.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import struct
import subprocess
import time
from collections.abc import Callable

from azr_env.sandbox.isolation import WorkerSpec

_LENGTH = struct.Struct(">I")
MAX_REPLY_BYTES = 32 * 1024 * 1024


class WorkerFailure(Exception):
    """The worker process died, wedged or broke the protocol (never the program's own fault alone)."""


class Worker:
    def __init__(self, make_spec: Callable[[], WorkerSpec], *, debug: bool = False) -> None:
        self._make_spec = make_spec
        self._debug = debug
        self._proc: subprocess.Popen | None = None
        self._spec: WorkerSpec | None = None
        self.restarts = 0

    def start(self) -> None:
        self._spec = self._make_spec()
        self._proc = subprocess.Popen(
            self._spec.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if self._debug else subprocess.DEVNULL,
            env=self._spec.env,
            start_new_session=True,  # its own process group: killable as a whole, deaf to our terminal's ^C
            close_fds=True,
        )

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def execute(self, request: dict, deadline_s: float) -> dict:
        """Send one request and wait for its reply until `deadline_s` (a time.monotonic() value)."""
        if self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                self.restarts += 1
                self.stop()
            self.start()
        assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
        try:
            data = json.dumps(request).encode("utf-8")
            self._proc.stdin.write(_LENGTH.pack(len(data)) + data)
            self._proc.stdin.flush()
            fd = self._proc.stdout.fileno()
            (length,) = _LENGTH.unpack(_read_exact(fd, _LENGTH.size, deadline_s))
            if length > MAX_REPLY_BYTES:
                raise WorkerFailure(f"reply of {length} bytes is over the limit")
            reply = json.loads(_read_exact(fd, length, deadline_s).decode("utf-8"))
            if not isinstance(reply, dict) or "status" not in reply:
                raise WorkerFailure("malformed reply")
            return reply
        except (OSError, ValueError, struct.error, WorkerFailure) as exc:
            self.restarts += 1
            self.stop()
            raise WorkerFailure(str(exc) or type(exc).__name__) from exc

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            for stream in (proc.stdin, proc.stdout):
                try:
                    if stream:
                        stream.close()
                except OSError:
                    pass
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        if self._spec is not None and self._spec.cleanup_dir:
            shutil.rmtree(self._spec.cleanup_dir, ignore_errors=True)


def _read_exact(fd: int, size: int, deadline_s: float) -> bytes:
    chunks, remaining = [], size
    while remaining:
        wait = deadline_s - time.monotonic()
        if wait <= 0:
            raise WorkerFailure("worker did not answer before the deadline")
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            continue
        chunk = os.read(fd, min(remaining, 1 << 20))
        if not chunk:
            raise WorkerFailure("worker exited")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
