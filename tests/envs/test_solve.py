import json

import gymnasium as gym
import pytest
from env_helpers import ABD, DED, ERR, IND, TASKS, block, wrap
from gymnasium.error import ResetNeeded

from azr_env.buffer import TaskBuffer
from azr_env.errors import ConfigError, DataError

CASES = [
    ("AZR-Deduction-v0", DED, block("output", "'abab'"), block("output", "'ab'")),
    ("AZR-Abduction-v0", ABD, block("input", "2"), block("input", "7")),
    (
        "AZR-Induction-v0",
        IND,
        block("python", "def f(x):\n    return 3 * x"),
        block("python", "def f(x):\n    return x"),
    ),
    ("AZR-ErrorType-v0", ERR, block("output", "IndexError"), block("output", "NoError")),
]


@pytest.mark.parametrize("env_id, task, right, wrong", CASES)
def test_pinned_task_rewards_and_info(env_id, task, right, wrong):
    env = gym.make(env_id)
    for response, reward, correct in [(right, 1.0, True), (wrong, -0.5, False), ("no tags", -1.0, False)]:
        obs, info = env.reset(options={"task": task.to_dict()})
        assert info["role"] == "solve" and "task" not in info  # no gold answer before the verdict
        assert obs.endswith("Assistant: <think>")
        obs2, r, terminated, truncated, info = env.step(response)
        assert (r, terminated, truncated, info["correct"]) == (reward, True, False, correct)
        assert info["task"]["program"] == task.program
        assert {"task_type", "role", "format_ok", "correct", "reason", "task"} <= set(info)
        assert ("parsed_answer" in info) is (reward != -1.0)  # absent (not None) when nothing could be read
        assert obs2 == obs
    env.close()


def test_eval_mode_is_binary():
    env = gym.make("AZR-Deduction-v0", mode="eval", tasks=[DED])
    env.reset()
    assert env.step(wrap("nope"))[1] == 0.0
    env.reset()
    assert env.step("garbage")[1] == 0.0
    env.close()


def test_tasks_from_list_jsonl_and_buffer(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"program": "def f(a):\n    return a", "input": str(i), "output": str(i)}) for i in range(3)
        )
    )
    env = gym.make("AZR-Deduction-v0", tasks=str(path), info_gold=True)
    _, info = env.reset(seed=0)
    assert info["task"]["inputs"][0] in {"0", "1", "2"}
    env.close()
    buffer = TaskBuffer("abduction")
    env = gym.make("AZR-Abduction-v0", tasks=buffer, info_gold=True)
    assert env.reset()[1]["task"]["program"] == "def f(a):\n    return a"
    env.close()
    with pytest.raises(DataError, match="no induction tasks"):
        gym.make("AZR-Induction-v0", tasks=TASKS["deduction"])
    with pytest.raises(DataError, match="does not exist"):
        gym.make("AZR-Induction-v0", tasks=str(tmp_path / "missing.jsonl"))


def test_misuse_errors():
    env = gym.make("AZR-Deduction-v0", tasks=[DED], disable_env_checker=True)
    with pytest.raises(ResetNeeded):
        env.unwrapped.step("x")
    with pytest.raises(ConfigError, match="solves deduction"):
        env.reset(options={"task": ABD})
    with pytest.raises(ConfigError, match="mode='test'"):
        gym.make("AZR-Deduction-v0", mode="test")
    env.close()


def test_non_string_actions_are_scored_not_raised():
    env = gym.make("AZR-Deduction-v0", tasks=[DED], disable_env_checker=True)
    for action in [None, b"\xff<think>", 42, ["list"]]:
        env.reset()
        _, reward, *_ = env.unwrapped.step(action)
        assert reward == -1.0
    env.close()


def test_render_ansi_shows_prompt_response_and_reward():
    env = gym.make("AZR-Deduction-v0", tasks=[DED], render_mode="ansi")
    env.reset()
    env.step(block("output", "'abab'"))
    text = env.render()
    assert "def f(x)" in text and "'abab'" in text and "reward 1.0" in text
    env.close()
