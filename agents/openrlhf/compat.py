"""The OpenRLHF version and private names this extension relies on, checked before anything heavy starts.

The extension uses OpenRLHF's public entry point plus a few internals that a release may rename without notice:
two private `SamplesGenerator` methods, the lazy `PPOTrainer` import inside `train_ppo_ray.train()` (the
trainer class swap depends on it), and argparse's private `_option_string_actions` (to extend OpenRLHF's
parser). `check_openrlhf()` verifies all of them, and the installed version against `OPENRLHF_SPEC` (the one
range pinned everywhere: pyproject's `openrlhf` extra and scripts/install_train_env.sh), and fails with one line
naming what differs, before Ray starts any engine or DeepSpeed actor.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import importlib.util
import inspect
import sys
import types

from azr_env.errors import ConfigError

OPENRLHF_SPEC = "==0.11.2"
"""The OpenRLHF versions this extension is tested with (tests/openrlhf check every pin names exactly this)."""
PRIVATE_METHODS = (
    ("openrlhf.trainer.ppo_utils.samples_generator", "SamplesGenerator", "_dispatch_prompts_to_vllm"),
    ("openrlhf.trainer.ppo_utils.samples_generator", "SamplesGenerator", "_process_response_into_experience"),
    ("openrlhf.trainer.ppo_trainer", "BasePPOTrainer", "train_step"),
    ("openrlhf.trainer.ppo_trainer", "BasePPOTrainer", "save_logs_and_checkpoints"),
    ("openrlhf.trainer.ppo_trainer", "BasePPOTrainer", "init_checkpoint_states"),
)
LAZY_TRAINER_IMPORT = "from openrlhf.trainer.ppo_trainer import PPOTrainer"


def installed_version() -> str | None:
    try:
        return importlib.metadata.version("openrlhf")
    except importlib.metadata.PackageNotFoundError:
        return None


def check_openrlhf() -> None:
    """Raise ConfigError (one line) unless the installed OpenRLHF is in range and has every name we use."""
    from packaging.specifiers import SpecifierSet

    fix = f"install openrlhf{OPENRLHF_SPEC} (`make train-env`)"
    version = installed_version()
    if version is None:
        raise ConfigError(f"OpenRLHF is not installed in {sys.executable}; {fix}")
    if version not in SpecifierSet(OPENRLHF_SPEC):
        raise ConfigError(f"OpenRLHF {version} is installed but azr_agents.openrlhf supports openrlhf{OPENRLHF_SPEC}; "
                          f"{fix}")  # fmt: skip
    for module, cls, name in PRIVATE_METHODS:
        owner = getattr(importlib.import_module(module), cls, None)
        if owner is None or not callable(getattr(owner, name, None)):
            raise ConfigError(f"OpenRLHF {version} has no {module}.{cls}.{name}, which azr_agents.openrlhf uses; {fix}")
    if not hasattr(argparse.ArgumentParser(), "_option_string_actions"):
        raise ConfigError("argparse.ArgumentParser has no _option_string_actions (used to extend OpenRLHF's parser) "
                          f"in Python {sys.version.split()[0]}")  # fmt: skip
    train = getattr(importlib.import_module("openrlhf.cli.train_ppo_ray"), "train", None)
    if train is None or LAZY_TRAINER_IMPORT not in inspect.getsource(train):
        raise ConfigError(f"OpenRLHF {version}: train_ppo_ray.train() no longer imports PPOTrainer inside the "
                          f"function, so the AZR trainer cannot replace it; {fix}")  # fmt: skip


def stub_flash_attn_cuda() -> bool:
    """Stand in for flash-attn's compiled `flash_attn_2_cuda` where it is missing (CPU train environment).

    `import openrlhf.models` imports flash-attn, which imports its CUDA module; in the CPU build that module does
    not exist. Only argument checking (`entry --check`) and the CPU tests need the import to succeed; any call
    into the stand-in raises. Returns True when the stand-in was installed.
    """
    if "flash_attn_2_cuda" in sys.modules or importlib.util.find_spec("flash_attn_2_cuda") is not None:
        return False

    def _no_cuda(name: str):  # AttributeError keeps hasattr() and inspect working
        raise AttributeError(f"flash_attn_2_cuda.{name}: flash-attn's CUDA kernels are not built on this machine")

    stub = types.ModuleType("flash_attn_2_cuda")
    stub.__doc__ = "Stand-in for flash-attn's compiled CUDA extension (azr_agents.openrlhf.compat)."
    stub.__getattr__ = _no_cuda  # type: ignore[attr-defined]
    sys.modules["flash_attn_2_cuda"] = stub
    return True
