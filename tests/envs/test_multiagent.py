import warnings

import pytest
from env_helpers import block, wrap

pytest.importorskip("pettingzoo")
from pettingzoo.test import api_test, parallel_api_test

from azr_env.envs.multiagent import AZRSelfPlayAEC, AZRSelfPlayParallel

GOOD = wrap("```python\ndef f(x):\n    return x[::-1]\n```\n```input\n'abc'\n```")


def test_pettingzoo_api_tests_pass():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        api_test(AZRSelfPlayAEC(task_types=["deduction"], n_rollouts=2, max_rounds=3), num_cycles=12)
        parallel_api_test(AZRSelfPlayParallel(task_types=["abduction"], n_rollouts=2, max_rounds=3), num_cycles=12)


def test_aec_round_proposer_then_n_solver_turns():
    env = AZRSelfPlayAEC(task_types=["deduction"], n_rollouts=2, max_rounds=2)
    env.reset(seed=0)
    assert env.agent_selection == "proposer" and "Design a new Python program" in env.observe("proposer")
    env.step(GOOD)
    assert env.agent_selection == "solver" and "return x[::-1]" in env.observe("solver")
    env.step(block("output", "'cba'"))
    assert env.rewards["solver"] == 1.0 and env.rewards["proposer"] == 0.0
    env.step(block("output", "'abc'"))
    assert env.rewards == {"proposer": 0.5, "solver": -0.5}  # learnability 1 - 1/2 arrives with the last answer
    assert env.agent_selection == "proposer"
    env.step("invalid")  # round 2: -1 at once, the solver gets a buffer task
    assert env.rewards["proposer"] == -1.0 and env.agent_selection == "solver"
    env.step("x")
    env.step("x")
    assert all(env.truncations.values())
    env.step(None)
    env.step(None)
    assert env.agents == []
    env.close()


def test_parallel_step_rewards_arrive_one_step_later():
    env = AZRSelfPlayParallel(task_types=["deduction"], n_rollouts=4, max_rounds=2)
    obs, _ = env.reset(seed=0)
    assert set(obs) == {"proposer", "solver"}
    obs, rewards, _, truncations, infos = env.step({"proposer": GOOD, "solver": ("x",) * 4})
    assert rewards == {"proposer": 0.0, "solver": -1.0} and infos["proposer"]["valid"]
    assert "return x[::-1]" in obs["solver"] and not any(truncations.values())
    answers = tuple(block("output", a) for a in ["'cba'", "'cba'", "'cba'", "'no'"])
    obs, rewards, _, truncations, infos = env.step({"proposer": "bad", "solver": answers})
    assert rewards["solver"] == pytest.approx((3 - 0.5) / 4)
    assert rewards["proposer"] == pytest.approx(0.25 - 1.0)  # learnability of the last task + invalid now
    assert infos["proposer"]["previous_solve_rate"] == 0.75
    assert all(truncations.values()) and env.agents == []
    env.close()
