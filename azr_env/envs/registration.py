"""Gym ids of the AZR envs, registered by `import azr_env` (Gymnasium 1.x has no entry-point auto-loading).

Versioned ids with lazy `"module:Class"` entry points; `gym.make("azr_env:AZR-Deduction-v0")` also works since
it imports `azr_env` first.
"""

from __future__ import annotations

import gymnasium as gym

SOLVE = "azr_env.envs.solve:AZRSolveEnv"
PROPOSE = "azr_env.envs.propose:AZRProposeEnv"
SELFPLAY = "azr_env.envs.selfplay:AZRSelfPlayEnv"

# id -> (entry point, default kwargs)
ENV_SPECS: dict[str, tuple[str, dict]] = {
    "AZR-Deduction-v0": (SOLVE, {"task_type": "deduction"}),
    "AZR-Abduction-v0": (SOLVE, {"task_type": "abduction"}),
    "AZR-Induction-v0": (SOLVE, {"task_type": "induction"}),
    "AZR-ErrorType-v0": (SOLVE, {"task_type": "error_type"}),
    "AZR-Propose-Deduction-v0": (PROPOSE, {"task_type": "deduction"}),
    "AZR-Propose-Abduction-v0": (PROPOSE, {"task_type": "abduction"}),
    "AZR-Propose-Induction-v0": (PROPOSE, {"task_type": "induction"}),
    "AZR-Propose-ErrorType-v0": (PROPOSE, {"task_type": "error_type"}),
    "AZR-SelfPlay-v0": (SELFPLAY, {}),
}


def register_envs() -> None:
    """Register every id in `ENV_SPECS` (idempotent)."""
    from azr_env.envs.vector import vector_entry_point

    for env_id, (entry_point, kwargs) in ENV_SPECS.items():
        if env_id in gym.registry:
            continue
        gym.register(
            id=env_id,
            entry_point=entry_point,
            vector_entry_point=vector_entry_point(entry_point),
            kwargs=dict(kwargs),
            disable_env_checker=False,
        )
