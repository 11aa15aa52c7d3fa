"""Vector envs built every common way score an action on every step (issue 13, item 1).

Gymnasium's own classes default to NEXT_STEP autoreset, where every second step of a one-step env is a dummy
reset. These tests run the real Gymnasium code paths: `gym.make_vec` in each mode, `SyncVectorEnv`, and
`AsyncVectorEnv` (whose workers are real subprocesses).
"""

import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from env_helpers import DED, block
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import azr_env
from azr_env.envs import common
from azr_env.envs.vector import EnvFactory
from azr_env.errors import ConfigError
from azr_env.tasks import Task

RIGHT = block("output", "'abab'")
TASKS = [Task("deduction", f"def f(x):\n    return x * {i}", ("3",), (str(3 * i),)) for i in range(2, 9)]


def answer(prompt: str) -> str:
    """The right answer to a `TASKS` prompt, read from the prompt (so a stale prompt would be answered wrongly)."""
    factor = next(i for i in range(2, 9) if f"return x * {i}\n" in prompt)
    return block("output", str(3 * factor))


@pytest.fixture
def fresh_warning(monkeypatch):
    """The NEXT_STEP warning is once per process; let each test see it."""
    monkeypatch.setattr(common, "_warned_next_step", False)


def rewards_over(vec, steps: int) -> list[list[float]]:
    vec.reset(seed=0)
    out = [vec.step([RIGHT] * vec.num_envs)[1].tolist() for _ in range(steps)]
    vec.close()
    return out


def test_default_make_vec_scores_every_step_and_verdict_is_in_final_info():
    vec = gym.make_vec("AZR-Deduction-v0", 2, tasks=[DED])
    assert vec.metadata["autoreset_mode"] == AutoresetMode.SAME_STEP
    vec.reset(seed=0)
    for _ in range(3):
        _, reward, terminated, _, info = vec.step([RIGHT, "garbage"])
        assert reward.tolist() == [1.0, -1.0] and terminated.all()
        assert info["final_info"]["correct"].tolist() == [True, False]
        assert info["final_info"]["reason"].tolist() == ["correct", "bad_format"]
    vec.close()


def test_gymnasium_sync_mode_with_next_step_autoreset_warns_once_naming_the_fix(fresh_warning):
    vec = gym.make_vec("AZR-Deduction-v0", 2, vectorization_mode="sync", tasks=[DED])
    assert vec.metadata["autoreset_mode"] == AutoresetMode.NEXT_STEP
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rewards = rewards_over(vec, 4)
    assert rewards == [[1.0, 1.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]  # what the warning is about
    hints = [str(w.message) for w in caught if "NEXT_STEP autoreset" in str(w.message)]
    assert len(hints) == 1
    assert 'vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP}' in hints[0]
    assert "continuing=True" in hints[0]


ASYNC_SCRIPT = """
import gymnasium as gym, azr_env
from azr_env.tasks import Task
task = Task("deduction", "def f(x):\\n    return x * 2", ("'ab'",), ("'abab'",))
vec = gym.make_vec("AZR-Deduction-v0", 2, vectorization_mode="async", tasks=[task])
vec.reset(seed=0)
answer = "<think>a</think><answer>```output\\n'abab'\\n```</answer>"
print([vec.step([answer] * 2)[1].tolist() for _ in range(4)])
vec.close()
"""


def test_gymnasium_async_mode_warns_in_the_workers():
    """The async workers are other processes: their warning reaches the user's terminal (stderr), once each."""
    out = subprocess.run([sys.executable, "-c", ASYNC_SCRIPT], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "[[1.0, 1.0], [0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]"
    assert out.stderr.count("NEXT_STEP autoreset") == 2
    assert 'vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP}' in out.stderr


def test_plain_vector_classes_warn_too_but_not_with_same_step(fresh_warning):
    with pytest.warns(UserWarning, match="NEXT_STEP autoreset"):
        rewards_over(SyncVectorEnv([EnvFactory("AZR-Deduction-v0", tasks=[DED])] * 2), 2)
    common._warned_next_step = False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same = SyncVectorEnv([EnvFactory("AZR-Deduction-v0", tasks=[DED])] * 2, autoreset_mode=AutoresetMode.SAME_STEP)
        assert rewards_over(same, 3) == [[1.0, 1.0]] * 3
        vec = gym.make_vec("AZR-Deduction-v0", 2, vectorization_mode="sync", tasks=[DED],
                           vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP})  # fmt: skip
        assert rewards_over(vec, 3) == [[1.0, 1.0]] * 3
        # a plain single-env loop resets after each episode: no warning
        env = gym.make("AZR-Deduction-v0", tasks=[DED])
        for _ in range(2):
            env.reset()
            env.step(RIGHT)
        env.close()
    assert not common._warned_next_step


def test_continuing_env_streams_tasks_and_truncates_after_max_tasks():
    env = gym.make("AZR-Deduction-v0", tasks=TASKS, continuing=True, max_tasks=3)
    prompt, info = env.reset(seed=1)
    assert "task" not in info
    for done in range(1, 4):
        nxt, reward, terminated, truncated, info = env.step(answer(prompt))
        assert reward == 1.0 and not terminated and info["correct"] and info["tasks_done"] == done
        assert info["task"]["program"] in prompt  # the verdict is about the task just answered
        assert truncated is (done == 3)
        prompt = nxt
    env.close()


@pytest.mark.parametrize("mode", ["sync", "async", None])
def test_continuing_scores_every_vector_step_in_every_mode(mode):
    vec = gym.make_vec("AZR-Deduction-v0", 2, vectorization_mode=mode, tasks=TASKS, continuing=True, max_tasks=4)
    prompts, _ = vec.reset(seed=0)
    seen = set()
    for step in range(4):
        seen.update(prompts)
        prompts, reward, terminated, truncated, _ = vec.step([answer(p) for p in prompts])
        assert reward.tolist() == [1.0, 1.0] and not terminated.any()
        assert truncated.all() is np.bool_(step == 3)
    assert len(seen) > 2  # each step brought new tasks
    vec.close()


def test_continuing_proposer_env_returns_the_next_prompt():
    env = gym.make("AZR-Propose-Deduction-v0", continuing=True, max_tasks=2)
    env.reset(seed=0)
    proposal = "<think>x</think><answer>```python\ndef f(a):\n    return a + 1\n```\n```input\n1\n```</answer>"
    _, reward, terminated, truncated, info = env.step(proposal)
    assert reward == 1.0 and info["valid"] and not terminated and not truncated
    _, reward, terminated, truncated, _ = env.step("garbage")
    assert reward == -1.0 and truncated and not terminated
    env.close()


def test_bad_vector_arguments_are_one_line_errors():
    with pytest.raises(ConfigError, match="max_tasks"):
        gym.make("AZR-Deduction-v0", continuing=True, max_tasks=0)
    with pytest.raises(ConfigError, match="num_envs"):
        azr_env.make_vec("AZR-Deduction-v0", 0)
    with pytest.raises(ConfigError, match="vectorization"):
        gym.make_vec("AZR-Deduction-v0", 2, vectorization="threads")
