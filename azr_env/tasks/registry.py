"""The task-type registry: a new task type is one module plus one `register_task_type` line (SPEC §2).

A task type is any object satisfying `azr_env.tasks.base.TaskType` (docs/envs.md, "Adding a task type").
Entries are `"module:Class"` strings, imported on first use. Whatever is registered gets its gym ids
(`azr_env.envs.registration` listens here), scripted responses and training under `azr selfplay`.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from typing import Any

from azr_env.errors import ConfigError
from azr_env.tasks.base import TaskType

_ENTRY_POINTS: dict[str, str] = {
    "deduction": "azr_env.tasks.deduction:DeductionTask",
    "abduction": "azr_env.tasks.abduction:AbductionTask",
    "induction": "azr_env.tasks.induction:InductionTask",
    "error_type": "azr_env.tasks.error_type:ErrorTypeTask",
}
_INSTANCES: dict[str, TaskType] = {}
_LISTENERS: list[Callable[[str], None]] = []
# The reference's names for the same types.
ALIASES = {"code_o": "deduction", "code_i": "abduction", "code_f": "induction", "code_e": "error_type"}
AZR_TASK_TYPES = ("deduction", "abduction", "induction")


def register_task_type(name: str, entry_point: str | TaskType, *, overwrite: bool = False) -> None:
    """Register `name` -> `"module:Class"` (or a ready instance). Re-registering needs `overwrite=True`."""
    if name in _ENTRY_POINTS and not overwrite:
        raise ConfigError(f"task type {name!r} is already registered; pass overwrite=True to replace it")
    if not isinstance(entry_point, str) and not isinstance(entry_point, TaskType):
        raise ConfigError(f"task type {name!r}: {type(entry_point).__name__} lacks methods of "
                          "azr_env.tasks.base.TaskType; give a 'module:Class' string or such an object")
    _INSTANCES.pop(name, None)
    if isinstance(entry_point, str):
        _ENTRY_POINTS[name] = entry_point
    else:
        _ENTRY_POINTS[name] = f"<instance {type(entry_point).__name__}>"
        _INSTANCES[name] = entry_point
    for listener in _LISTENERS:
        listener(name)


def on_register(listener: Callable[[str], None]) -> None:
    """Call `listener(name)` for every task type registered from now on (the env ids use it)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def task_type_names() -> list[str]:
    return list(_ENTRY_POINTS)


def canonical_name(name: str) -> str:
    """The registered name for `name` (reference aliases such as `code_o` accepted); ConfigError if unknown."""
    return get_task_type(name).name


def get_task_type(name: str) -> TaskType:
    """The shared instance of task type `name` (reference aliases such as `code_o` accepted)."""
    name = ALIASES.get(name, name)
    if name in _INSTANCES:
        return _INSTANCES[name]
    if name not in _ENTRY_POINTS:
        close = difflib.get_close_matches(name, list(_ENTRY_POINTS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown task type {name!r}; known: {', '.join(_ENTRY_POINTS)}.{hint}")
    module_name, _, class_name = _ENTRY_POINTS[name].partition(":")
    instance: Any = getattr(importlib.import_module(module_name), class_name)()
    if not isinstance(instance, TaskType):
        members = [*TaskType.__annotations__, *(m for m in vars(TaskType) if not m.startswith("_"))]
        missing = [m for m in dict.fromkeys(members) if not hasattr(instance, m)]
        raise ConfigError(f"task type {name!r} ({_ENTRY_POINTS[name]}) lacks {', '.join(sorted(missing))} of "
                          "azr_env.tasks.base.TaskType")
    _INSTANCES[name] = instance
    return instance
