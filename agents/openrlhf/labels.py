"""The label protocol between the AZR trainer and the agent running in OpenRLHF's vLLM engines.

OpenRLHF hands every prompt to the engine together with a string `label` and gives the label back with the
generated sample (`Experience.labels`). AZR uses it both ways:

- trainer -> engine (`make_label`): the role ("propose" or "solve"), the task type, the proposer's reference
  tasks or the task to solve, and the referee options that validation and scoring depend on;
- engine -> trainer (`with_outcome`): the same label plus the referee's verdict (for a valid proposal, the
  validated task, which the trainer adds to its buffers).

TRR++ whitens within (role, task type) groups; `group_id` numbers them so the id can travel as a number in
OpenRLHF's per-sample `info` (its `extra_logs` become tensors).
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields
from typing import Any

from azr_env.errors import ConfigError, DataError
from azr_env.rewards import RewardConfig
from azr_env.rounds import RoundConfig
from azr_env.step import StepConfig
from azr_env.tasks.base import Task, TaskConfig
from azr_env.tasks.registry import AZR_TASK_TYPES, task_type_names

LABEL_VERSION = 1
ROLES = ("propose", "solve")
GROUP_KEY = "azr_group"
"""Name of the per-sample group id in `extra_logs` / `Experience.info`."""
_MAX_TYPES = 100


def group_id(role: str, task_type: str) -> int:
    """A stable number for (role, task type): role index * 100 + index in the task-type registry."""
    if role not in ROLES:
        raise ConfigError(f"role={role!r}; choose one of {ROLES}")
    names = task_type_names()
    if task_type not in names:
        raise ConfigError(f"unknown task type {task_type!r}; known: {', '.join(names)}")
    return ROLES.index(role) * _MAX_TYPES + names.index(task_type)


def group_name(gid: int) -> tuple[str, str]:
    """Inverse of `group_id`."""
    names = task_type_names()
    role_index, type_index = divmod(int(gid), _MAX_TYPES)
    if not (0 <= role_index < len(ROLES) and 0 <= type_index < len(names)):
        raise DataError(f"group id {gid} is not one of `group_id`'s numbers")
    return ROLES[role_index], names[type_index]


def default_group_ids(task_types: tuple[str, ...] = AZR_TASK_TYPES) -> list[int]:
    """The 6 TRR++ groups of the reference: {propose, solve} x {deduction, abduction, induction}."""
    return [group_id(role, kind) for role in ROLES for kind in task_types]


# ---- referee options carried to the engines ------------------------------------------------------------------
def config_to_json(config: RoundConfig, isolation: str | None = None) -> dict[str, Any]:
    """The options engine-side validation and scoring depend on, only where they differ from the defaults.

    `isolation`: the executor isolation the engines must use ("bwrap" refuses to run without bubblewrap).
    """
    out: dict[str, Any] = {"isolation": isolation} if isolation else {}
    task = {f.name: getattr(config.task, f.name) for f in fields(TaskConfig)
            if getattr(config.task, f.name) != getattr(TaskConfig(), f.name)}  # fmt: skip
    rewards = {k: v for k, v in asdict(config.rewards).items() if v != getattr(RewardConfig(), k)}
    if task:
        out["task"] = {k: list(v) if isinstance(v, tuple) else v for k, v in task.items()}
    if rewards:
        out["rewards"] = rewards
    step = {k: v for k, v in asdict(config.step).items() if v != getattr(StepConfig(), k)}
    if step:  # the engines score learnability rollouts (step.rollout_format_check)
        out["step"] = step
    for name in ("workers", "memory_mb"):
        if getattr(config, name) != getattr(RoundConfig(), name):
            out[name] = getattr(config, name)
    return out


def config_from_json(data: dict[str, Any] | None) -> RoundConfig:
    """Inverse of `config_to_json`; unknown keys are errors (a newer trainer than agent)."""
    data = dict(data or {})
    data.pop("isolation", None)  # the executor's, not the referee's (isolation_of)
    task = {k: tuple(v) if isinstance(v, list) else v for k, v in dict(data.pop("task", {})).items()}
    try:
        return RoundConfig(task=TaskConfig(**task), rewards=RewardConfig(**data.pop("rewards", {})),
                           step=StepConfig(**data.pop("step", {})), **data)
    except TypeError as exc:
        raise DataError(f"label config {data!r} has an unknown option ({exc}); agent and trainer versions differ") \
            from exc


def isolation_of(row: dict[str, Any]) -> str:
    """Executor isolation a label asks for; "auto" for labels from before the option existed."""
    return str((row.get("config") or {}).get("isolation", "auto"))


# ---- labels --------------------------------------------------------------------------------------------------
def make_label(
    role: str,
    task_type: str,
    *,
    task: Task | None = None,
    references: tuple[Task, ...] | list[Task] = (),
    config: dict[str, Any] | None = None,
    purpose: str = "train",
) -> str:
    """The label of one prompt. `purpose`: "train" (a training sample) or "rollout" (learnability estimate)."""
    group_id(role, task_type)
    if role == "solve" and task is None:
        raise ConfigError("a solve label needs the task to solve")
    row: dict[str, Any] = {"v": LABEL_VERSION, "role": role, "task_type": task_type, "purpose": purpose}
    if task is not None:
        row["task"] = task.to_dict()
    if references:
        row["references"] = [t.to_dict() for t in references]
    if config:
        row["config"] = config
    return json.dumps(row, sort_keys=True)


def parse_label(label: str | dict[str, Any]) -> dict[str, Any]:
    """Decode a label (string or already decoded), checking its version, role and task type."""
    try:
        row = json.loads(label) if isinstance(label, str) else dict(label)
    except (TypeError, ValueError) as exc:
        raise DataError(f"label {str(label)[:120]!r} is not AZR label JSON: {exc}") from exc
    if not isinstance(row, dict) or row.get("v") != LABEL_VERSION:
        raise DataError(f"label {str(label)[:120]!r} is not an AZR label of version {LABEL_VERSION}")
    group_id(row.get("role", ""), row.get("task_type", ""))
    return row


def label_task(row: dict[str, Any]) -> Task | None:
    return Task.from_dict(row["task"]) if row.get("task") else None


def label_references(row: dict[str, Any]) -> list[Task]:
    return [Task.from_dict(t) for t in row.get("references", [])]


def with_outcome(row: dict[str, Any], outcome: dict[str, Any]) -> str:
    """The label given back to the trainer: the request plus the referee's `outcome` (references dropped)."""
    out = {k: v for k, v in row.items() if k not in ("references", "config")}
    out["outcome"] = outcome
    return json.dumps(out, sort_keys=True)
