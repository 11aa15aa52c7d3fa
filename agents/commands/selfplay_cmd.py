"""`azr selfplay`: run the reference TRR++ self-play trainer (agents/trainer.py)."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    from azr_agents.config import PRESET_DESCRIPTIONS, add_config_arguments

    p = subparsers.add_parser(
        "selfplay",
        help="run AZR self-play (propose, validate, solve, TRR++ update) on one machine",
        description="Run Absolute Zero self-play with the TRR++ trainer. Options come from the preset, then "
        "--config FILE (YAML), then flags. Re-running with the same --run-dir resumes. Options of the environment "
        "are nested: --task.NAME, --rewards.NAME, --step.NAME (docs/options.md lists every option). Presets: "
        + "; ".join(f"{k}: {v}" for k, v in PRESET_DESCRIPTIONS.items()).replace("%", "%%") + ". See docs/trainer.md.",
    )
    p.add_argument("--config", dest="config_file", default=None, help="YAML file of option: value")
    p.add_argument("--print-config", action="store_true", help="print the resolved config as YAML and exit")
    add_config_arguments(p)  # one flag per option, help from its docstring; old flat spellings as aliases
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from azr_agents.config import PRESET_DESCRIPTIONS, load_config, overrides_from_args, to_yaml

    overrides = overrides_from_args(args)
    preset = overrides.pop("preset", None)
    config = load_config(preset, args.config_file, overrides)
    if args.print_config:
        print(f"# preset {config.preset}: {PRESET_DESCRIPTIONS.get(config.preset, '')}")
        print(to_yaml(config), end="")
        return 0
    from azr_agents.trainer import main

    main(config)  # refuses a previous run's folder without resume, and the fallback sandbox unless allowed
    return 0
