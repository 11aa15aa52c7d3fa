"""`azr demo`: the main job on CPU defaults (what `make demo` runs).

1. The sandboxed executor meets a few hostile programs (each contained, with its status).
2. A short AZR self-play run with the `cpu-micro` preset: live progress, then the report (PNG plots + HTML).
   The tiny model is built on first use (a few CPU minutes, cached in ~/.cache/azr-env).
`--bench` adds the executor benchmark table.
"""

from __future__ import annotations

import argparse

HOSTILE_PROGRAMS = [
    ("infinite loop", "while True:\n    pass", "None"),
    ("C-level hang", "x = sum(range(10**13))", "x"),
    ("2 GB allocation", "x = bytearray(2 * 1024**3)", "len(x)"),
    ("fork bomb", "import os\nwhile True:\n    os.fork()", "None"),
    ("network", "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)", "None"),
    ("write outside", "open('/etc/azr-demo', 'w').write('x')", "None"),
    ("100 MB print", "while True:\n    print('x' * 10000)", "None"),
    ("ordinary program", "def f(s):\n    return s[::-1]", "f('Hello world')"),
]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the CPU demo (what `make demo` runs)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=8, help="self-play steps (default 8)")
    parser.add_argument("--run-dir", default="runs/demo", help="run folder of the self-play part (default runs/demo)")
    parser.add_argument("--bench", action="store_true", help="also print the executor benchmark table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from azr_env.executor import Executor

    with Executor(workers=2, timeout_s=2.0, memory_mb=512) as ex:
        print(f"1. Sandboxed executor ({ex.isolation} isolation) against hostile programs\n")
        results = ex.run_many([(program, expression) for _, program, expression in HOSTILE_PROGRAMS])
        for (name, _, _), result in zip(HOSTILE_PROGRAMS, results):
            detail = result.value_repr if result.ok else result.error
            print(f"  {name:18} -> {result.status:12} {detail or ''}"[:110])

    print(f"\n2. AZR self-play, cpu-micro preset, {args.steps} steps, run folder {args.run_dir}\n", flush=True)
    from azr_agents.config import load_config
    from azr_agents.trainer import main as selfplay

    selfplay(load_config("cpu-micro", None, {"run_dir": args.run_dir, "total_steps": args.steps}))

    if args.bench:
        from azr_benchmarks.executor import main as executor_benchmark

        print("\n3. Executor benchmark (programs/s, higher is better)\n")
        return executor_benchmark(["--rounds", "1"])
    return 0
