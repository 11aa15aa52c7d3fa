"""Gym ids of the AZR envs, registered by `import azr_env` (Gymnasium 1.x has no entry-point auto-loading).

The ids come from the task-type registry: every registered type gets `AZR-<Name>-v0` (solve) and
`AZR-Propose-<Name>-v0`, also when it is registered after `import azr_env`.

Versioned ids with lazy `"module:Class"` entry points; `gym.make("azr_env:AZR-Deduction-v0")` also works since
it imports `azr_env` first.
"""

from __future__ import annotations

import gymnasium as gym

from azr_env.tasks.registry import on_register, task_type_names

SOLVE = "azr_env.envs.solve:AZRSolveEnv"
PROPOSE = "azr_env.envs.propose:AZRProposeEnv"
SELFPLAY = "azr_env.envs.selfplay:AZRSelfPlayEnv"


def env_ids(task_type: str) -> tuple[str, str]:
    """The solver and proposer env ids of a registered task type: error_type -> AZR-ErrorType-v0,
    AZR-Propose-ErrorType-v0."""
    camel = "".join(part[:1].upper() + part[1:] for part in task_type.split("_"))
    return f"AZR-{camel}-v0", f"AZR-Propose-{camel}-v0"


def task_env_specs(task_type: str) -> dict[str, tuple[str, dict]]:
    solve_id, propose_id = env_ids(task_type)
    return {solve_id: (SOLVE, {"task_type": task_type}), propose_id: (PROPOSE, {"task_type": task_type})}


# id -> (entry point, default kwargs): two ids per registered task type, then the self-play env.
ENV_SPECS: dict[str, tuple[str, dict]] = {
    **{k: v for name in task_type_names() for k, v in task_env_specs(name).items() if not k.startswith("AZR-Propose-")},
    **{k: v for name in task_type_names() for k, v in task_env_specs(name).items() if k.startswith("AZR-Propose-")},
    "AZR-SelfPlay-v0": (SELFPLAY, {}),
}


def _register(specs: dict[str, tuple[str, dict]]) -> None:
    from azr_env.envs.vector import vector_entry_point

    for env_id, (entry_point, kwargs) in specs.items():
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point=entry_point,
            vector_entry_point=vector_entry_point(entry_point),
            kwargs=dict(kwargs),
            disable_env_checker=False,
        )


def register_task_envs(task_type: str) -> None:
    """Add the env ids of a task type registered after import (called by `register_task_type`)."""
    specs = task_env_specs(task_type)
    ENV_SPECS.update(specs)
    _register(specs)


def register_envs() -> None:
    """Register every id in `ENV_SPECS` (idempotent), and follow task types registered later."""
    _register(ENV_SPECS)
    on_register(register_task_envs)
