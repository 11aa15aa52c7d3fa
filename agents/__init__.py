"""azr_agents: the agent interface, model backends, TRR++ and the single-machine self-play trainer.

Light imports only here; backends (torch, transformers, vLLM, httpx) load when their module is imported.
"""

from azr_agents.base import Agent, CallableAgent, Generation, as_agent

__all__ = ["Agent", "CallableAgent", "Generation", "as_agent"]
