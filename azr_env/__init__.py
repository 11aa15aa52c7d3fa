"""azr-env: Absolute Zero Reasoner environments on a sandboxed Python executor.

`import azr_env` registers the Gymnasium environments (see `azr_env.envs` and docs/envs.md):

    import gymnasium as gym, azr_env
    env = gym.make("AZR-Deduction-v0")        # or gym.make("azr_env:AZR-Deduction-v0")
"""

__version__ = "0.1.0"

from azr_env.envs import ENV_SPECS, make_vec, register_envs

register_envs()

__all__ = ["ENV_SPECS", "__version__", "make_vec", "register_envs"]
