"""`azr train-openrlhf --preset NAME [--dry-run]`: multi-GPU AZR training on OpenRLHF (docs/openrlhf.md).

Builds the Ray job for a preset (1-8 GPUs or two nodes; Qwen2.5-Coder-3B/7B/14B, Qwen2.5-7B, Llama-3.1-8B)
with SPEC §6's hyper-parameters, then prints it (`--dry-run`) or runs it with the training environment's
Python (`make train-env`). Imports nothing heavy: OpenRLHF lives in its own environment.
"""

from __future__ import annotations

import argparse
import os
import subprocess
from pathlib import Path

from azr_env.errors import ConfigError

TRAIN_VENV = ".venv-train"
DEFAULT_TRAIN_PYTHON = f"{TRAIN_VENV}/bin/python"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train-openrlhf",
        help="multi-GPU AZR/TRR++ training on OpenRLHF (prints or runs the Ray job of a preset)",
        description="Build the OpenRLHF Ray job for AZR self-play with TRR++ (SPEC §6) from a preset. "
        "Options after `--` go to OpenRLHF / the --azr.* options unchanged and win over the preset's.",
    )
    p.add_argument("--preset", help="layout and model; --list shows them")
    p.add_argument("--list", action="store_true", help="list the presets and exit")
    p.add_argument("--memory", action="store_true", help="print per-preset GPU memory and disk estimates and exit")
    p.add_argument("--dry-run", action="store_true", help="print the job (a shell script) instead of running it")
    p.add_argument("--model", help="model name or path instead of the preset's")
    p.add_argument("--output-dir", help="run folder (default runs/openrlhf/<preset>)")
    p.add_argument("--python", help="train-environment Python (default $AZR_TRAIN_PYTHON, else "
                   f"{DEFAULT_TRAIN_PYTHON} in the azr-env checkout)")
    p.add_argument("--wandb-project", help="log to W&B under this project (key read from $WANDB_API_KEY)")
    p.add_argument("--resume", action="store_true", help="continue from the run folder's latest checkpoint "
                   "(without it, a run folder that is not empty is refused)")
    p.add_argument("--save-steps", type=int, default=50, help="checkpoint every N steps (default 50)")
    p.add_argument("--submit", action="store_true", help="use `ray job submit` on a running Ray cluster")
    p.add_argument("--ray-address", default="http://127.0.0.1:8265", help="Ray dashboard for --submit")
    p.add_argument("extra", nargs=argparse.REMAINDER, help="`-- OPTIONS...` passed to OpenRLHF")
    p.set_defaults(func=run)


def checkout_root() -> Path:
    """The azr-env checkout this command runs from (where `make train-env` puts .venv-train)."""
    return Path(__file__).resolve().parents[2]


def _python(args: argparse.Namespace) -> str:
    """An absolute interpreter path: Ray starts workers with it on every node, whatever their directory."""
    chosen = args.python or os.environ.get("AZR_TRAIN_PYTHON")
    if chosen:
        return chosen if os.sep not in chosen else os.path.abspath(chosen)
    return str(checkout_root() / DEFAULT_TRAIN_PYTHON)


def check_run_folder(output_dir: str, resume: bool) -> None:
    """A fresh run never reuses a folder: its task buffers and checkpoints would seed the new run."""
    out = Path(output_dir)
    if not resume and out.is_dir() and any(out.iterdir()):
        raise ConfigError(f"run folder {out.absolute()} is not empty (a previous run?); pass --resume to continue "
                          "it, or a new --output-dir")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from azr_agents.openrlhf import presets

    if args.list:
        for preset in presets.PRESETS.values():
            layout = f"{preset.nodes}x{preset.gpus_per_node} GPU" if preset.nodes > 1 else f"{preset.gpus} GPU"
            print(
                f"{preset.name:28s} {preset.model:28s} {layout:10s} vLLM {preset.vllm_engines}x tp{preset.vllm_tp}"
                f"  ZeRO-{preset.zero_stage}{'  ' + preset.note if preset.note else ''}"
            )
        return 0
    if args.memory:
        from azr_agents.openrlhf.memory import table

        print(table(), end="")
        return 0
    if not args.preset:
        raise ConfigError("--preset NAME is required (see --list)")
    preset = presets.get_preset(args.preset)
    if args.save_steps < 1:
        raise ConfigError(f"--save-steps {args.save_steps}; must be >= 1")
    extra = tuple(args.extra[1:] if args.extra[:1] == ["--"] else args.extra)
    opts = presets.LaunchOptions(
        output_dir=args.output_dir or f"runs/openrlhf/{preset.name}",
        model=args.model,
        python=_python(args),
        agent_file=_agent_file(),
        wandb_project=args.wandb_project,
        resume=args.resume,
        save_steps=args.save_steps,
        submit=args.submit,
        ray_address=args.ray_address,
        extra=extra,
    )
    check_run_folder(opts.output_dir, args.resume)
    job = presets.plan(preset, opts)
    if args.dry_run:
        print(job.render(), end="")
        return 0
    if preset.nodes > 1:
        print(job.render(), end="")
        print("# multi-node: start Ray on every node as shown, then run the training command above on the head node")
        return 0
    if not (Path(opts.python).exists() or args.python):
        raise ConfigError(f"training Python {opts.python} not found; run `make train-env` or pass --python")
    if args.wandb_project and not os.environ.get(presets.WANDB_KEY_ENV):
        raise ConfigError(f"{presets.WANDB_KEY_ENV} is not set; export it (W&B logging reads the key from the "
                          "environment only) or drop --wandb-project")  # fmt: skip
    for line in job.setup:
        subprocess.run(line, shell=True, check=True)
    return subprocess.call(job.command)


def _agent_file() -> str:
    import importlib.util

    spec = importlib.util.find_spec("azr_agents.openrlhf.agent_func")
    if spec is None or spec.origin is None:
        raise ConfigError("azr_agents.openrlhf.agent_func not found; install azr-env (pip install -e .)")
    return spec.origin
