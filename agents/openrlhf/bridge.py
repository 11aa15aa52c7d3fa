"""Referee checks from inside an asyncio event loop, with every program run through `Executor.arun`.

OpenRLHF runs agents as coroutines inside its vLLM engine actors: a blocking call there stalls every request
the engine is serving. The `Referee` (azr_env.rounds, the one implementation of AZR's rules) is synchronous
and calls `executor.run_many`. `AsyncReferee` keeps both facts true: the referee's Python code runs on a worker
thread (`asyncio.to_thread`), and the executor it sees is a `LoopExecutor` whose `run_many` schedules
`Executor.arun` coroutines back on the event loop and waits for them on that worker thread. The loop itself
only ever awaits.

One sandboxed `Executor` pair (plus the second hash seed) per process and configuration, created on first use
and closed at exit: an engine actor serves thousands of prompts, forking a pool per prompt would dominate.
"""

from __future__ import annotations

import asyncio
import atexit
import threading
from collections.abc import Sequence
from typing import Any

from azr_env.errors import ConfigError
from azr_env.rounds import ProposalResult, Referee, RoundConfig, SolveResult
from azr_env.tasks.base import Task


class LoopExecutor:
    """The `run_many` the Referee needs, implemented with `executor.arun` on `loop` (called from another thread).

    Args:
        executor: an `azr_env.executor.Executor` (anything with `arun` and `hash_seed`).
        loop: the running event loop the coroutines are scheduled on.
    """

    def __init__(self, executor: Any, loop: asyncio.AbstractEventLoop) -> None:
        self.executor = executor
        self.loop = loop

    @property
    def hash_seed(self) -> int:
        return getattr(self.executor, "hash_seed", 0)

    def run_many(
        self, jobs: Sequence[tuple[str, str]], *, timeout_s: float | None = None, check_determinism: bool = False
    ) -> list[Any]:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            raise ConfigError("LoopExecutor.run_many was called on its own event loop; call it from a worker thread "
                              "(AsyncReferee does) or it would deadlock")  # fmt: skip

        async def run_all() -> list[Any]:
            calls = [self.executor.arun(p, e, timeout_s=timeout_s, check_determinism=check_determinism)
                     for p, e in jobs]  # fmt: skip
            return list(await asyncio.gather(*calls))

        return asyncio.run_coroutine_threadsafe(run_all(), self.loop).result()


_POOLS: dict[tuple, tuple[Any, Any]] = {}
_POOLS_LOCK = threading.Lock()


def shared_executors(config: RoundConfig, isolation: str = "auto") -> tuple[Any, Any]:
    """This process's (executor, hash-seed executor) for `config`'s sizes, created once, closed at exit.

    `isolation` "bwrap" makes a node without usable bubblewrap fail (SandboxUnavailableError) instead of
    quietly running model-written programs in the weaker fallback mode.
    """
    from azr_env.executor import Executor

    timeout = config.task.timeout_s or 10.0
    key = (config.workers, config.memory_mb, timeout, isolation)
    with _POOLS_LOCK:
        if key not in _POOLS:
            main = Executor(config.workers, timeout, config.memory_mb, isolation=isolation)
            other = Executor(config.workers, timeout, config.memory_mb, hash_seed=(main.hash_seed + 1) % 2**32,
                             isolation=isolation)  # fmt: skip
            _POOLS[key] = (main, other)
            atexit.register(_close, key)
        return _POOLS[key]


def _close(key: tuple) -> None:
    with _POOLS_LOCK:
        pools = _POOLS.pop(key, ())
    for executor in pools:
        executor.close()


class AsyncReferee:
    """Awaitable `validate` and `score` of a Referee for `config`, safe to call from many coroutines at once.

    Args:
        config: the round configuration (task rules, rewards, executor sizes).
        executors: (executor, hash-seed executor) to use; default: `shared_executors(config, isolation)`.
        isolation: the executors' isolation mode when this referee creates them ("bwrap": required).
    """

    def __init__(self, config: RoundConfig, executors: tuple[Any, Any] | None = None, isolation: str = "auto") -> None:
        self.config = config
        self._executors = executors
        self.isolation = isolation

    def _referee(self) -> Referee:
        main, other = self._executors or shared_executors(self.config, self.isolation)
        loop = asyncio.get_running_loop()
        return Referee(self.config, executor=LoopExecutor(main, loop), hash_executor=LoopExecutor(other, loop))

    async def validate(self, task_type: str, response: str, references: Sequence[Task]) -> ProposalResult:
        """`Referee.validate` of one proposal (SPEC §3)."""
        referee = self._referee()
        results = await asyncio.to_thread(referee.validate, [(task_type, response, list(references))])
        return results[0]

    async def score(self, task: Task, response: str, *, mode: str = "train") -> SolveResult:
        """`Referee.score` of one solver response (SPEC §2, §4)."""
        referee = self._referee()
        results = await asyncio.to_thread(referee.score, [task], [response], mode=mode)
        return results[0]
