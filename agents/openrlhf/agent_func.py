"""The file to pass as `--train.agent_func_path`: OpenRLHF loads it by path and needs a class `AgentExecutor`.

OpenRLHF imports this file under the module name `agent_module` (not as part of our package), so it holds only
an absolute import; `azr_agents` must be installed in the environment of every Ray node.
"""

from azr_agents.openrlhf.agent import AgentExecutor, AZRAgentInstance

__all__ = ["AZRAgentInstance", "AgentExecutor"]
