"""The `--azr.*` options added to OpenRLHF's `train_ppo_ray` parser, and the self-play config built from them.

OpenRLHF's own options keep their meaning (model, DeepSpeed, vLLM, PPO clip, learning rate, logging,
checkpoints). AZR's own loop (SPEC §4-6) needs the few below; defaults reproduce the reference code.
Importable without OpenRLHF so `azr train-openrlhf` can build command lines anywhere.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from azr_env.errors import ConfigError
from azr_env.rewards import RewardConfig
from azr_env.rounds import RoundConfig
from azr_env.step import StepConfig
from azr_env.tasks.base import PROMPT_FORMATS, TaskConfig
from azr_env.tasks.registry import AZR_TASK_TYPES


@dataclass(frozen=True)
class OpenRLHFSelfPlayConfig:
    """One AZR self-play run on OpenRLHF (the `--azr.*` options)."""

    steps: int = 500
    """AZR steps (one propose + solve round and one PPO update each); reference about 500."""
    batch_per_type: int = 64
    """Prompts per task type and role per step (reference 64: 6 x 64 = 384 samples per step)."""
    task_types: tuple[str, ...] = AZR_TASK_TYPES
    """Task types trained (reference: deduction, abduction, induction)."""
    n_rollouts: int = 8
    """N, solver rollouts per valid proposal for its learnability (reference 8, temperature 1.0)."""
    seed_tasks_per_type: int = 256
    """Seeding stage (SPEC §5): propose, without training, until each buffer holds this many tasks (0: skip)."""
    seed_max_rounds: int = 50
    """Give up seeding after this many propose rounds (a weak model may never reach the target)."""
    seed_files: tuple[str, ...] = ()
    """The reference's released seed files (`*_seed_io.jsonl`, `*_code_f_seed_io.jsonl`, ...) loaded into the
    buffers before seeding (`azr_env.seeds`; parsed on the driver, which runs no code); seeding then tops up."""
    buffer_dir: str | None = None
    """Where the task buffers persist as JSONL (None: `<ckpt.path>/azr_buffers`); a run resumes from them."""
    buffer_capacity: int = 16384
    """Tasks kept per buffer (reference 16384)."""
    buffer_policy: str = "keep_first"
    """When a buffer is full: "keep_first" (reference) or "evict_oldest"."""
    buffer_dedup: str = "seeding"
    """Exact duplicates: dropped only while seeding ("seeding", reference) or always ("always")."""
    prompt_format: str = "r1"
    """"r1": the reference's plain-text R1 template; "chat": the raw prompt in the tokenizer's chat template."""
    allow_weak_sandbox: bool = False
    """Accept the executor's fallback isolation where bubblewrap is unusable (default: refuse to start)."""
    seed: int = 42
    """Seed of reference draws and solver batches (mixed with the step, so a resumed run draws the same)."""
    round: RoundConfig = field(default_factory=RoundConfig)
    """Task rules, rewards and executor sizes used by the referee in the engines."""

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_per_type < 1 or self.n_rollouts < 1:
            raise ConfigError(f"steps={self.steps}, batch_per_type={self.batch_per_type} and "
                              f"n_rollouts={self.n_rollouts} must all be >= 1")  # fmt: skip
        if self.prompt_format not in PROMPT_FORMATS:
            raise ConfigError(f"--azr.prompt_format {self.prompt_format!r}; choose one of {PROMPT_FORMATS}")
        if not self.task_types:
            raise ConfigError("--azr.task_types is empty; give at least one task type")

    @property
    def isolation(self) -> str:
        """Executor isolation requested in the engines: "bwrap" (required) unless the weak sandbox is allowed."""
        return "auto" if self.allow_weak_sandbox else "bwrap"

    @property
    def samples_per_step(self) -> int:
        """Training samples per step: one proposal and one answer per prompt (2 x types x batch_per_type)."""
        return 2 * len(self.task_types) * self.batch_per_type


