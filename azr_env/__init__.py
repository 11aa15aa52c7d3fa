"""azr-env: Absolute Zero Reasoner environments on a sandboxed Python executor.

`import azr_env` registers the Gymnasium environments (see `azr_env.envs`).
"""

__version__ = "0.1.0"
