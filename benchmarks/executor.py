"""Executor throughput and latency against the designs people use instead (`azr bench executor`).

Designs, all on the same workload (`workload.make_workload`), rounds alternating between designs, medians:
  a. azr_env.Executor, fully isolated (bubblewrap + fork per program), `run_many` over `workers` workers;
  b. multiprocessing.Pool(workers) reusing workers, no isolation at all: the ceiling;
  c. a fresh `python -I -S` subprocess per program (the isolation style of SandboxFusion and GEM), `workers` at a time;
  d. the AZR reference executor's pattern: a pebble ProcessPool with one worker and `pool.map(..., timeout=)` per
     program, one program at a time, SIGALRM timeout, stdout redirected, one namespace shared between programs.
Throughput is programs/s over the whole workload; latency is per program, measured one at a time; startup is the
time from creating the design to the first program's result. CPU is the processor time this process and all its
descendants (workers, sandboxes, children, reaped or not) spent per program of the workload: on a shared machine
it moves much less with other people's load than throughput does, so the targets are printed for both.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from azr_benchmarks.procs import descendants, process_table
from azr_benchmarks.workload import make_workload

from azr_env.executor import Executor

Job = tuple[str, str]


def _exec_in_process(job: Job) -> str:
    namespace: dict = {}
    exec(job[0], namespace)
    return repr(eval(job[1], namespace))


_REFERENCE_GLOBALS: dict = {}  # the reference keeps one runtime namespace per worker process, shared by programs


def _reference_style_call(lines: list[str], timeout_s: float) -> tuple[str, str]:
    """What the AZR reference executor does per program inside its pebble worker (re-written, not copied): the
    program arrives as a list of lines ending in a print of the repr, runs under a SIGALRM timeout in a shared
    namespace with stdout redirected, and the result is checked to be printable and picklable."""
    import contextlib
    import io
    import pickle
    import signal
    import traceback

    def on_alarm(signum, frame):
        raise TimeoutError("Timed Out")

    try:
        buffer = io.StringIO()
        signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        try:
            with contextlib.redirect_stdout(buffer):
                exec("\n".join(lines), _REFERENCE_GLOBALS)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        result, report = buffer.getvalue(), "Done"
        str(result)
        pickle.dumps(result)
    except BaseException:  # noqa: BLE001 - the reference reports any failure as text
        result, report = "", traceback.format_exc().split("\n")[-2]
    return result, report


def _reference_one(pool, job: Job, timeout_s: float) -> str:
    lines = f"{job[0]}\nprint(repr({job[1]}))".split("\n")
    future = pool.map(functools.partial(_reference_style_call, timeout_s=timeout_s), [lines], timeout=timeout_s)
    (output, _report), = list(future.result())
    return output.strip()


def _subprocess_one(job: Job, timeout_s: float) -> str:
    code = f"{job[0]}\nprint(repr({job[1]}))\n"
    done = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True,
                          timeout=timeout_s)
    return done.stdout.strip()


def tree_cpu_s() -> float:
    """CPU seconds of this process and every live descendant, each with its reaped children (cutime/cstime)."""
    stats = process_table()
    tree = [os.getpid(), *descendants(os.getpid(), stats)]
    total = sum(sum(int(x) for x in stats[pid][11:15]) for pid in tree if pid in stats)  # utime..cstime
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Design:
    name: str
    setup: Callable[[], object]
    run_all: Callable[[object, list[Job]], list[str | None]]
    run_one: Callable[[object, Job], object]
    teardown: Callable[[object], None]


def designs(workers: int, timeout_s: float) -> list[Design]:
    def pebble_pool():
        from pebble import ProcessPool

        return ProcessPool(max_workers=1)

    def pebble_one(pool, job):
        return _reference_one(pool, job, timeout_s)

    threads = ThreadPoolExecutor(workers)
    return [
        Design("a. azr Executor (isolated)",
               lambda: Executor(workers=workers, timeout_s=timeout_s),
               lambda ex, jobs: [r.value_repr for r in ex.run_many(jobs)],
               lambda ex, job: ex.run(*job),
               lambda ex: ex.close()),
        Design("b. multiprocessing.Pool (no isolation)",
               lambda: multiprocessing.get_context("fork").Pool(workers),
               lambda pool, jobs: pool.map(_exec_in_process, jobs, chunksize=1),
               lambda pool, job: pool.apply(_exec_in_process, (job,)),
               lambda pool: (pool.terminate(), pool.join())),
        Design("c. python -I -S per program",
               lambda: None,
               lambda _, jobs: list(threads.map(lambda job: _subprocess_one(job, timeout_s), jobs)),
               lambda _, job: _subprocess_one(job, timeout_s),
               lambda _: None),
        Design("d. AZR reference (pebble, 1 worker)",
               pebble_pool,
               lambda pool, jobs: [pebble_one(pool, job) for job in jobs],
               pebble_one,
               lambda pool: (pool.stop(), pool.join())),
    ]


def run_benchmark(size: int = 240, rounds: int = 3, workers: int = 2, latency_samples: int = 60,
                  timeout_s: float = 10.0) -> dict:
    """Measure every design; returns {name: {"programs_per_s", "p50_ms", "p99_ms", "correct"}}."""
    jobs = make_workload(size)
    expected = [_exec_in_process(job) for job in jobs]
    results: dict[str, dict] = {}
    throughput: dict[str, list[float]] = {}
    latencies: dict[str, list[float]] = {}
    all_designs = designs(workers, timeout_s)
    startup: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    for _ in range(rounds):
        for design in all_designs:
            t0 = time.perf_counter()
            handle = design.setup()
            design.run_one(handle, jobs[0])  # ready means: the first program has run
            startup.setdefault(design.name, []).append(time.perf_counter() - t0)
            try:
                design.run_all(handle, jobs[:8])  # warm-up (interpreters started, caches filled)
                cpu_before = tree_cpu_s()
                start = time.perf_counter()
                outputs = design.run_all(handle, jobs)
                throughput.setdefault(design.name, []).append(len(jobs) / (time.perf_counter() - start))
                cpu.setdefault(design.name, []).append((tree_cpu_s() - cpu_before) / len(jobs))
                results.setdefault(design.name, {})["correct"] = sum(o == e for o, e in zip(outputs, expected))
                for job in jobs[:latency_samples]:
                    t0 = time.perf_counter()
                    design.run_one(handle, job)
                    latencies.setdefault(design.name, []).append(time.perf_counter() - t0)
            finally:
                design.teardown(handle)
    for name, values in throughput.items():
        lat = sorted(latencies[name])
        results[name].update(programs_per_s=statistics.median(values),
                             p50_ms=1000 * lat[len(lat) // 2],
                             p99_ms=1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))],
                             startup_ms=1000 * statistics.median(startup[name]),
                             cpu_ms=1000 * statistics.median(cpu[name]))
    return results


def format_table(results: dict, size: int) -> str:
    names = list(results)
    ours = results[names[0]]["programs_per_s"]
    our_cpu = results[names[0]]["cpu_ms"]
    lines = [f"{'design':42} {'programs/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'startup ms':>11} {'correct':>9} "
             f"{'ours/this':>10} {'CPU ms/prog':>12} {'CPU this/ours':>14}"]
    for name in names:
        row = results[name]
        lines.append(f"{name:42} {row['programs_per_s']:11.0f} {row['p50_ms']:8.2f} {row['p99_ms']:8.2f} "
                     f"{row['startup_ms']:11.1f} "
                     f"{row['correct']:>4}/{size:<4} {ours / row['programs_per_s']:10.2f}x "
                     f"{row['cpu_ms']:12.2f} {row['cpu_ms'] / max(our_cpu, 1e-9):13.2f}x")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="azr bench executor", description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=240, help="workload size (default 240)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds alternating between designs (median)")
    parser.add_argument("--workers", type=int, default=2, help="parallel workers for designs a-c")
    args = parser.parse_args(argv)
    results = run_benchmark(size=args.programs, rounds=args.rounds, workers=args.workers)
    print(format_table(results, args.programs))
    names = list(results)
    ours = results[names[0]]["programs_per_s"]
    our_cpu = results[names[0]]["cpu_ms"]
    print(f"\ntargets: a >= 3x c: {ours / results[names[2]]['programs_per_s']:.2f}x | "
          f"a >= 1.5x d: {ours / results[names[3]]['programs_per_s']:.2f}x | "
          f"a / b (ceiling): {ours / results[names[1]]['programs_per_s']:.2f}")
    print(f"same targets in CPU per program: a >= 3x c: {results[names[2]]['cpu_ms'] / our_cpu:.2f}x | "
          f"a >= 1.5x d: {results[names[3]]['cpu_ms'] / our_cpu:.2f}x | "
          f"a / b (ceiling): {results[names[1]]['cpu_ms'] / our_cpu:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
