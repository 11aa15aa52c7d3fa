import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

import azr_env
from azr_env.envs.spaces import AnyText

IDS = list(azr_env.ENV_SPECS)


def test_every_id_is_registered_on_import():
    assert {"AZR-Deduction-v0", "AZR-Abduction-v0", "AZR-Induction-v0", "AZR-ErrorType-v0",
            "AZR-Propose-Deduction-v0", "AZR-Propose-Abduction-v0", "AZR-Propose-Induction-v0",
            "AZR-SelfPlay-v0"} <= set(gym.registry)  # fmt: skip


def test_module_prefixed_make_works():
    env = gym.make("azr_env:AZR-Deduction-v0")
    assert isinstance(env.observation_space, AnyText)
    env.close()


@pytest.mark.parametrize("env_id", IDS)
def test_env_checker_passes(env_id):
    env = gym.make(env_id)
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("env_id", IDS)
def test_seeded_resets_are_reproducible(env_id):
    env = gym.make(env_id)
    first = [env.reset(seed=s)[0] for s in (1, 2, 3)]
    again = [env.reset(seed=s)[0] for s in (1, 2, 3)]
    assert first == again
    env.close()


def test_different_seeds_give_different_generated_tasks():
    env = gym.make("AZR-Deduction-v0")
    prompts = {env.reset(seed=s)[0] for s in range(8)}
    assert len(prompts) >= 6
    env.close()


def test_text_spaces_accept_any_string():
    space = AnyText(100)
    for text in ["", "中文🙂", "\x00\n<answer>", "a" * 100]:
        assert space.contains(text)
    assert not space.contains("a" * 101) and not space.contains(b"bytes") and not space.contains(3)
    assert all(space.contains(space.sample()) for _ in range(50))
