"""The `azr` console script: one entry point, one subcommand per job.

Each subcommand lives in its own module exposing `add_parser(subparsers)`, which registers the subcommand and
sets `func` (called with the parsed args, returning an exit code). Modules are imported only when listed here,
so a missing optional dependency breaks only its own subcommand, with a one-line message.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from azr_env.errors import AZRError

# "module" for each subcommand group; order is the order shown in `azr --help`.
SUBCOMMAND_MODULES: list[str] = [
    "azr_env.commands.exec_cmd",
    "azr_env.commands.bench_cmd",
    "azr_env.commands.demo_cmd",
    "azr_env.commands.play_cmd",
    "azr_env.commands.train_openrlhf_cmd",
    "azr_env.commands.eval_cmd",
    "azr_env.commands.selfplay_cmd",
    "azr_env.commands.pretrain_cmd",
    "azr_env.commands.serve_cmd",
    "azr_env.commands.report_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="azr",
        description="Absolute Zero Reasoner environments: sandboxed execution, self-play training, evaluation.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).add_parser(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AZRError as exc:
        print(f"azr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"azr {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
