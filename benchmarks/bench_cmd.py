"""`azr bench NAME`: run one of the performance benchmarks and print its table.

Each benchmark is a module of this package (`azr_benchmarks.<module>`, in a checkout `benchmarks/<module>.py`)
with `main(argv) -> int` whose parser is named `azr bench NAME`; this registry is the one list of them.
"""

from __future__ import annotations

import argparse
import importlib
from typing import NamedTuple

from azr_env.errors import ConfigError


class Benchmark(NamedTuple):
    module: str  # import name of the module with main(argv)
    summary: str  # one line for `azr bench --help`


BENCHMARKS: dict[str, Benchmark] = {
    "executor": Benchmark("azr_benchmarks.executor", "executor vs unisolated pool, subprocess, reference"),
    "envs": Benchmark("azr_benchmarks.envs", "env steps/s and the batched round API"),
    "evals": Benchmark("azr_benchmarks.evals", "HumanEval+ scoring: ours vs evalplus"),
    "trainer": Benchmark("azr_benchmarks.trainer", "self-play step time split and tokens/s"),
    "learning": Benchmark("azr_benchmarks.learning", "held-out accuracy before/after cpu-micro self-play"),
    "vector-modes": Benchmark("azr_benchmarks.vector_modes", "scored steps per vector step, per vector-env build"),
    "hostile-answers": Benchmark("azr_benchmarks.hostile_answers", "hostile model text through env.step: CPU, RSS"),
    "prompt-cap": Benchmark("azr_benchmarks.prompt_cap", "references kept under the proposer-prompt cap"),
    "sandbox-overhead": Benchmark("azr_benchmarks.sandbox_overhead", "cost of the minimal view and seccomp filter"),
    "soak": Benchmark("azr_benchmarks.soak", "do long self-play and executor runs stay flat"),
    "round": Benchmark("azr_benchmarks.round_scoring", "a round's validation and N=8 scoring vs the reference"),
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    table = "\n".join(f"  {name:16} {bench.summary}" for name, bench in BENCHMARKS.items())
    parser = subparsers.add_parser("bench", help="run a performance benchmark",
                                   description="Run a benchmark and print its table. `azr bench NAME --help` lists "
                                   "its options.\n\n" + table, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", help="benchmark name: " + ", ".join(BENCHMARKS))
    parser.add_argument("options", nargs=argparse.REMAINDER, help="options passed to the benchmark")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.name not in BENCHMARKS:
        raise ConfigError(f"unknown benchmark {args.name!r}; known: {', '.join(BENCHMARKS)}")
    module_name = BENCHMARKS[args.name].module
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"benchmark {args.name!r} is not available in this install ({exc})") from None
    return int(module.main(args.options) or 0)
