"""No gold answer reaches an agent through the reset `info` (issue 13, item 5).

Frameworks that hand `info` to agents would leak the answer; after the step, with the verdict, it may be shown.
"""

import gymnasium as gym
import pytest
from env_helpers import ABD, DED, ERR, IND, block
from gymnasium.vector import AutoresetMode

from azr_env.tasks import Task

# the hidden part of each task type: what the solver must find
CASES = [
    ("AZR-Deduction-v0", DED, DED.outputs[0]),
    ("AZR-Abduction-v0", Task("abduction", "def f(x):\n    return x + 1", ("20259",), ("20260",)), "20259"),
    ("AZR-Induction-v0", IND, IND.program),
    ("AZR-ErrorType-v0", ERR, ERR.outputs[0]),
]


@pytest.mark.parametrize("env_id, task, gold", CASES)
def test_reset_info_has_no_gold_by_default_and_the_option_restores_it(env_id, task, gold):
    env = gym.make(env_id, tasks=[task])
    prompt, info = env.reset(seed=0)
    assert gold not in prompt and gold not in repr(info)
    _, _, _, _, info = env.step("garbage")
    assert info["task"] == task.to_dict()  # with the verdict
    env.close()
    env = gym.make(env_id, tasks=[task], info_gold=True)
    _, info = env.reset(seed=0)
    assert info["task"] == task.to_dict()
    env.close()


def test_vector_env_infos_show_gold_only_with_the_verdict():
    for vec in [
        gym.make_vec("AZR-Deduction-v0", 2, tasks=[DED]),
        gym.make_vec("AZR-Deduction-v0", 2, vectorization_mode="sync", tasks=[DED],
                     vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP}),
        gym.make_vec("AZR-Deduction-v0", 2, tasks=[DED], continuing=True),
    ]:
        _, info = vec.reset(seed=0)
        assert "task" not in info
        _, _, terminated, _, info = vec.step([block("output", "'abab'")] * 2)
        verdict = info["final_info"] if terminated.any() else info  # continuing: the step's own info
        assert verdict["task"]["outputs"][0] == ["'abab'"] and verdict["correct"].all()
        if terminated.any():
            assert "task" not in info  # the next task's reset info
        vec.close()


def test_other_solver_tasks_keep_abduction_gold_hidden():
    env = gym.make("AZR-Abduction-v0", tasks=[ABD])
    _, info = env.reset()
    assert set(info) == {"task_type", "role"}
    env.close()
