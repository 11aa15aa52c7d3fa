"""`TokenIdsWrapper`: token-id observations and actions with a real Hugging Face tokenizer (issue 13, item 3)."""

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from env_helpers import DED, block
from gymnasium.utils.env_checker import check_env
from gymnasium.vector import AutoresetMode

from azr_env.envs.tokens import TokenIdsWrapper
from azr_env.errors import ConfigError
from azr_env.rounds import RoundConfig
from azr_env.tasks import TaskConfig

pytest.importorskip("transformers")
from azr_agents.micro import build_byte_tokenizer

RIGHT = block("output", "'abab'")


@pytest.fixture(scope="module")
def tokenizer():
    return build_byte_tokenizer(["def f(x):\n    return x * 2\n<answer>```output\n'abab'\n```</answer>"] * 4, 300)


def test_passes_check_env_for_solver_proposer_and_selfplay_envs(tokenizer):
    for env_id in ["AZR-Deduction-v0", "AZR-Propose-Abduction-v0", "AZR-SelfPlay-v0"]:
        env = TokenIdsWrapper(gym.make(env_id, disable_env_checker=True), tokenizer)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_env(env, skip_render_check=True)
        env.close()


def test_token_loop_scores_generated_ids(tokenizer):
    env = TokenIdsWrapper(gym.make("AZR-Deduction-v0", tasks=[DED]), tokenizer)
    assert env.observation_space == gym.spaces.Sequence(gym.spaces.Discrete(len(tokenizer)), stack=True)
    ids, info = env.reset(seed=0)
    assert ids.dtype == np.int64 and ids.ndim == 1 and ids in env.observation_space
    assert tokenizer.decode(ids.tolist()) == info["text"] and "return x * 2" in info["text"]
    generated = [*tokenizer.encode(RIGHT, add_special_tokens=False), tokenizer.eos_token_id]
    for action in [generated, np.array(generated), np.array([generated])]:  # list, array, batch of one
        env.reset()
        _, reward, terminated, _, info = env.step(action)
        assert (reward, terminated, info["action_text"]) == (1.0, True, RIGHT)  # EOS dropped when decoding
    env.close()


def test_hostile_actions_are_scored_not_raised(tokenizer):
    env = TokenIdsWrapper(gym.make("AZR-Deduction-v0", tasks=[DED]), tokenizer, max_action_tokens=8)
    out_of_vocab = [-5, 10**12, *tokenizer.encode(RIGHT, add_special_tokens=False)]
    for action in [None, "text", [1.5, 2.5], [[1, 2], [3, 4]], {"a": 1}, [], out_of_vocab]:
        env.reset()
        _, reward, _, _, info = env.step(action)
        assert reward == -1.0
    assert info["action_text"] == tokenizer.decode(out_of_vocab[2:8])  # bounded, out-of-vocabulary ids dropped
    env.close()
    with pytest.raises(ConfigError, match="Hugging Face tokenizer"):
        TokenIdsWrapper(gym.make("AZR-Deduction-v0"), object())


def test_chat_template_option(tokenizer):
    raw = RoundConfig(task=TaskConfig(prompt_format="raw"))
    env = TokenIdsWrapper(gym.make("AZR-Deduction-v0", tasks=[DED], config=raw), tokenizer, chat_template=True,
                          system_prompt="Be brief.")  # fmt: skip
    ids, info = env.reset(seed=0)
    text = tokenizer.decode(ids.tolist())
    assert text.startswith("system: Be brief.\nuser: ") and text.endswith("assistant: ")
    assert info["text"] in text and "<think>" not in info["text"]
    env.close()
    custom = TokenIdsWrapper(gym.make("AZR-Deduction-v0", tasks=[DED], config=raw), tokenizer,
                             chat_template="<<{{ messages[0]['content'] }}>>")  # fmt: skip
    ids, info = custom.reset(seed=0)
    assert tokenizer.decode(ids.tolist()) == f"<<{info['text']}>>"
    custom.close()
    with pytest.warns(UserWarning, match="prompt_format='raw'"):
        TokenIdsWrapper(gym.make("AZR-Deduction-v0", tasks=[DED]), tokenizer, chat_template=True)


def test_sync_vector_env_with_the_wrapper(tokenizer):
    vec = gym.make_vec("AZR-Deduction-v0", 2, vectorization_mode="sync", tasks=[DED],
                       vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP},
                       wrappers=[lambda env: TokenIdsWrapper(env, tokenizer)])  # fmt: skip
    obs, _ = vec.reset(seed=0)
    assert len(obs) == 2 and all(o.dtype == np.int64 for o in obs)
    answer = tokenizer.encode(RIGHT, add_special_tokens=False)
    for _ in range(2):
        obs, reward, _, _, info = vec.step((answer, [1, 2, 3]))
        assert reward.tolist() == [1.0, -1.0]
        assert info["final_info"]["action_text"][0] == RIGHT
    vec.close()


def test_wrapped_env_pickles_and_runs_in_async_workers(tokenizer):
    env = TokenIdsWrapper(gym.make("AZR-Deduction-v0", tasks=[DED]), tokenizer)
    env.reset(seed=0)
    clone = pickle.loads(pickle.dumps(env))
    clone.reset(seed=0)
    assert clone.step(tokenizer.encode(RIGHT, add_special_tokens=False))[1] == 1.0
    clone.close()
    env.close()
    vec = gym.make_vec("AZR-Deduction-v0", 2, vectorization_mode="async", tasks=[DED],
                       vector_kwargs={"autoreset_mode": AutoresetMode.SAME_STEP, "shared_memory": False},
                       wrappers=[lambda env: TokenIdsWrapper(env, tokenizer)])  # fmt: skip
    vec.reset(seed=0)
    assert vec.step((tokenizer.encode(RIGHT, add_special_tokens=False), [1, 2]))[1].tolist() == [1.0, -1.0]
    vec.close()
