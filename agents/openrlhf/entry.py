"""`python -m azr_agents.openrlhf.entry [OpenRLHF args] [--azr.* args]`: OpenRLHF's `train_ppo_ray`, for AZR.

This runs OpenRLHF's own `openrlhf.cli.train_ppo_ray` main block (its parser, its argument checks, its Ray
actor setup) with three additions made from outside, so no OpenRLHF code is copied:

- its parser gains the estimator choice `trr++` and the `--azr.*` options (`options.add_azr_args`);
- the trainer actor it creates is `AZRTrainer` (self-play, TRR++ experience maker) instead of `PPOTrainer`;
- `--train.agent_func_path` defaults to the AZR agent file, and `--data.prompt_dataset` is not needed.

OpenRLHF builds its parser inside `if __name__ == "__main__":`, so the parser is obtained by running that
block with `ArgumentParser.parse_args` intercepted (`openrlhf_parser`); the same hook extends it on real runs.

Before anything starts: the installed OpenRLHF and the private names used are checked (`compat`); right after
parsing, `--rollout.batch_size` is derived from the `--azr.*` options (`batching`) and the run folder, W&B key
and local sandbox are checked (`preflight`); right after `ray.init`, before any engine or DeepSpeed actor, every
node is checked for the sandbox and for sharing the run folder (`preflight.check_cluster`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import runpy
import sys
from collections.abc import Iterator, Sequence
from typing import Any
from unittest import mock

from azr_agents.openrlhf import compat, preflight
from azr_agents.openrlhf.batching import ROLLOUT_BATCH, derive_batch_sizes
from azr_agents.openrlhf.options import add_azr_args

from azr_env.errors import ConfigError

OPENRLHF_MAIN = "openrlhf.cli.train_ppo_ray"
ESTIMATOR_OPTION = "--algo.advantage.estimator"
ESTIMATOR = "trr++"


def agent_func_path() -> str:
    """Path of the file OpenRLHF's engines load as the agent (`--train.agent_func_path`)."""
    spec = importlib.util.find_spec("azr_agents.openrlhf.agent_func")
    if spec is None or spec.origin is None:
        raise ConfigError("azr_agents.openrlhf.agent_func is not importable; install azr-env in this environment")
    return spec.origin


def extend_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add `trr++` to the estimator choices and the `--azr.*` options (idempotent)."""
    action = parser._option_string_actions.get(ESTIMATOR_OPTION)
    if action is None:
        raise ConfigError(f"OpenRLHF's parser has no {ESTIMATOR_OPTION}; this OpenRLHF version is not supported")
    if ESTIMATOR not in action.choices:
        action.choices = [*action.choices, ESTIMATOR]
        action.help = f"{action.help}; {ESTIMATOR}: AZR's task-relative REINFORCE++ (azr_agents.openrlhf)"
        add_azr_args(parser)
        batch = parser._option_string_actions["--" + ROLLOUT_BATCH]
        batch.default = None  # None: derived from the --azr.* options (batching.derive_batch_sizes)
        batch.help = "samples per step; for AZR derived: 2 x task types x --azr.batch_per_type"
    return parser


class _Captured(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


def _is_openrlhf_parser(parser: argparse.ArgumentParser) -> bool:
    return ESTIMATOR_OPTION in parser._option_string_actions


def openrlhf_parser() -> argparse.ArgumentParser:
    """OpenRLHF's real `train_ppo_ray` parser, extended (imports OpenRLHF, Ray and vLLM's Python package)."""
    original = argparse.ArgumentParser.parse_args

    def capture(self, args=None, namespace=None):
        if _is_openrlhf_parser(self):
            raise _Captured(self)
        return original(self, args, namespace)

    with mock.patch.object(argparse.ArgumentParser, "parse_args", capture), mock.patch.object(sys, "argv", ["x"]):
        try:
            runpy.run_module(OPENRLHF_MAIN, run_name="__main__")
        except _Captured as captured:
            return extend_parser(captured.parser)
    raise ConfigError(f"{OPENRLHF_MAIN} finished without parsing arguments; this OpenRLHF version is not supported")


def default_args(argv: Sequence[str]) -> list[str]:
    """`argv` plus what AZR always needs unless given: the agent file and the `trr++` estimator."""
    argv = list(argv)
    given = {a.split("=", 1)[0] for a in argv if a.startswith("--")}
    if "--train.agent_func_path" not in given:
        argv += ["--train.agent_func_path", agent_func_path()]
    if ESTIMATOR_OPTION not in given:
        argv += [ESTIMATOR_OPTION, ESTIMATOR]
    return argv


@contextlib.contextmanager
def azr_hooks() -> Iterator[None]:
    """While active, OpenRLHF's main block parses with the extended parser and builds the AZR trainer."""
    import openrlhf.trainer.ppo_trainer as ppo_trainer
    import openrlhf.utils as openrlhf_utils
    from azr_agents.openrlhf.trainer import AZRTrainer

    original = argparse.ArgumentParser.parse_args
    real_get_strategy = openrlhf_utils.get_strategy

    def get_strategy(args):  # train() calls it right after ray.init, before any engine or DeepSpeed actor
        azr = args.azr
        preflight.check_cluster(args.ckpt.path, azr.buffer_dir, bool(azr.allow_weak_sandbox))
        return real_get_strategy(args)

    def parse(self, args=None, namespace=None):
        if _is_openrlhf_parser(self):
            extend_parser(self)
            parsed = original(self, args, namespace)
            check_supported(parsed)
            return parsed
        return original(self, args, namespace)

    with mock.patch.object(argparse.ArgumentParser, "parse_args", parse), \
            mock.patch.object(ppo_trainer, "PPOTrainer", AZRTrainer), \
            mock.patch.object(openrlhf_utils, "get_strategy", get_strategy):  # fmt: skip
        yield


