"""Scripted agents (agents/scripted.py) and the gold responses they write (agents/responses.py)."""

import re

import pytest
from azr_agents.responses import propose_response, solve_response
from azr_agents.scripted import OracleAgent, RandomAgent

from azr_env.errors import ConfigError

FORMAT = re.compile(r"<think>.*?</think>\s*<answer>.*?</answer>", re.DOTALL)
DED = {"task_type": "deduction", "program": "def f(a):\n    return a * 2", "input": "3", "output": "6"}


def well_formatted(response: str) -> bool:
    return bool(FORMAT.match("<think>" + response))


def test_oracle_answers_each_task_type_from_gold_data():
    abd = dict(DED, task_type="code_i")
    ind = {"task_type": "induction", "program": DED["program"], "inputs": ["1", "2"], "outputs": ["2", "4"],
           "message": "double it"}
    oracle = OracleAgent({"p1": (DED, "solve"), "p2": (abd, "solve"), "p3": (ind, "solve"),
                          "p4": (ind, "propose")})
    oracle.register("p5", DED, "propose")
    out = [gens[0].text for gens in oracle.generate(["p1", "p2", "p3", "p4", "p5", "unknown"])]
    assert "```output\n6\n```" in out[0] and "```input\n3\n```" in out[1]
    assert "```python\ndef f(a):\n    return a * 2\n```" in out[2]
    assert out[3].count("```input") == 2 and "```message\ndouble it\n```" in out[3]
    assert "```python" in out[4] and "```input\n3\n```" in out[4]
    assert all(well_formatted(t) for t in out[:5]) and not well_formatted(out[5])


def test_oracle_accepts_task_objects_and_a_lookup_callable():
    from azr_env.tasks.base import Task

    task = Task.from_dict(DED)
    oracle = OracleAgent(lambda prompt: (task, "solve") if prompt == "q" else None, open_think=True)
    text = oracle.generate(["q"], n=2)[0][1].text
    assert text.startswith("<think>") and "```output\n6\n```" in text


def test_unknown_task_type_is_a_config_error():
    with pytest.raises(ConfigError, match="known"):
        solve_response(dict(DED, task_type="poetry"))
    assert "```input" in propose_response(DED)


def test_random_agent_is_well_formatted_and_seeded():
    a = RandomAgent(seed=0)
    out = a.generate(["x", "y"], n=2, seed=5)
    assert all(well_formatted(g.text) for gens in out for g in gens)
    assert [g.text for g in a.generate(["x"], seed=5)[0]] == [out[0][0].text]
