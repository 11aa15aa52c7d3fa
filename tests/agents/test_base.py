"""The agent contract (agents/base.py): Generation, the Agent protocol and as_agent."""

import pytest
from azr_agents import Agent, CallableAgent, Generation, as_agent
from azr_agents.base import truncate_at_stop

from azr_env.errors import ConfigError


def test_callable_becomes_agent_with_n_calls():
    calls = []

    def fn(prompts):
        calls.append(list(prompts))
        return [p.upper() for p in prompts]

    agent = as_agent(fn)
    assert isinstance(agent, Agent) and isinstance(agent, CallableAgent)
    out = agent.generate(["a", "b"], n=3)
    assert [[g.text for g in gens] for gens in out] == [["A"] * 3, ["B"] * 3]
    assert len(calls) == 3 and all(isinstance(g, Generation) and g.token_ids is None for g in out[0])


def test_agent_instance_is_returned_unchanged():
    agent = CallableAgent(lambda ps: ps)
    assert as_agent(agent) is agent


def test_bad_callables_and_objects_are_rejected():
    with pytest.raises(ConfigError, match="exactly one str per prompt"):
        as_agent(lambda ps: ["x"]).generate(["a", "b"])
    with pytest.raises(ConfigError, match="expected str"):
        as_agent(lambda ps: [1 for _ in ps]).generate(["a"])
    with pytest.raises(ConfigError, match="cannot use int"):
        as_agent(3)
    with pytest.raises(ConfigError, match="n=0"):
        as_agent(lambda ps: ps).generate(["a"], n=0)


def test_stop_strings_cut_text():
    assert truncate_at_stop("abc</answer>tail", ["</answer>"]) == ("abc", True)
    assert truncate_at_stop("abXcdY", ["Y", "X"]) == ("ab", True)
    assert truncate_at_stop("abc", None) == ("abc", False)
    out = as_agent(lambda ps: ["one STOP two"]).generate(["p"], stop=["STOP"])
    assert out[0][0].text == "one " and out[0][0].finish_reason == "stop"
