"""`azr selfplay`: run the reference TRR++ self-play trainer (agents/trainer.py)."""

from __future__ import annotations

import argparse
import json
import socket
from pathlib import Path

from azr_env.errors import ConfigError


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
    p.add_argument("--allow-weak-sandbox", action="store_true", help="train even where bubblewrap is unusable, "
                   "with the executor's weaker fallback isolation (default: refuse)")
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
    isolation = check_start(config.run_dir, config.resume, args.allow_weak_sandbox)
    from azr_agents.trainer import main

    print(f"sandbox isolation: {isolation}", flush=True)
    main(config)
    return 0


def check_start(run_dir: str, resume: bool, allow_weak_sandbox: bool) -> str:
    """Refuse to discard a previous run or to run model code without the full sandbox; returns the isolation.

    The isolation mode is recorded in `<run_dir>/sandbox.json` (with the host) for the run's record.
    """
    from azr_env.sandbox.isolation import bwrap_works

    folder = Path(run_dir)
    if not resume and folder.is_dir() and any(folder.iterdir()):
        raise ConfigError(f"--run-dir {folder} is not empty and --resume is false: starting fresh would discard that "
                          "run; use a new --run-dir, or --resume true to continue it")  # fmt: skip
    isolation = "bwrap" if bwrap_works() else "fallback"
    if isolation == "fallback" and not allow_weak_sandbox:
        raise ConfigError("bubblewrap is not usable here: model-written programs would run with network access "
                          "(fallback isolation). Install bubblewrap (`apt-get install bubblewrap`; containers also "
                          "need unprivileged user namespaces) or pass --allow-weak-sandbox")  # fmt: skip
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sandbox.json").write_text(json.dumps({"isolation": isolation, "host": socket.gethostname()}) + "\n")
    return isolation
