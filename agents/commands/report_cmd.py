"""`azr report RUN_DIR`: plots and an HTML page for a self-play run."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "report",
        help="write PNG plots and an HTML page for a selfplay run folder",
        description="Read RUN_DIR/metrics.jsonl and samples.jsonl; write RUN_DIR/report/.",
    )
    p.add_argument("run_dir", help="a folder written by `azr selfplay`")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from azr_agents.report import write_report

    print(write_report(args.run_dir))
    return 0
