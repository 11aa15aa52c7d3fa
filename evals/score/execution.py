"""Shared plumbing for code scorers: one executor configured for benchmark programs, and a parallel map with a
progress bar over `Executor.run`.

Benchmark programs are larger than training programs (they carry their inputs) and return larger results (one
record per input), so the executor gets higher size caps than the training default; isolation and limits are the
executor's (SPEC §3), nothing benchmark-specific happens inside it.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azr_env.executor import ExecutionResult, Executor


def make_executor(workers: int = 2, memory_mb: int = 4096, timeout_s: float = 60.0) -> Executor:
    """An executor for scoring: caps sized for per-input records (the worker protocol allows 32 MB replies)."""
    return Executor(workers=workers, timeout_s=timeout_s, memory_mb=memory_mb, value_cap=30 * 1024 * 1024,
                    max_program_chars=16 * 1024 * 1024, stdout_cap=2048)


def run_jobs(executor: Executor, jobs: Sequence[tuple[str, str, float]], *, desc: str = "scoring",
             progress: bool = True, on_result: Callable[[int, ExecutionResult], None] | None = None,
             ) -> list[ExecutionResult]:
    """Run (program, expression, timeout_s) jobs on all executor workers, in order, with a tqdm bar."""
    results: list[ExecutionResult | None] = [None] * len(jobs)
    bar = None
    if progress and len(jobs) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(jobs), desc=desc, unit="job", leave=False)

    def one(index: int) -> None:
        program, expression, timeout_s = jobs[index]
        results[index] = executor.run(program, expression, timeout_s=timeout_s)
        if on_result is not None:
            on_result(index, results[index])
        if bar is not None:
            bar.update(1)

    with ThreadPoolExecutor(max(1, executor.workers)) as pool:
        list(pool.map(one, range(len(jobs))))
    if bar is not None:
        bar.close()
    return [r for r in results if r is not None]


def decode_json_value(result: ExecutionResult) -> Any | None:
    """The JSON document a harness returned as a string (the executor hands back its repr); None if absent."""
    if not result.ok or result.value_repr is None or result.truncated:
        return None
    try:
        return json.loads(ast.literal_eval(result.value_repr))
    except (ValueError, SyntaxError, TypeError):
        return None
