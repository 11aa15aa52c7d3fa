"""Run untrusted, model-written Python safely and fast.

    from azr_env.executor import Executor, ExecutionResult
    with Executor(workers=2, timeout_s=10.0, memory_mb=1024) as ex:
        r = ex.run(program, expression)                        # exec program, then eval expression
        rs = ex.run_many([(program, expression), ...])         # parallel, order-preserving
        r = await ex.arun(program, expression)                 # asyncio-friendly

Design (docs/executor.md has the threat model): `workers` warm workers, each started once inside bubblewrap
namespaces. In each, a pristine template (it never sees a request) forks one fresh child per program, and a
handler hands the child its request and watches it. The child drops privileges and sets its limits before it
reads, compiles or runs anything, so nothing a program does can affect the next one, the worker, or this
process. A result is what the handler observed: one size-checked JSON frame followed by a clean exit, else
"crashed". A worker that dies or wedges is replaced (only its program fails); one a program left dirty
retires and is replaced before the next program.

`PYTHONHASHSEED` is fixed per executor (`hash_seed`, default 0): a program's output never depends on which
worker ran it, and a second executor with another seed detects outputs that depend on hash order.
"""

from __future__ import annotations

import asyncio
import functools
import queue
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, InvalidStateError
from dataclasses import dataclass
from typing import Literal

from azr_env.errors import ConfigError, ExecutorClosedError
from azr_env.sandbox.isolation import DEFAULT_PRELOAD, build_worker, resolve_mode
from azr_env.sandbox.worker import STOP, Lane, PendingRequest, Worker

Status = Literal["ok", "error", "timeout", "memory", "output_limit", "crashed"]
STATUSES: tuple[str, ...] = ("ok", "error", "timeout", "memory", "output_limit", "crashed")
# Time a worker may take beyond the program's own limit (compile, fork, clean-up) before it counts as wedged.
WORKER_GRACE_S = 5.0


