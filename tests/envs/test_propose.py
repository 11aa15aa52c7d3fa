import gymnasium as gym
from env_helpers import block, wrap

from azr_env.buffer import BufferSet

GOOD = wrap("```python\ndef f(x):\n    return x[::-1]\n```\n```input\n'abc'\n```")


def test_valid_proposal_enters_the_buffer_with_validity_reward():
    buffers = BufferSet()
    env = gym.make("AZR-Propose-Deduction-v0", buffers=buffers)
    obs, info = env.reset(seed=0)
    assert info["role"] == "propose" and "'Hello world'" in obs and len(info["references"]) == 1
    _, reward, terminated, _, info = env.step(GOOD)
    assert (reward, terminated, info["valid"], info["added"]) == (1.0, True, True, True)
    assert info["task"]["outputs"] == ["'cba'"] and len(buffers["deduction"]) == 2
    obs, info = env.reset(seed=0)
    _, reward, _, _, info = env.step(GOOD)
    assert info["valid"] and info["added"]  # exact duplicates enter again after seeding (reference)
    env.reset()
    _, reward, _, _, info = env.step("<think>x</think><answer>nothing</answer>")
    assert (reward, info["reason"], info["format_ok"]) == (-1.0, "no_program", True)
    env.close()


def test_learnability_from_a_solver_callable():
    calls = {"n": 0}

    def half_right(prompts):
        calls["n"] += 1
        return [block("output", "'cba'" if calls["n"] % 2 else "'x'") for _ in prompts]

    env = gym.make("AZR-Propose-Deduction-v0", solver=half_right)
    env.reset(seed=0)
    _, reward, _, _, info = env.step(GOOD)
    assert info["solve_rate"] == 0.5 and reward == 0.5
    env.close()
    env = gym.make("AZR-Propose-Deduction-v0", solver=lambda ps: [block("output", "'cba'") for _ in ps])
    env.reset(seed=0)
    _, reward, _, _, info = env.step(GOOD)
    assert info["solve_rate"] == 1.0 and reward == -0.5  # reference: zero learnability gives -0.5
    env.close()


def test_induction_proposer_sees_one_program_and_buffer_persists(tmp_path):
    env = gym.make("AZR-Propose-Induction-v0", buffer_dir=tmp_path)
    obs, info = env.reset(seed=0)
    assert "<|YOUR INPUT WILL BE PLUGGED HERE|>" in obs
    response = wrap("".join(f"```input\n{i}\n```\n" for i in range(10)) + "```message\nsame\n```")
    _, reward, _, _, info = env.step(response)
    assert info["valid"] and reward == 1.0
    env.close()
    assert len(BufferSet(directory=tmp_path)["induction"]) == 2
