"""Gymnasium and PettingZoo environments over the AZR task types (docs/envs.md)."""

from azr_env.envs.registration import ENV_SPECS, register_envs
from azr_env.envs.spaces import AnyText
from azr_env.envs.tokens import TokenIdsWrapper
from azr_env.envs.vector import EnvFactory, make_vec

__all__ = ["ENV_SPECS", "AnyText", "EnvFactory", "TokenIdsWrapper", "make_vec", "register_envs"]
