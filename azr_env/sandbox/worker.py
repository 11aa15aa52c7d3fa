"""One warm worker process (a zygote, see `zygote.py`) and the length-prefixed JSON protocol to it.

The parent side trusts nothing it reads: replies are size-checked JSON, and a worker that stops answering in
time, dies, or breaks the protocol is killed (its whole process group, or its bubblewrap pid namespace) and
started afresh on the next request. Only the request in flight fails.
"""

from __future__ import annotations

import json
import os
import queue
import select
import shutil
import signal
import struct
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

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
        self.retirements = 0

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
        for stream in (self._proc.stdin, self._proc.stdout):
            _grow_pipe(stream.fileno())

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def send(self, data: bytes) -> None:
        """Write one encoded request (see `encode_request`), (re)starting the worker first if it is not running."""
        if self._proc is None or self._proc.poll() is not None:
            if self._proc is not None:
                self.restarts += 1
                self.stop()
            self.start()
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(data)
            self._proc.stdin.flush()
        except (OSError, ValueError) as exc:
            self._failed()
            raise WorkerFailure(f"could not send the request: {exc}") from exc

    def receive(self, deadline_s: float) -> dict:
        """Read the reply to the oldest request sent, waiting until `deadline_s` (a time.monotonic() value)."""
        if self._proc is None or self._proc.stdout is None:
            raise WorkerFailure("worker is not running")
        try:
            fd = self._proc.stdout.fileno()
            (length,) = _LENGTH.unpack(_read_exact(fd, _LENGTH.size, deadline_s))
            if length > MAX_REPLY_BYTES:
                raise WorkerFailure(f"reply of {length} bytes is over the limit")
            reply = json.loads(_read_exact(fd, length, deadline_s).decode("utf-8"))
            if not isinstance(reply, dict) or "status" not in reply:
                raise WorkerFailure("malformed reply")
            return reply
        except (OSError, ValueError, struct.error, WorkerFailure) as exc:
            self._failed()
            raise WorkerFailure(str(exc) or type(exc).__name__) from exc

    def _failed(self) -> None:
        self.restarts += 1
        self.stop()

    def retire(self) -> None:
        """Replace this worker at the next request, on its own request (not a failure)."""
        self.retirements += 1
        self.stop()

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


def _grow_pipe(fd: int, size: int = 1 << 20) -> None:
    """Ask Linux for a 1 MB pipe buffer (fewer wake-ups for large requests and replies); best effort."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), size)
    except (OSError, ImportError):
        pass


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


@dataclass
class PendingRequest:
    """One request waiting for its worker; `future` receives the reply dict (or a crash dict)."""

    request: dict
    future: Future
    data: bytes = b""  # the encoded request (encoded by the submitting thread)
    became_head_at: float = 0.0

    def __post_init__(self) -> None:
        if not self.data:
            self.data = encode_request(self.request)


def encode_request(request: dict) -> bytes:
    data = json.dumps(request).encode("utf-8")
    return _LENGTH.pack(len(data)) + data


# A request is queued behind another in a worker's pipe only if it is at most this large. The worker has read
# every earlier request whole before it runs one, so such a request always fits in the pipe: our write cannot
# block while the worker blocks writing a large reply to us (which would deadlock both).
PIPELINE_MAX_BYTES = 32 * 1024


STOP = object()


class Lane(threading.Thread):
    """Feeds one worker from the executor's shared job queue, keeping up to `depth` requests in its pipe.

    The worker answers in order, so while it runs one program the next request is already waiting in its stdin:
    the round trip to this process is off the critical path. When the worker fails, the request at the head
    fails (status "crashed") and the ones queued behind it, which never started, go back to the shared queue.
    """

    def __init__(self, worker: Worker, jobs: queue.SimpleQueue, *, depth: int, grace_s: Callable[[], float]):
        super().__init__(name=f"azr-executor-lane-{id(worker):x}", daemon=True)
        self.worker = worker
        self.jobs = jobs
        self.depth = depth
        self.grace_s = grace_s
        self.inflight: deque[PendingRequest] = deque()

    def run(self) -> None:
        stopping = False
        while not (stopping and not self.inflight):
            while not stopping and len(self.inflight) < self.depth:
                try:
                    job = self.jobs.get(block=not self.inflight)
                except queue.Empty:
                    break
                if job is STOP:
                    stopping = True
                    break
                # a requeued job (its worker failed before running it) is already marked running
                if not (job.future.running() or job.future.set_running_or_notify_cancel()):
                    continue
                while self.inflight and len(job.data) > PIPELINE_MAX_BYTES:
                    self._receive_head()  # a large request waits until the worker's pipe is empty
                if not self._send(job):
                    break
            if self.inflight:
                self._receive_head()

    def _send(self, job: PendingRequest) -> bool:
        try:
            self.worker.send(job.data)
        except WorkerFailure as exc:
            self._fail(job, exc)
            return False
        if not self.inflight:
            job.became_head_at = time.monotonic()
        self.inflight.append(job)
        return True

    def _receive_head(self) -> None:
        head = self.inflight[0]
        deadline = head.became_head_at + head.request["timeout_s"] + self.grace_s()
        try:
            reply = self.worker.receive(deadline)
        except WorkerFailure as exc:
            self.inflight.popleft()
            self._fail(head, exc)
            return
        self.inflight.popleft()
        if reply.pop("retire", False) is True:
            self._retire()
        elif self.inflight:
            self.inflight[0].became_head_at = time.monotonic()
        head.future.set_result(reply)

    def _retire(self) -> None:
        """The worker asked to be replaced (a program left behind what it cannot cheaply clean, or it lost track
        of a child): the requests behind the head never ran there, so they go back to the shared queue, and the
        next request starts a fresh worker. The old sandbox is torn down here, charged to no program."""
        while self.inflight:
            self.jobs.put(self.inflight.popleft())
        self.worker.retire()

    def _fail(self, job: PendingRequest, exc: Exception) -> None:
        """The worker is gone: fail `job`, requeue the requests behind it (they never ran)."""
        job.future.set_result({"status": "crashed", "error": f"executor worker failed: {exc}"})
        while self.inflight:
            self.jobs.put(self.inflight.popleft())