def check_supported(args: argparse.Namespace) -> None:
    """Reject OpenRLHF modes the AZR trainer does not implement, naming the option; derive the batch size;
    refuse a stale run folder, a W&B key on the command line, and (unless allowed) a node without bubblewrap."""
    flat = vars(args)
    if flat.get("train.async_enable"):
        raise ConfigError("--train.async_enable: the AZR trainer is synchronous (a step's tasks feed that step)")
    if flat.get("rollout.n_samples_per_prompt", 1) != 1:
        raise ConfigError("--rollout.n_samples_per_prompt must be 1 for AZR; use --azr.n_rollouts for the "
                          "learnability rollouts")  # fmt: skip
    if flat.get("algo.dynamic_filtering_enable"):
        raise ConfigError("--algo.dynamic_filtering_enable is not supported by the AZR trainer")
    derive_batch_sizes(flat)
    preflight.check_wandb_key(flat.get("logger.wandb.key"))
    ckpt = flat.get("ckpt.path")
    buffers = flat.get("azr.buffer_dir") or (f"{ckpt}/azr_buffers" if ckpt else None)
    preflight.check_run_folder(ckpt, buffers, bool(flat.get("ckpt.load_enable")))
    from azr_env.sandbox.isolation import bwrap_works

    preflight.sandbox_mode(bwrap_works(), bool(flat.get("azr.allow_weak_sandbox")), where="the head node")


class _Checked(Exception):
    pass


def check_args(argv: Sequence[str]) -> Any:
    """Run OpenRLHF's parser and all of its argument checks on `argv`, stopping before Ray starts.

    Returns the hierarchized args `train()` would receive; raises SystemExit (argparse) or AssertionError /
    ConfigError (OpenRLHF's and our checks) for a bad command line.
    """
    import openrlhf.utils.config as config
    import ray

    compat.check_openrlhf()
    seen: list[Any] = []
    real = config.hierarchize

    def hierarchize(args: Any) -> Any:
        seen.append(real(args))
        return seen[-1]

    def stop() -> bool:
        raise _Checked

    argv = default_args(argv)
    with azr_hooks(), mock.patch.object(sys, "argv", [OPENRLHF_MAIN, *argv]), \
            mock.patch.object(config, "hierarchize", hierarchize), mock.patch.object(ray, "is_initialized", stop):
        try:
            runpy.run_module(OPENRLHF_MAIN, run_name="__main__", alter_sys=False)
        except _Checked:
            return seen[-1]
    raise ConfigError(f"{OPENRLHF_MAIN} did not reach train(); this OpenRLHF version is not supported")


def main(argv: Sequence[str] | None = None) -> None:
    """Train; with `--check` first, only check the command line and print the AZR config."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--check"]:
        from azr_agents.openrlhf.options import config_from_args

        compat.stub_flash_attn_cuda()  # checking needs OpenRLHF's imports only, also in the CPU train environment
        args = check_args(argv[1:])
        print(config_from_args(args, ckpt_path=args.ckpt.path))
        return
    compat.check_openrlhf()
    argv = default_args(argv)
    with azr_hooks(), mock.patch.object(sys, "argv", [OPENRLHF_MAIN, *argv]):
        runpy.run_module(OPENRLHF_MAIN, run_name="__main__", alter_sys=False)


if __name__ == "__main__":
    main()
