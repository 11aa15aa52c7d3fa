"""Vector envs for one-step text episodes: SAME_STEP autoreset and text-safe shared memory by default.

`gym.make_vec("AZR-Deduction-v0", 16, vectorization_mode="vector_entry_point")` and
`azr_env.make_vec(...)` come here. With SAME_STEP autoreset, the observation returned by a step that ends an
episode is already the next episode's first prompt (the final one is in `info["final_obs"]`), which suits
one-step episodes: every step returns a fresh prompt to act on.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv

from azr_env.errors import ConfigError

MODES = ("sync", "async")


def make_vec(
    env_id: str, num_envs: int = 1, *, vectorization: str = "sync", shared_memory: bool = True, **env_kwargs: Any
) -> gym.vector.VectorEnv:
    """`num_envs` copies of `env_id` in a Sync or Async vector env with SAME_STEP autoreset.

    AsyncVectorEnv's shared memory works with AZR's text spaces (`AnyText` stores code points), so
    `shared_memory` may stay True; False pickles observations through pipes instead.
    """
    if vectorization not in MODES:
        raise ConfigError(f"vectorization={vectorization!r}; choose one of {MODES}")
    if num_envs < 1:
        raise ConfigError(f"num_envs={num_envs}; must be >= 1")

    def make_one(index: int = 0) -> gym.Env:
        return gym.make(env_id, **env_kwargs)

    fns = [make_one for _ in range(num_envs)]
    if vectorization == "sync":
        return SyncVectorEnv(fns, autoreset_mode=AutoresetMode.SAME_STEP)
    return AsyncVectorEnv(fns, shared_memory=shared_memory, autoreset_mode=AutoresetMode.SAME_STEP)


def vector_entry_point(env_id: str):
    """A `vector_entry_point` for `gym.register`: builds `make_vec(env_id, ...)` from `gym.make_vec`'s call."""

    def create(num_envs: int = 1, vectorization: str = "sync", **kwargs: Any) -> gym.vector.VectorEnv:
        return make_vec(env_id, num_envs, vectorization=vectorization, **kwargs)

    return create
