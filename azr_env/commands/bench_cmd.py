"""`azr bench NAME`: run one of the performance benchmarks and print its table.

Benchmarks live in `azr_env.benchmarking.<name>_bench` (so installed wheels have them); the scripts in the
repository's `benchmarks/` folder run the same code.
"""

from __future__ import annotations

import argparse
import importlib

from azr_env.errors import ConfigError

BENCHMARKS = {
    "executor": ("azr_env.benchmarking.executor_bench", "executor vs unisolated pool, subprocess, reference"),
    "envs": ("azr_env.benchmarking.envs_bench", "env steps/s and the batched round API"),
    "evals": ("azr_evals.benchmark", "HumanEval+ scoring: ours vs evalplus"),
    "trainer": ("azr_agents.benchmark", "self-play step time split and tokens/s"),
    "learning": ("azr_agents.learning_bench", "held-out accuracy before/after cpu-micro self-play, and controls"),
}


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bench", help="run a performance benchmark",
                                   description="Run a benchmark and print its table. Known: "
                                   + ", ".join(f"{k} ({v[1]})" for k, v in BENCHMARKS.items()))
    parser.add_argument("name", help="benchmark name: " + ", ".join(BENCHMARKS))
    parser.add_argument("options", nargs=argparse.REMAINDER, help="options passed to the benchmark")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.name not in BENCHMARKS:
        raise ConfigError(f"unknown benchmark {args.name!r}; known: {', '.join(BENCHMARKS)}")
    module_name = BENCHMARKS[args.name][0]
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise ConfigError(f"benchmark {args.name!r} is not available in this install ({exc})") from None
    return int(module.main(args.options) or 0)
