import gymnasium as gym
from env_helpers import block, wrap

GOOD = wrap("```python\ndef f(x):\n    return x[::-1]\n```\n```input\n'abc'\n```")


def test_invalid_proposal_ends_the_episode_with_minus_one():
    env = gym.make("AZR-SelfPlay-v0", task_types=["deduction"])
    _, info = env.reset(seed=0)
    assert info["role"] == "propose"
    _, reward, terminated, _, info = env.step("garbage")
    assert (reward, terminated, info["proposer_reward"], "next_role" in info) == (-1.0, True, -1.0, False)
    env.close()


def test_valid_proposal_then_n_solver_steps_then_delayed_proposer_reward():
    env = gym.make("AZR-SelfPlay-v0", task_types=["deduction"], n_rollouts=4)
    env.reset(seed=0)
    obs, reward, terminated, _, info = env.step(GOOD)
    assert (reward, terminated, info["next_role"]) == (0.0, False, "solve")
    assert "return x[::-1]" in obs and "```input\n'abc'\n```" in obs
    rewards = []
    for answer in ["'cba'", "'abc'", "'cba'", "'cba'"]:
        _, reward, terminated, _, info = env.step(block("output", answer))
        rewards.append(reward)
        assert info["role"] == "solve"
    assert rewards == [1.0, -0.5, 1.0, 1.0] and terminated
    assert info["solve_rate"] == 0.75 and info["proposer_reward"] == 0.25
    env.close()
