"""`azr pretrain-micro`: build and pretrain the cpu-micro model (a few CPU minutes), cached for reuse."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "pretrain-micro",
        help="build the tiny byte-level cpu-micro model and pretrain it on generated AZR transcripts",
        description="Train the cpu-micro model on transcripts of generated tasks so it answers in the AZR "
        "format. Written to --out (default: the cache that `--model cpu-micro` uses).",
    )
    p.add_argument("--out", default=None, help="output folder (default: <cache>/cpu-micro)")
    p.add_argument("--cache-dir", default=None, help="cache folder (default $AZR_CACHE_DIR or ~/.cache/azr-env)")
    p.add_argument("--max-minutes", type=float, default=None, help="wall-clock budget in minutes (default 5)")
    p.add_argument("--max-steps", type=int, default=None, help="optimizer steps at most (default 1500)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default 2)")
    p.add_argument("--seed", type=int, default=None, help="seed (default 0)")
    p.add_argument("--lazy-share", type=float, default=None,
                   help="share of solver transcripts answered by habit (answer 0) instead of the gold answer")
    p.add_argument("--init-from", default=None, help="continue training this micro model folder")
    p.add_argument("--habit", action="store_true",
                   help="build cpu-micro-habit (cpu-micro + a planted answer habit: the learning evidence's control)")
    p.add_argument("--force", action="store_true", help="rebuild even if a pretrained model is cached")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from azr_agents.micro import default_cache_dir, micro_model_path
    from azr_agents.pretrain import PretrainConfig, pretrain_micro

    from azr_env.errors import ConfigError

    if args.habit:
        from azr_agents.micro import habit_model_path

        print(f"cpu-micro-habit: {habit_model_path(args.cache_dir)}")
        return 0
    out = Path(args.out) if args.out else Path(args.cache_dir or default_cache_dir()) / "cpu-micro"
    if not args.force and not args.out:
        try:
            path = micro_model_path(args.cache_dir, build=False)
            print(f"cpu-micro is already built at {path} (use --force to rebuild)")
            return 0
        except ConfigError:  # not built yet: build it below
            pass
    names = ("max_minutes", "max_steps", "threads", "seed", "lazy_share", "init_from")
    options = {k: getattr(args, k) for k in names if getattr(args, k) is not None}
    pretrain_micro(PretrainConfig(out_dir=str(out), **options), log=lambda s: print(s, flush=True))
    return 0
