import gymnasium as gym
import numpy as np
import pytest
from env_helpers import DED, DED_UNICODE, block

import azr_env

TASKS = [
    DED,
    DED_UNICODE,
    *[DED.__class__("deduction", f"def f(x):\n    return x * {i}", ("'é'",), (repr("é" * i),)) for i in range(2, 8)],
]


def check_fresh(vec, steps: int = 4) -> None:
    """Every observation must be the prompt of the task named in the same step's info (no stale text)."""
    obs, info = vec.reset(seed=0)
    seen = set()
    for _ in range(steps):
        for i, text in enumerate(obs):
            assert info["task"]["program"][i] in text and text.endswith("Assistant: <think>")
            seen.add(text)
        answers = [block("output", repr("é" * 3)) for _ in range(vec.num_envs)]
        obs, reward, terminated, truncated, info = vec.step(answers)
        assert terminated.all() and not truncated.any() and reward.dtype == np.float64
        assert "final_obs" in info and "final_info" in info  # SAME_STEP: obs is already the next prompt
    assert len(seen) > 3


@pytest.mark.parametrize("vectorization", ["sync", "async"])
def test_vector_envs_return_fresh_observations(vectorization):
    vec = azr_env.make_vec("AZR-Deduction-v0", 4, vectorization=vectorization, tasks=TASKS, info_gold=True)
    check_fresh(vec)
    vec.close()


def test_async_without_shared_memory_and_via_gym_make_vec():
    vec = azr_env.make_vec("AZR-Deduction-v0", 2, vectorization="async", shared_memory=False, tasks=TASKS,
                           info_gold=True)
    check_fresh(vec, steps=2)
    vec.close()
    vec = gym.make_vec("AZR-Deduction-v0", 2, vectorization_mode="vector_entry_point", tasks=TASKS,
                       info_gold=True)
    check_fresh(vec, steps=2)
    vec.close()


def test_rewards_are_per_env():
    vec = azr_env.make_vec("AZR-Deduction-v0", 2, tasks=[DED])
    vec.reset(seed=0)
    _, reward, *_ = vec.step([block("output", "'abab'"), "garbage"])
    assert reward.tolist() == [1.0, -1.0]
    vec.close()