@dataclass(frozen=True)
class ExecutionResult:
    """What happened to one program. Never an exception: every outcome is a status.

    Attributes:
        status: "ok", "error" (an exception, incl. SyntaxError), "timeout" (wall clock or CPU), "memory",
            "output_limit" (runaway output past the hard limit), or "crashed" (killed by a signal, no result).
        value_repr: `repr()` of the expression's value when status is "ok", cut at the executor's `value_cap`.
        error: "ExceptionType: message" for status "error"/"memory", else a short reason, or None.
        stdout: what the program printed (stdout and stderr together), cut at the executor's `stdout_cap`.
        duration_s: wall-clock seconds from fork to exit, as seen by the worker.
        deterministic: with `check_determinism=True`, whether the expression gave the same repr twice in the
            same child (state kept across calls) AND the same status and repr in a second, independent run of
            the program in another process (compared here, never inside the program's process); otherwise None.
        truncated: whether `value_repr` was cut at the cap.
        stdout_truncated: whether the program printed more than `stdout_cap` bytes (`stdout` holds the first
            `stdout_cap` bytes only).
    """

    status: Status
    value_repr: str | None = None
    error: str | None = None
    stdout: str = ""
    duration_s: float = 0.0
    deterministic: bool | None = None
    truncated: bool = False
    stdout_truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class Executor:
    """A pool of sandboxed fork-per-program workers. Use as a context manager, or call `close()`.

    Args:
        workers: parallel worker processes (one program runs in each at a time).
        timeout_s: default wall-clock limit per program (CPU time is limited to the same, rounded up).
        memory_mb: address-space limit per program; an allocation beyond it gives status "memory".
        hash_seed: PYTHONHASHSEED of every program run by this executor.
        isolation: "auto" (bubblewrap when usable, else warn once and use the fallback), "bwrap" (required),
            or "fallback" (no namespaces; see docs/executor.md for what it does not stop).
        stdout_cap: bytes of printed output kept in the result; more is dropped, the program goes on.
        value_cap: characters of the value's repr kept in the result (`truncated` tells when it was cut).
        output_limit_bytes: hard limit on printed output; reaching it ends the program as "output_limit".
        preload: modules each worker imports once at start, so programs using them start fast.
        max_program_chars: programs and expressions longer than this are refused with status "error".
    """

    def __init__(
        self,
        workers: int = 2,
        timeout_s: float = 10.0,
        memory_mb: int = 1024,
        *,
        hash_seed: int = 0,
        isolation: str = "auto",
        stdout_cap: int = 8192,
        value_cap: int = 65536,
        output_limit_bytes: int = 16 * 1024 * 1024,
        preload: Sequence[str] = DEFAULT_PRELOAD,
        max_program_chars: int = 1_000_000,
        debug: bool = False,
    ) -> None:
        _check_positive(workers=workers, timeout_s=timeout_s, memory_mb=memory_mb, stdout_cap=stdout_cap,
                        value_cap=value_cap, output_limit_bytes=output_limit_bytes,
                        max_program_chars=max_program_chars)
        if memory_mb < 64:
            raise ConfigError(f"memory_mb={memory_mb} is too small for a Python process; use 64 or more")
        if not isinstance(hash_seed, int) or not 0 <= hash_seed <= 4294967295:
            raise ConfigError(f"hash_seed={hash_seed!r} must be an integer in [0, 4294967295]")
        self.workers = int(workers)
        self.timeout_s = float(timeout_s)
        self.memory_mb = int(memory_mb)
        self.hash_seed = hash_seed
        self.max_program_chars = max_program_chars
        self.isolation = resolve_mode(isolation)
        config = {"memory_mb": memory_mb, "stdout_cap": stdout_cap, "value_cap": value_cap,
                  "output_limit_bytes": output_limit_bytes, "preload": list(preload)}
        self._workers = [
            Worker(functools.partial(build_worker, self.isolation, slot=slot, hash_seed=hash_seed, config=config),
                   debug=debug)
            for slot in range(self.workers)
        ]
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lanes = [Lane(worker, self._jobs, depth=PIPELINE_DEPTH, grace_s=_grace) for worker in self._workers]
        for worker, lane in zip(self._workers, self._lanes):
            worker.start()  # non-blocking: the interpreters warm up while the caller goes on
            lane.start()
        self._lock = threading.Lock()
        self._closed = False

    # ------------------------------------------------------------------------------------------- public API
    def run(self, program: str, expression: str, *, timeout_s: float | None = None,
            check_determinism: bool | str = False) -> ExecutionResult:
        """Exec `program` in a fresh namespace in a fresh process, then eval `expression` there.

        `check_determinism`: True evaluates the expression twice in the child AND runs the program again in
        another process, comparing both on this side; "in_child" only does the former, for callers that compare
        a second process's result themselves (the rounds' hash-seed re-run is that process)."""
        return self._submit(program, expression, timeout_s, check_determinism).result()

    def run_many(self, jobs: Iterable[tuple[str, str]], *, timeout_s: float | None = None,
                 check_determinism: bool | str = False) -> list[ExecutionResult]:
        """Run (program, expression) pairs in parallel over the workers; results come back in input order."""
        self._check_open()
        jobs = list(jobs)
        for index, job in enumerate(jobs):
            if not (isinstance(job, tuple | list) and len(job) == 2):
                raise ConfigError(f"run_many: job {index} must be a (program, expression) pair, got {job!r:.80}")
        futures = [self._submit(program, expression, timeout_s, check_determinism) for program, expression in jobs]
        return [future.result() for future in futures]

    async def arun(self, program: str, expression: str, *, timeout_s: float | None = None,
                   check_determinism: bool | str = False) -> ExecutionResult:
        """`run` for asyncio code: awaits the result without blocking the event loop or holding a thread."""
        return await asyncio.wrap_future(self._submit(program, expression, timeout_s, check_determinism))

    def close(self) -> None:
        """Stop every worker (and anything left in its sandbox). Safe to call twice."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        for _ in self._lanes:
            self._jobs.put(STOP)
        for lane in self._lanes:
            lane.join(timeout=self.timeout_s + WORKER_GRACE_S + 5)
        for worker in self._workers:
            worker.stop()
        while True:  # anything submitted while closing gets a clear answer instead of hanging
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            if isinstance(job, PendingRequest) and not job.future.done():
                job.future.set_exception(ExecutorClosedError("the Executor was closed before this program ran"))

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def worker_restarts(self) -> int:
        """How many times a worker was replaced after dying, wedging or breaking the protocol."""
        return sum(worker.restarts for worker in self._workers)

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def __repr__(self) -> str:
        state = "closed" if self._closed else "open"
        return (f"Executor(workers={self.workers}, timeout_s={self.timeout_s}, memory_mb={self.memory_mb}, "
                f"isolation={self.isolation!r}, {state})")

    # ------------------------------------------------------------------------------------------- internals
    def _check_open(self) -> None:
        if self._closed:
            raise ExecutorClosedError("this Executor is closed; create a new one (or use it inside `with`)")

    def _submit(self, program: str, expression: str, timeout_s: float | None,
                check_determinism: bool | str) -> Future:
        """Queue one program for the next free worker lane; the future resolves to an ExecutionResult."""
        self._check_open()
        request = self._request(program, expression, timeout_s, check_determinism)
        result: Future = Future()
        if isinstance(request, ExecutionResult):
            result.set_result(request)
            return result
        raws: list[Future] = [Future() for _ in range(2 if check_determinism is True else 1)]
        combine = functools.partial(_to_result, result, raws)
        for raw in raws:
            raw.add_done_callback(combine)
        for raw in raws:  # the determinism re-run is an independent job: another child, maybe another worker
            self._jobs.put(PendingRequest(request, raw))
        return result

    def _request(self, program: str, expression: str, timeout_s: float | None,
                 check_determinism: bool | str) -> dict | ExecutionResult:
        if check_determinism not in DETERMINISM_CHECKS:
            raise ConfigError(f"check_determinism={check_determinism!r}; choose one of {DETERMINISM_CHECKS}")
        for name, value in (("program", program), ("expression", expression)):
            if not isinstance(value, str):
                raise ConfigError(f"{name} must be a str, got {type(value).__name__}")
        timeout = self.timeout_s if timeout_s is None else timeout_s
        if not isinstance(timeout, int | float) or not timeout > 0:
            raise ConfigError(f"timeout_s={timeout_s!r} must be a positive number of seconds")
        too_long = max(len(program), len(expression))
        if too_long > self.max_program_chars:
            return ExecutionResult("error", error=f"program of {too_long} characters is over the "
                                                  f"{self.max_program_chars} character limit")
        if "\x00" in program or "\x00" in expression:
            return ExecutionResult("error", error="SyntaxError: source code cannot contain null bytes")
        return {"program": program, "expression": expression, "timeout_s": float(timeout),
                "check_determinism": bool(check_determinism)}


DETERMINISM_CHECKS = (False, True, "in_child")
_FIELDS = ("status", "value_repr", "error", "stdout", "duration_s", "deterministic", "truncated", "stdout_truncated")
# Requests kept in each worker's pipe: the next program is already waiting while the current one runs.
PIPELINE_DEPTH = 2


def _grace() -> float:
    return WORKER_GRACE_S


def _to_result(result: Future, raws: list[Future], _: Future) -> None:
    """Once every run of a request is done, turn the lanes' reply dicts into one ExecutionResult (or pass an
    exception on). With two runs (check_determinism), the first run's result is reported and `deterministic`
    also requires the second run, in another process, to agree with it."""
    if result.done() or not all(raw.done() for raw in raws):
        return
    try:
        if any(raw.cancelled() for raw in raws):
            result.cancel()
            return
        for raw in raws:
            if raw.exception() is not None:
                result.set_exception(raw.exception())
                return
        first, *others = (_reply_fields(raw.result()) for raw in raws)
        if others and first["status"] == "ok":
            first["deterministic"] = first.get("deterministic") is True and all(
                other["status"] == "ok" and other.get("deterministic") is True
                and other.get("value_repr") == first.get("value_repr")
                and other.get("truncated") == first.get("truncated")
                for other in others
            )
        result.set_result(ExecutionResult(**first))
    except InvalidStateError:  # two runs finished at once and both callbacks got here: the first one answered
        pass


def _reply_fields(reply: dict) -> dict:
    """The ExecutionResult fields of a reply, every string valid UTF-8 (lone surrogates escaped)."""
    fields = {k: reply[k] for k in _FIELDS if k in reply}
    for key in ("value_repr", "error", "stdout"):
        if isinstance(fields.get(key), str):
            fields[key] = _utf8_clean(fields[key])
    return fields


def _utf8_clean(text: str) -> str:
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise ConfigError(f"{name}={value!r} must be a positive number")
