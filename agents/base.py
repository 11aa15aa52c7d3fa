"""The agent interface (`Agent`, `Generation`, ...), defined in `azr_env.generation` and re-exported here.

It lives in the lowest layer so the environment's self-play step can accept an agent without importing
`azr_agents`; backends keep importing it from here.
"""

from azr_env.generation import (
    Agent,
    CallableAgent,
    Generation,
    as_agent,
    check_sampling_args,
    truncate_at_stop,
)

__all__ = ["Agent", "CallableAgent", "Generation", "as_agent", "check_sampling_args", "truncate_at_stop"]
