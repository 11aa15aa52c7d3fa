"""`azr demo`: the main job on CPU defaults (what `make demo` runs).

Runs the sandboxed executor on a handful of hostile programs and then the executor benchmark.
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
    parser = subparsers.add_parser("demo", help="run the CPU demo (what `make demo` runs)")
    parser.add_argument("--quick", action="store_true", help="fewer benchmark rounds")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from azr_env.benchmarking import executor_bench
    from azr_env.executor import Executor

    with Executor(workers=2, timeout_s=2.0, memory_mb=512) as ex:
        print(f"Sandboxed executor ({ex.isolation} isolation): hostile programs\n")
        results = ex.run_many([(program, expression) for _, program, expression in HOSTILE_PROGRAMS])
        for (name, _, _), result in zip(HOSTILE_PROGRAMS, results):
            detail = result.value_repr if result.ok else result.error
            print(f"  {name:18} -> {result.status:12} {detail or ''}"[:110])
    print("\nExecutor benchmark (programs/s, higher is better)\n")
    return executor_bench.main(["--rounds", "1" if args.quick else "3"])
