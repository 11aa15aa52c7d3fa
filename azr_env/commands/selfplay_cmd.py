"""`azr selfplay`: run the reference TRR++ self-play trainer (agents/trainer.py)."""

from __future__ import annotations

import argparse
import dataclasses


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from azr_agents.config import PRESETS, SelfPlayConfig, field_docs

    p = subparsers.add_parser(
        "selfplay",
        help="run AZR self-play (propose, validate, solve, TRR++ update) on one machine",
        description="Run Absolute Zero self-play with the TRR++ trainer. Options come from the preset, then "
        "--config FILE (YAML), then flags. Re-running with the same --run-dir resumes. See docs/trainer.md.",
    )
    p.add_argument("--config", dest="config_file", default=None, help="YAML file of option: value")
    p.add_argument("--print-config", action="store_true", help="print the resolved config as YAML and exit")
    docs = field_docs()
    for f in dataclasses.fields(SelfPlayConfig):
        flag = "--" + f.name.replace("_", "-")
        help_text = docs.get(f.name, "")
        if f.name == "preset":
            p.add_argument(flag, dest=f.name, default=argparse.SUPPRESS, choices=list(PRESETS), help=help_text)
        else:
            p.add_argument(
                flag,
                dest=f.name,
                default=argparse.SUPPRESS,
                metavar=f.name.upper(),
                help=f"{help_text} (default {f.default!r})".replace("%", "%%"),
            )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from azr_agents.config import SelfPlayConfig, load_config, to_yaml

    names = {f.name for f in dataclasses.fields(SelfPlayConfig)}
    overrides = {k: v for k, v in vars(args).items() if k in names}
    preset = overrides.pop("preset", None)
    config = load_config(preset, args.config_file, overrides)
    if args.print_config:
        print(to_yaml(config), end="")
        return 0
    from azr_agents.trainer import main

    main(config)
    return 0
