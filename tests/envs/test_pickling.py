"""Specs, env factories and envs pickle into working envs (issue 13, item 2).

Ray/RLlib, SB3's `SubprocVecEnv` with spawn and most launchers ship env factories by pickling. These tests use
`pickle`, `cloudpickle` and real spawn-context subprocesses that build and step the env.
"""

import multiprocessing
import pickle

import cloudpickle
import gymnasium as gym
import pytest
from env_helpers import DED, block
from gymnasium.envs.registration import EnvSpec
from gymnasium.vector import AsyncVectorEnv, AutoresetMode

import azr_env
from azr_env.envs.vector import EnvFactory

RIGHT = block("output", "'abab'")
PICKLERS = [pytest.param(pickle, id="pickle"), pytest.param(cloudpickle, id="cloudpickle")]


def play_once(env: gym.Env) -> tuple[float, str]:
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(RIGHT)
    assert terminated
    return reward, info["reason"]


@pytest.mark.parametrize("pickler", PICKLERS)
@pytest.mark.parametrize("env_id", list(azr_env.ENV_SPECS))
def test_specs_pickle_and_serialise_to_json(pickler, env_id):
    spec = gym.spec(env_id)
    copy = pickler.loads(pickler.dumps(spec))
    assert copy == spec
    assert EnvSpec.from_json(spec.to_json()) == spec
    assert isinstance(spec.vector_entry_point, str)


@pytest.mark.parametrize("pickler", PICKLERS)
def test_spec_env_factory_and_env_round_trip_into_working_envs(pickler):
    spec = pickler.loads(pickler.dumps(gym.spec("AZR-Deduction-v0")))
    env = gym.make(spec, tasks=[DED])
    assert play_once(env) == (1.0, "correct")
    factory = pickler.loads(pickler.dumps(EnvFactory("AZR-Deduction-v0", tasks=[DED])))
    assert play_once(factory()) == (1.0, "correct")
    env.reset(seed=0)  # an open env with a live referee (executor processes) pickles its configuration
    clone = pickler.loads(pickler.dumps(env))
    assert play_once(clone) == (1.0, "correct")
    assert play_once(env) == (1.0, "correct")  # the original is untouched
    clone.close()
    env.close()
    closed = pickler.loads(pickler.dumps(env))  # a closed env too
    assert play_once(closed) == (1.0, "correct")
    closed.close()


def test_vector_envs_and_their_specs_pickle():
    vec = gym.make_vec("AZR-Deduction-v0", 2, tasks=[DED])
    spec = pickle.loads(pickle.dumps(vec.spec))
    vec.close()
    again = gym.make_vec(spec)
    again.reset(seed=0)
    assert again.step([RIGHT] * 2)[1].tolist() == [1.0, 1.0]
    again.close()


def test_proposer_selfplay_and_pettingzoo_envs_pickle():
    pytest.importorskip("pettingzoo")
    from azr_env.envs.multiagent import AZRSelfPlayAEC, AZRSelfPlayParallel

    for env_id in ["AZR-Propose-Deduction-v0", "AZR-SelfPlay-v0"]:
        env = gym.make(env_id)
        env.reset(seed=0)
        clone = pickle.loads(pickle.dumps(env))
        _, reward, *_ = clone.step("garbage")
        assert reward == -1.0
        clone.close()
        env.close()
    for cls in [AZRSelfPlayAEC, AZRSelfPlayParallel]:
        env = cls(task_types=["deduction"], n_rollouts=1, max_rounds=2)
        env.reset(seed=0)
        clone = cloudpickle.loads(cloudpickle.dumps(env))
        clone.reset(seed=0)
        assert "Design a new Python program" in clone.observe("proposer") if cls is AZRSelfPlayAEC else clone.agents
        clone.close()
        env.close()


def _child(payload: bytes, kind: str, queue) -> None:
    """Runs in a fresh spawn interpreter: nothing is imported there but what unpickling imports."""
    obj = pickle.loads(payload)
    env = gym.make(obj, tasks=[DED]) if kind == "spec" else obj() if kind == "factory" else obj
    env.reset(seed=0)
    _, reward, _, _, info = env.step(RIGHT)
    env.close()
    queue.put((kind, float(reward), info["reason"]))


def test_spawn_subprocesses_build_and_step_unpickled_specs_factories_and_envs():
    env = gym.make("AZR-Deduction-v0", tasks=[DED])
    env.reset(seed=0)
    payloads = {
        "spec": pickle.dumps(gym.spec("AZR-Deduction-v0")),
        "factory": pickle.dumps(EnvFactory("AZR-Deduction-v0", tasks=[DED])),
        "env": pickle.dumps(env),
    }
    env.close()
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(payload, kind, queue)) for kind, payload in payloads.items()]
    for proc in procs:
        proc.start()
    results = sorted(queue.get(timeout=120) for _ in procs)
    for proc in procs:
        proc.join(timeout=30)
    assert results == [("env", 1.0, "correct"), ("factory", 1.0, "correct"), ("spec", 1.0, "correct")]
    assert all(proc.exitcode == 0 for proc in procs)


def test_async_vector_env_with_spawn_context_uses_the_factories():
    vec = AsyncVectorEnv([EnvFactory("AZR-Deduction-v0", tasks=[DED])] * 2, context="spawn",
                         autoreset_mode=AutoresetMode.SAME_STEP)  # fmt: skip
    vec.reset(seed=0)
    for _ in range(2):
        assert vec.step([RIGHT, "garbage"])[1].tolist() == [1.0, -1.0]
    vec.close()
    vec = gym.make_vec("AZR-Deduction-v0", 2, vectorization="async", tasks=[DED])  # the vector entry point
    vec.reset(seed=0)
    assert vec.step([RIGHT] * 2)[1].tolist() == [1.0, 1.0]
    vec.close()
