"""What the minimal file-system view and the seccomp filter cost per program (`azr bench sandbox-overhead`).

Three bubblewrap sandboxes, each an Executor with one worker, every program run on all three back to back, medians:
  1. the old view (the host's root read-only, home hidden), no seccomp filter;
  2. the minimal view (docs/executor.md, B4), no filter;
  3. the minimal view and the filter: what `Executor` does.
Workloads: the executor benchmark's small programs, and a syscall-heavy program (20,000 `os.stat` calls), where a
filter's per-syscall cost would show. Per program is the median wall time of `Executor.run`, one at a time;
startup is the time from creating the executor to the first result. All three run lockdown.py (capabilities).
Last, the cost of the filter per allowed syscall, measured directly (getppid in a loop, with and without it).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import time

from azr_benchmarks.workload import make_workload

from azr_env.executor import Executor
from azr_env.sandbox import isolation

SYSCALL_HEAVY = ("import os\ndef f(n):\n    for _ in range(n):\n        os.stat('/')\n    return n", "f(20000)")


def _old_view(python: str, sys_path: list[str]) -> list[str]:
    """The view before issue 10: the whole host read-only, home folders and /tmp behind tmpfs, with the scripts
    bound into the private /tmp (the host root is read-only, so no /azr can be made)."""
    args = ["--ro-bind", "/", "/", "--tmpfs", "/root", "--size", str(isolation.SANDBOX_TMP_BYTES), "--tmpfs", "/tmp"]
    created = {"/", "/root", "/tmp"}
    for path in sorted({os.path.realpath(p) for p in (sys.base_prefix, *sys_path)}):
        if path.startswith(("/root/", "/tmp/")):
            args += [*isolation._traversable_parents(path, created), "--ro-bind", path, path]
    return [*args, "--ro-bind", str(isolation.ZYGOTE_SCRIPT), "/tmp/.azr-zygote.py",
            "--ro-bind", str(isolation.LOCKDOWN_SCRIPT), "/tmp/.azr-lockdown.py", "--dev", "/dev", "--proc", "/proc"]


@contextlib.contextmanager
def variant(name: str):
    """Patch the worker recipe for one variant while its executor starts (workers start in the constructor)."""
    saved = (isolation.view_args, isolation.seccomp_filter_hex, isolation.SANDBOX_ZYGOTE, isolation.SANDBOX_LOCKDOWN)
    if name.startswith("1."):
        isolation.view_args = _old_view
        isolation.SANDBOX_ZYGOTE, isolation.SANDBOX_LOCKDOWN = "/tmp/.azr-zygote.py", "/tmp/.azr-lockdown.py"
    if not name.startswith("3."):
        isolation.seccomp_filter_hex = lambda: ""
    try:
        yield
    finally:
        (isolation.view_args, isolation.seccomp_filter_hex, isolation.SANDBOX_ZYGOTE,
         isolation.SANDBOX_LOCKDOWN) = saved


VARIANTS = ("1. host view, no filter", "2. minimal view, no filter", "3. minimal view + seccomp (default)")


def measure(programs: int, heavy: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Run every job on all three sandboxes back to back (rotating which goes first), so that load from other
    processes on the machine hits all three alike."""
    jobs = make_workload(programs)
    times: dict[str, dict[str, list[float]]] = {v: {"small": [], "heavy": [], "startup": []} for v in VARIANTS}
    for round_index in range(rounds):
        executors = {}
        try:
            for name in VARIANTS:
                t0 = time.perf_counter()
                with variant(name):
                    executors[name] = Executor(workers=1, isolation="bwrap")
                first = executors[name].run(*jobs[0])
                assert first.ok, (name, first)
                times[name]["startup"].append(time.perf_counter() - t0)
                for job in jobs[:5]:
                    executors[name].run(*job)
            batches = (("small", jobs), ("heavy", [SYSCALL_HEAVY] * heavy))
            for index, (key, job) in enumerate((key, job) for key, batch in batches for job in batch):
                shift = (index + round_index) % len(VARIANTS)
                for name in VARIANTS[shift:] + VARIANTS[:shift]:
                    start = time.perf_counter()
                    result = executors[name].run(*job)
                    times[name][key].append(time.perf_counter() - start)
                    assert result.ok, (name, result)
        finally:
            for ex in executors.values():
                ex.close()
    return times


SYSCALL_LOOP = """
import os, time
best = float('inf')
for _ in range(5):
    start = time.perf_counter()
    for _ in range(200_000):
        os.getppid()
    best = min(best, time.perf_counter() - start)
print(best / 200_000 * 1e9)
"""


def syscall_ns(with_filter: bool) -> float:
    """ns per getppid() in a process run through lockdown.py, with or without the filter (no sandbox around it,
    so that nothing else differs); best of five loops."""
    python = isolation.interpreter()
    filter_hex = isolation.seccomp_filter_hex() if with_filter else ""
    done = subprocess.run([python, "-s", "-S", "-B", str(isolation.LOCKDOWN_SCRIPT), "", filter_hex, "--",
                           python, "-S", "-c", SYSCALL_LOOP], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return float(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azr bench sandbox-overhead", description=__doc__.splitlines()[0])
    parser.add_argument("--programs", type=int, default=120, help="small programs per variant and round")
    parser.add_argument("--heavy", type=int, default=15, help="syscall-heavy programs per variant and round")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    times = measure(args.programs, args.heavy, args.rounds)
    print(f"{'sandbox':40} {'small ms/program':>17} {'20k stat ms':>12} {'startup ms':>11}")
    for name in VARIANTS:
        row = {key: statistics.median(times[name][key]) for key in ("small", "heavy", "startup")}
        print(f"{name:40} {1000 * row['small']:17.3f} {1000 * row['heavy']:12.2f} {1000 * row['startup']:11.1f}")
    print()
    print("paired medians (each program against itself on sandbox 1):")
    for name in VARIANTS[1:]:
        small, heavy = (statistics.median(b - a for a, b in zip(times[VARIANTS[0]][key], times[name][key]))
                        for key in ("small", "heavy"))
        print(f"  {name}: {1000 * small:+.3f} ms per small program, {1000 * heavy:+.2f} ms per 20k-syscall program")
    without, with_filter = syscall_ns(False), syscall_ns(True)
    print(f"\ngetppid(): {without:.0f} ns without the filter, {with_filter:.0f} ns with it "
          f"({with_filter - without:+.0f} ns per allowed syscall)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
