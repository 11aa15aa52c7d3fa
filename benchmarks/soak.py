"""Soak benchmark: do long runs stay flat? (`python benchmarks/soak.py`, meant to run in the background.)

The reference's users report step time growing over a run. This runs, at the same time:
  - a cpu-micro self-play run of `--steps` steps (`azr selfplay` in a child process), sampled every second for its
    resident memory (RSS) and open descriptors, with its per-step time from metrics.jsonl;
  - `--programs` executor programs in this process, in batches, mixing generated honest programs with hostile ones
    (fork bombs, memory hogs, infinite loops, output floods, file spam, SysV IPC, deep directories, forged reply
    frames); per batch: batch time, this process's RSS and descriptors, worker restarts, live sandbox processes.
It prints, for each series, the least-squares slope × run length as a share of the series' mean (goal: ≤ 5 %), and
the processes left over after both have finished (goal: none).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from azr_benchmarks.procs import descendants, open_fds, process_table, status_mb

HOSTILE = [
    "import os\ndef f(x):\n    while True:\n        try:\n            os.fork()\n"
    "        except OSError:\n            return x",
    "def f(x):\n    a = []\n    while True:\n        a.append(bytearray(1 << 24))",
    "def f(x):\n    while True:\n        pass",
    "def f(x):\n    print('y' * (1 << 22))\n    return x",
    "import os\ndef f(x):\n    for i in range(3000):\n        open(f'spam{i}', 'w').close()\n    return x",
    "import os\ndef f(x):\n    for _ in range(400):\n        os.mkdir('d')\n        os.chdir('d')\n    return x",
    "import ctypes\ndef f(x):\n    libc = ctypes.CDLL(None)\n    return libc.shmget(0, 1 << 20, 0o1666)",
    "import os, struct, json\ndef f(x):\n    body = json.dumps({'status': 'ok', 'value_repr': '1'}).encode()\n"
    "    for fd in range(3, 16):\n        try:\n            os.write(fd, struct.pack('>I', len(body)) + body)\n"
    "        except OSError:\n            pass\n    os._exit(0)",
]


WARM_UP_SHARE = 0.1  # trends leave out the first tenth of each series (model loading, first compiles, caches)


def trend(values: list[float]) -> float:
    """Least-squares slope × run length, as a share of the mean (0 for a flat series)."""
    values = values[int(len(values) * WARM_UP_SHARE):]
    n = len(values)
    if n < 3:
        return 0.0
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    sxx = sum((i - mean_x) ** 2 for i in range(n))
    slope = sum((i - mean_x) * (v - mean_y) for i, v in enumerate(values)) / sxx
    return slope * (n - 1) / mean_y if mean_y else 0.0


def rss_mb(pid: int | str = "self") -> float:
    value = status_mb("VmRSS", pid)
    return float("nan") if value is None else value


def sandbox_processes(exclude: int | None = None) -> int:
    """Live processes under this one (the executor's sandboxes: bwrap, zygote, template, children), leaving out
    the trainer's subtree `exclude` (it has sandboxes of its own)."""
    table = process_table()
    skip = set(descendants(exclude, table)) | {exclude} if exclude else set()
    return len([p for p in descendants(os.getpid(), table) if p not in skip])


def executor_soak(programs: int, batch: int, rows: list[dict], trainer_pid: int | None = None) -> None:
    from azr_benchmarks.workload import make_workload

    from azr_env.executor import Executor

    honest = make_workload(max(batch, 64), seed=0)
    with Executor(workers=2, timeout_s=2.0, memory_mb=256) as ex:
        done = 0
        while done < programs:
            jobs = [honest[(done + i) % len(honest)] for i in range(batch)]
            jobs[0] = (HOSTILE[(done // batch) % len(HOSTILE)], "f(1)")
            start = time.perf_counter()
            ex.run_many(jobs)
            rows.append({"batch_s": time.perf_counter() - start, "rss_mb": rss_mb(), "fds": open_fds(),
                         "restarts": ex.worker_restarts, "sandbox_procs": sandbox_processes(trainer_pid)})
            done += batch


def trainer_soak(steps: int, run_dir: Path, samples: list[dict]) -> subprocess.Popen:
    command = [sys.executable, "-m", "azr_env.cli", "selfplay", "--preset", "cpu-micro", "--run-dir", str(run_dir),
               "--total-steps", str(steps), "--progress", "none", "--eval-every", str(steps + 1)]
    log = (run_dir.parent / "soak-trainer.log").open("w")  # closed with the process, at exit
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)

    def sample() -> None:
        while proc.poll() is None:
            samples.append({"t": time.monotonic(), "rss_mb": rss_mb(proc.pid), "fds": open_fds(proc.pid),
                            "load": os.getloadavg()[0]})
            time.sleep(1.0)

    threading.Thread(target=sample, daemon=True).start()
    return proc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azr bench soak", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="cpu-micro self-play steps (default 300)")
    parser.add_argument("--programs", type=int, default=20000, help="executor programs (default 20000)")
    parser.add_argument("--batch", type=int, default=50, help="executor programs per batch (default 50)")
    parser.add_argument("--out", default="runs/soak", help="folder for the trainer run and soak.json")
    args = parser.parse_args(argv)

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    run_dir = out / f"selfplay-{int(time.time())}"
    samples: list[dict] = []
    rows: list[dict] = []
    trainer = trainer_soak(args.steps, run_dir, samples) if args.steps > 0 else None
    executor_soak(args.programs, args.batch, rows, trainer.pid if trainer else None)
    trainer_rc = trainer.wait() if trainer else 0
    time.sleep(1.0)
    leftovers = descendants(os.getpid())
    step_rows = []
    if trainer:
        metrics = run_dir / "metrics.jsonl"
        lines = metrics.read_text().splitlines() if metrics.exists() else []
        step_rows = [r for r in map(json.loads, lines) if "time/step_s" in r]
    series = {
        "trainer step time (s)": [r["time/step_s"] for r in step_rows],
        # a step's time follows how much the model writes: these two separate the two
        "tokens generated per step": [r["perf/gen_tokens"] for r in step_rows if "perf/gen_tokens" in r],
        "step ms per 1k gen tokens": [1000 * r["time/step_s"] / max(r.get("perf/gen_tokens", 0), 1) for r in step_rows],
        "trainer RSS (MB)": [s["rss_mb"] for s in samples],
        "trainer open fds": [s["fds"] for s in samples],
        "executor batch time (s)": [r["batch_s"] for r in rows],
        "executor-host RSS (MB)": [r["rss_mb"] for r in rows],
        "executor-host open fds": [r["fds"] for r in rows],
        "executor processes": [r["sandbox_procs"] for r in rows],
        "machine load (1-min avg)": [s["load"] for s in samples],  # context: a load trend moves step time too
    }
    print(f"Soak: {len(step_rows)} self-play steps (trainer exit {trainer_rc}), {len(rows) * args.batch} executor "
          f"programs ({len(HOSTILE)} hostile kinds, 1 per batch of {args.batch})")
    print(f"{'series':<26}{'n':>6}{'mean':>10}{'first':>10}{'last':>10}{'trend':>9}  goal |trend| <= 5% "
          f"(trend after the first {WARM_UP_SHARE:.0%}: slope x length / mean)")
    summary = {}
    for name, values in series.items():
        values = [v for v in values if v == v]  # drop NaN samples
        if not values:
            continue
        share = trend(values)
        summary[name] = {"n": len(values), "mean": sum(values) / len(values), "trend": share}
        print(f"{name:<26}{len(values):>6}{sum(values) / len(values):>10.3f}{values[0]:>10.3f}{values[-1]:>10.3f}"
              f"{share:>8.1%}  {'ok' if abs(share) <= 0.05 else 'OVER'}")
    restarts = rows[-1]["restarts"] if rows else 0
    print(f"worker restarts: {restarts} (hostile programs that kill a worker cause these by design)")
    print(f"leftover processes after the run: {len(leftovers)} {leftovers[:10]}")
    (out / "soak.json").write_text(json.dumps({"series": summary, "raw": series, "restarts": restarts,
                                               "leftovers": leftovers, "trainer_rc": trainer_rc}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
