"""Vector envs and picklable env factories for one-step text episodes (docs/envs.md, "RL libraries").

`gym.make_vec("AZR-Deduction-v0", 16)` (the default `vector_entry_point` mode) and `azr_env.make_vec(...)` come
here. They use SAME_STEP autoreset: the observation returned by a step that ends an episode is already the next
episode's first prompt (the finished one is in `info["final_obs"]`, its verdict in `info["final_info"]`), which
suits one-step episodes: every step scores an action. Gymnasium's own classes (`vectorization_mode="sync"` or
`"async"`, `SyncVectorEnv([...])`) default to NEXT_STEP, where every second step is a dummy reset; AZR envs warn
once when that happens (`common.warn_if_next_step_autoreset`).

Everything here pickles (Ray, SB3's `SubprocVecEnv` with spawn, launchers ship env factories that way): the
vector entry points are module-level functions named by `"module:function"` strings, and `EnvFactory` is a
module-level class whose unpickling imports `azr_env`, which registers the ids.
"""

from __future__ import annotations

import functools
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import load_env_creator
from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv

from azr_env.errors import ConfigError

MODES = ("sync", "async")


class EnvFactory:
    """A picklable zero-argument callable that builds `gym.make(env_id, **kwargs)`.

    Use it wherever a library wants env factories it may send to other processes:
    `SubprocVecEnv([EnvFactory("AZR-Deduction-v0")] * 8)`, Ray's `tune.register_env`, `AsyncVectorEnv`.
    `env_id` may also be an `EnvSpec`.
    """

    def __init__(self, env_id: Any, **kwargs: Any):
        self.env_id = env_id
        self.kwargs = kwargs

    def __call__(self) -> gym.Env:
        return gym.make(self.env_id, **self.kwargs)

    def __repr__(self) -> str:
        return f"EnvFactory({self.env_id!r}, **{self.kwargs!r})"


def _vector(factories: list[Any], vectorization: str, shared_memory: bool) -> gym.vector.VectorEnv:
    if vectorization not in MODES:
        raise ConfigError(f"vectorization={vectorization!r}; choose one of {MODES}")
    if not factories:
        raise ConfigError("num_envs=0; must be >= 1")
    if vectorization == "sync":
        return SyncVectorEnv(factories, autoreset_mode=AutoresetMode.SAME_STEP)
    return AsyncVectorEnv(factories, shared_memory=shared_memory, autoreset_mode=AutoresetMode.SAME_STEP)


def make_vec(
    env_id: str, num_envs: int = 1, *, vectorization: str = "sync", shared_memory: bool = True, **env_kwargs: Any
) -> gym.vector.VectorEnv:
    """`num_envs` copies of `env_id` in a Sync or Async vector env with SAME_STEP autoreset.

    AsyncVectorEnv's shared memory works with AZR's text spaces (`AnyText` stores code points), so
    `shared_memory` may stay True; False pickles observations through pipes instead.
    """
    if not isinstance(num_envs, int) or num_envs < 1:
        raise ConfigError(f"num_envs={num_envs!r}; must be an int >= 1")
    return _vector([EnvFactory(env_id, **env_kwargs) for _ in range(num_envs)], vectorization, shared_memory)


def _entry_point_vector(entry_point: str, num_envs: int, vectorization: str, shared_memory: bool,
                        kwargs: dict[str, Any]) -> gym.vector.VectorEnv:  # fmt: skip
    if not isinstance(num_envs, int) or num_envs < 1:
        raise ConfigError(f"num_envs={num_envs!r}; must be an int >= 1")
    kwargs.pop("max_episode_steps", None)  # gym.make_vec adds it from the spec; AZR episodes bound themselves
    factory = functools.partial(load_env_creator(entry_point), **kwargs)  # pickles: a class and plain kwargs
    return _vector([factory] * num_envs, vectorization, shared_memory)


def solve_vector_env(num_envs: int = 1, vectorization: str = "sync", shared_memory: bool = True,
                     **kwargs: Any) -> gym.vector.VectorEnv:  # fmt: skip
    """Vector entry point of the solver ids (`gym.make_vec(id, n)` with the spec's `task_type`)."""
    return _entry_point_vector("azr_env.envs.solve:AZRSolveEnv", num_envs, vectorization, shared_memory, kwargs)


def propose_vector_env(num_envs: int = 1, vectorization: str = "sync", shared_memory: bool = True,
                       **kwargs: Any) -> gym.vector.VectorEnv:  # fmt: skip
    """Vector entry point of the proposer ids."""
    return _entry_point_vector("azr_env.envs.propose:AZRProposeEnv", num_envs, vectorization, shared_memory, kwargs)


def selfplay_vector_env(num_envs: int = 1, vectorization: str = "sync", shared_memory: bool = True,
                        **kwargs: Any) -> gym.vector.VectorEnv:  # fmt: skip
    """Vector entry point of `AZR-SelfPlay-v0`."""
    return _entry_point_vector("azr_env.envs.selfplay:AZRSelfPlayEnv", num_envs, vectorization, shared_memory, kwargs)


_VECTOR_ENTRY_POINTS = {
    "azr_env.envs.solve:AZRSolveEnv": "azr_env.envs.vector:solve_vector_env",
    "azr_env.envs.propose:AZRProposeEnv": "azr_env.envs.vector:propose_vector_env",
    "azr_env.envs.selfplay:AZRSelfPlayEnv": "azr_env.envs.vector:selfplay_vector_env",
}


def vector_entry_point(entry_point: str) -> str | None:
    """The `vector_entry_point` string for `gym.register` of an env with this `entry_point` (None: none known).

    A string, not a closure, so that specs pickle and `spec.to_json()` works.
    """
    return _VECTOR_ENTRY_POINTS.get(entry_point)
