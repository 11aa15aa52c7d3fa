"""Hypothesis fuzzing of every env's `step`: never an exception, always a float reward and a reason.

2,000+ generated responses in total: random text and unicode, huge strings, nested and unbalanced tags,
well-formed answers with random contents, and code that attacks the sandbox.
"""

import math

import gymnasium as gym
import pytest
from env_helpers import TASKS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import azr_env
from azr_env.rounds import RoundConfig
from azr_env.tasks import TaskConfig

ATTACKS = [
    "import os\nos.system('touch /tmp/pwned')",
    "while True:\n    pass",
    "x = 'a' * (10 ** 10)",
    "import os\nwhile True:\n    os.fork()",
    "print('x' * 10 ** 8)",
    "import socket\nsocket.create_connection(('1.1.1.1', 80))",
    "open('/etc/passwd').read()",
    "import os\nos.kill(os.getppid(), 9)",
    "raise SystemExit(0)",
    "__import__('ctypes').string_at(0)",
]
TAGS = ["<think>", "</think>", "<answer>", "</answer>", "```", "```python\n", "```input\n", "```output\n",
        "```message\n", "\n"]  # fmt: skip

code_like = st.one_of(
    st.sampled_from(ATTACKS),
    st.builds(
        lambda a: f"def f(x):\n    {a.replace(chr(10), chr(10) + '    ')}\n    return x", st.sampled_from(ATTACKS)
    ),
    st.sampled_from(["1", "'a'", "[1, 2]", "{'a': 1}", "deque([1])", "1), f(2", "f(1)", "inf", "x" * 5000]),
    st.text(max_size=60),
)


@st.composite
def responses(draw):
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(st.text(max_size=300))
    if kind == 1:
        return "".join(draw(st.lists(st.one_of(st.sampled_from(TAGS), st.text(max_size=10)), max_size=40)))
    if kind == 2:
        return draw(st.sampled_from(TAGS)) * draw(st.integers(1, 20_000))
    blocks = draw(
        st.lists(st.tuples(st.sampled_from(["python", "input", "output", "message", ""]), code_like), max_size=12)
    )
    body = "".join(f"```{lang}\n{text}\n```\n" for lang, text in blocks)
    if kind == 3:
        return f"<think>{draw(st.text(max_size=30))}</think><answer>{body}</answer>"
    if kind == 4:
        return f"</think>\n<answer>{body}"  # unclosed answer
    return f"<think>x</think><answer>{draw(st.text(max_size=20))}</answer>" * draw(st.integers(1, 3))


FAST = RoundConfig(task=TaskConfig(timeout_s=0.5), memory_mb=256)
ENVS = [(env_id, 250 if env_id.startswith("AZR-Propose") or env_id == "AZR-SelfPlay-v0" else 300)
        for env_id in azr_env.ENV_SPECS]  # fmt: skip
assert sum(n for _, n in ENVS) >= 2000


@pytest.mark.slow
@pytest.mark.parametrize("env_id, examples", ENVS)
def test_step_never_raises(env_id, examples):
    kwargs = {"config": FAST}
    spec_kwargs = azr_env.ENV_SPECS[env_id][1]
    if "AZR-Propose" not in env_id and env_id != "AZR-SelfPlay-v0":
        kwargs["tasks"] = TASKS[spec_kwargs["task_type"]]
    env = gym.make(env_id, disable_env_checker=True, **kwargs)
    env.reset(seed=0)
    done = {"flag": False}

    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(responses())
    def run(response):
        if done["flag"]:
            env.reset()
        _, reward, terminated, truncated, info = env.step(response)
        assert isinstance(reward, float) and math.isfinite(reward) and -1.0 <= reward <= 1.0
        assert info["reason"] and isinstance(info["reason"], str)
        done["flag"] = terminated or truncated

    run()
    env.close()


@pytest.mark.slow
def test_multiagent_steps_never_raise():
    from azr_env.envs.multiagent import AZRSelfPlayAEC, AZRSelfPlayParallel

    aec = AZRSelfPlayAEC(task_types=["deduction", "induction"], n_rollouts=2, max_rounds=1000, config=FAST)
    parallel = AZRSelfPlayParallel(task_types=["abduction"], n_rollouts=2, max_rounds=1000, config=FAST)
    aec.reset(seed=0)
    parallel.reset(seed=0)

    @settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(responses(), responses())
    def run(first, second):
        aec.step(first)
        assert all(isinstance(r, float) for r in aec.rewards.values())
        _, rewards, *_ = parallel.step({"proposer": first, "solver": (second, first)})
        assert all(math.isfinite(r) for r in rewards.values())

    run()
    aec.close()
    parallel.close()
