"""The task-type registry: a new task type is one module plus one `register_task_type` line (SPEC §2).

A task type is any object with the methods of `azr_env.tasks.program_task.ProgramTaskType` (see docs/envs.md,
"Adding a task type"): `name`, `reference_types`, `num_references`, `proposer_prompt`, `propose`,
`recheck_jobs`, `recheck_matches`, `solver_prompt`, `parse_answer`, `check`, `zero_task`. Entries are
`"module:Class"` strings, imported on first use.
"""

from __future__ import annotations

import difflib
import importlib
from typing import Any

from azr_env.errors import ConfigError

_ENTRY_POINTS: dict[str, str] = {
    "deduction": "azr_env.tasks.deduction:DeductionTask",
    "abduction": "azr_env.tasks.abduction:AbductionTask",
    "induction": "azr_env.tasks.induction:InductionTask",
    "error_type": "azr_env.tasks.error_type:ErrorTypeTask",
}
_INSTANCES: dict[str, Any] = {}
# The reference's names for the same types.
ALIASES = {"code_o": "deduction", "code_i": "abduction", "code_f": "induction", "code_e": "error_type"}
AZR_TASK_TYPES = ("deduction", "abduction", "induction")


def register_task_type(name: str, entry_point: str | Any, *, overwrite: bool = False) -> None:
    """Register `name` -> `"module:Class"` (or a ready instance). Re-registering needs `overwrite=True`."""
    if name in _ENTRY_POINTS and not overwrite:
        raise ConfigError(f"task type {name!r} is already registered; pass overwrite=True to replace it")
    _INSTANCES.pop(name, None)
    if isinstance(entry_point, str):
        _ENTRY_POINTS[name] = entry_point
    else:
        _ENTRY_POINTS[name] = f"<instance {type(entry_point).__name__}>"
        _INSTANCES[name] = entry_point


def task_type_names() -> list[str]:
    return list(_ENTRY_POINTS)


def get_task_type(name: str) -> Any:
    """The shared instance of task type `name` (reference aliases such as `code_o` accepted)."""
    name = ALIASES.get(name, name)
    if name in _INSTANCES:
        return _INSTANCES[name]
    if name not in _ENTRY_POINTS:
        close = difflib.get_close_matches(name, list(_ENTRY_POINTS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown task type {name!r}; known: {', '.join(_ENTRY_POINTS)}.{hint}")
    module_name, _, class_name = _ENTRY_POINTS[name].partition(":")
    instance = getattr(importlib.import_module(module_name), class_name)()
    _INSTANCES[name] = instance
    return instance