def add_azr_args(parser: argparse.ArgumentParser) -> None:
    """Register the `--azr.*` options (dest names with dots, as OpenRLHF's `hierarchize` expects)."""
    d = OpenRLHFSelfPlayConfig()
    add = parser.add_argument
    add("--azr.steps", type=int, default=d.steps, help="AZR self-play steps (reference ~500)")
    add("--azr.batch_per_type", type=int, default=d.batch_per_type, help="prompts per task type and role per step")
    add("--azr.task_types", nargs="+", default=list(d.task_types), help="task types to train")
    add("--azr.n_rollouts", type=int, default=d.n_rollouts, help="solver rollouts per valid proposal (learnability)")
    add("--azr.seed_tasks_per_type", type=int, default=d.seed_tasks_per_type, help="seeding target per buffer")
    add("--azr.seed_max_rounds", type=int, default=d.seed_max_rounds, help="most propose rounds while seeding")
    add("--azr.seed_files", nargs="*", default=[], help="the reference's released seed files, loaded before seeding")
    add("--azr.prompts_from", type=str, default=None,
        help="your copy of the reference's data_construction/prompts.py: its prompts, read as data (never run)")
    add("--azr.max_prompt_tokens", type=int, default=TaskConfig().max_prompt_tokens,
        help="proposer prompts over this many tokens of the policy's tokenizer are re-drawn (reference 5600)")
    add("--azr.buffer_dir", type=str, default=None, help="task buffer folder (default <ckpt.path>/azr_buffers)")
    add("--azr.buffer_capacity", type=int, default=d.buffer_capacity, help="tasks kept per buffer")
    add("--azr.buffer_policy", choices=("keep_first", "evict_oldest"), default=d.buffer_policy)
    add("--azr.prompt_format", choices=PROMPT_FORMATS, default=d.prompt_format,
        help="r1 (plain-text R1 preamble), raw (unchanged) or chat (the policy's chat template)")
    add("--azr.zero_learnability_reward", type=float, default=RewardConfig().zero_learnability_reward,
        help="proposer reward of a valid task solved always or never (reference -0.5, paper 0)")
    add("--azr.hash_seed_check", type=int, choices=(0, 1), default=int(TaskConfig().hash_seed_check),
        help="reject tasks whose output depends on PYTHONHASHSEED (1, azr-env default)")
    add("--azr.long_output", choices=("reject", "truncate"), default=TaskConfig().long_output)
    add("--azr.exec_timeout_s", type=float, default=10.0, help="per-program time limit (reference 10 s)")
    add("--azr.exec_workers", type=int, default=4, help="sandbox worker processes per vLLM engine")
    add("--azr.exec_memory_mb", type=int, default=RoundConfig().memory_mb, help="memory limit per program")
    add("--azr.allow_weak_sandbox", type=int, choices=(0, 1), default=0,
        help="1: run where bubblewrap is unusable, with the executor's weaker fallback isolation (default: refuse)")
    add("--azr.buffer_dedup", choices=("seeding", "always"), default=d.buffer_dedup,
        help="exact duplicates dropped only while seeding (reference) or always")
    # The environment's sections, as `azr selfplay --step.* / --task.* / --rewards.*` take them (one definition: the
    # dataclass fields and their docstrings). Fields with an older `--azr.*` spelling above keep that one.
    for prefix, cls in SECTIONS.items():
        for name, (kind, default, text) in section_options(cls).items():
            if kind is bool:
                add(f"--azr.{prefix}_{name}", type=int, choices=(0, 1), default=int(default), help=text)
            elif kind is tuple:
                add(f"--azr.{prefix}_{name}", nargs="*", default=list(default), help=text)
            else:
                add(f"--azr.{prefix}_{name}", type=kind, default=default, help=text)


SECTIONS: dict[str, type] = {"step": StepConfig, "task": TaskConfig, "rewards": RewardConfig}
# TaskConfig / RewardConfig fields already spelled otherwise above (or set from another flag).
_SPELLED_ELSEWHERE = {"hash_seed_check", "long_output", "template_dir", "max_prompt_tokens", "timeout_s",
                      "prompt_format", "zero_learnability_reward"}


def section_options(cls: type) -> dict[str, tuple[type, Any, str]]:
    """A section's scalar and tuple fields: type, default and the first sentence of the docstring (the same
    switches both trainers take; docs/options.md has the rest)."""
    from dataclasses import MISSING, fields

    from azr_agents.config import field_docs

    docs = field_docs(cls)
    options = {}
    for f in fields(cls):
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        if f.name in _SPELLED_ELSEWHERE or not isinstance(default, bool | int | float | str | tuple):
            continue
        options[f.name] = (type(default), default, docs.get(f.name, "").split(". ")[0].replace("%", "%%"))
    return options


def section_from_args(a: Any, prefix: str, cls: type, **given: Any) -> Any:
    """`cls` from the `--azr.<prefix>_*` flags, plus the values `given` from the older spellings."""
    values = {}
    for name, (kind, default, _) in section_options(cls).items():
        value = getattr(a, f"{prefix}_{name}", default)
        values[name] = bool(value) if kind is bool else tuple(value) if kind is tuple else value
    return cls(**values, **given)


def config_from_args(args: Any, *, ckpt_path: str | None = None) -> OpenRLHFSelfPlayConfig:
    """Build the config from hierarchized OpenRLHF args (`args.azr.*`, `args.train.seed`, `args.rollout.*`)."""
    a = args.azr
    task = section_from_args(a, "task", TaskConfig, hash_seed_check=bool(a.hash_seed_check),
                             long_output=a.long_output, template_dir=getattr(a, "prompts_from", None),
                             max_prompt_tokens=getattr(a, "max_prompt_tokens", TaskConfig().max_prompt_tokens),
                             timeout_s=a.exec_timeout_s, prompt_format=a.prompt_format)  # fmt: skip
    rewards = section_from_args(a, "rewards", RewardConfig, zero_learnability_reward=a.zero_learnability_reward)
    max_new = getattr(args.rollout, "max_new_tokens", None) or RoundConfig().max_new_tokens
    step = section_from_args(a, "step", StepConfig)
    rnd = RoundConfig(task=task, rewards=rewards, n_rollouts=a.n_rollouts, workers=a.exec_workers,
                      memory_mb=a.exec_memory_mb, max_new_tokens=max_new, step=step)  # fmt: skip
    buffer_dir = a.buffer_dir or (f"{ckpt_path}/azr_buffers" if ckpt_path else None)
    return OpenRLHFSelfPlayConfig(steps=a.steps, batch_per_type=a.batch_per_type, task_types=tuple(a.task_types),
                          n_rollouts=a.n_rollouts, seed_tasks_per_type=a.seed_tasks_per_type,
                          seed_max_rounds=a.seed_max_rounds, seed_files=tuple(getattr(a, "seed_files", ())),
                          buffer_dir=buffer_dir,
                          buffer_capacity=a.buffer_capacity, buffer_policy=a.buffer_policy,
                          buffer_dedup=getattr(a, "buffer_dedup", "seeding"),
                          prompt_format=a.prompt_format, allow_weak_sandbox=bool(a.allow_weak_sandbox),
                          seed=args.train.seed, round=rnd)  # fmt: skip
