"""AsyncReferee / LoopExecutor (agents/openrlhf/bridge.py): referee checks awaited without blocking the loop."""

from __future__ import annotations

import asyncio

import pytest
from azr_agents.openrlhf.bridge import AsyncReferee, LoopExecutor

from azr_env.errors import ConfigError
from azr_env.rounds import RoundConfig
from azr_env.tasks.base import Task, TaskConfig

SLOW = "def f(n):\n    s = 0\n    for i in range(n):\n        s += i\n    return s"


def _proposal(program: str, arg: str) -> str:
    return f"<think>x</think>\n<answer>\n```python\n{program}\n```\n```input\n{arg}\n```\n</answer>"


@pytest.fixture(scope="module")
def referee(executor):
    from azr_env.executor import Executor

    with Executor(workers=1, timeout_s=5.0, memory_mb=512, hash_seed=1) as other:
        yield AsyncReferee(RoundConfig(task=TaskConfig(timeout_s=5.0)), executors=(executor, other))


def test_validate_and_score_match_the_rules(referee):
    async def main():
        good = await referee.validate("deduction", _proposal("def f(a):\n    return a + 1", "4"), [])
        bad = await referee.validate("deduction", "no answer here", [])
        task = good.task
        right = await referee.score(task, "<think>x</think>\n<answer>\n```output\n5\n```\n</answer>")
        wrong = await referee.score(task, "<think>x</think>\n<answer>\n```output\n6\n```\n</answer>")
        return good, bad, right, wrong

    good, bad, right, wrong = asyncio.run(main())
    assert good.valid and good.task.outputs == ("5",)
    assert not bad.valid and bad.reason == "bad_format"
    assert (right.correct, right.reward) == (True, 1.0)
    assert (wrong.correct, wrong.reward) == (False, -0.5)


def test_event_loop_keeps_running_while_programs_run(referee):
    async def main():
        ticks = 0
        done = asyncio.Event()

        async def ticker():
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.005)

        tick_task = asyncio.create_task(ticker())
        result = await referee.validate("deduction", _proposal(SLOW, "2_000_000"), [])
        done.set()
        await tick_task
        return result, ticks

    result, ticks = asyncio.run(main())
    assert result.valid, result
    assert ticks >= 10, f"the loop ticked only {ticks} times while a slow program was validated"


def test_loop_executor_refuses_to_deadlock_its_own_loop(executor):
    async def main():
        LoopExecutor(executor, asyncio.get_running_loop()).run_many([("x = 1", "x")])

    with pytest.raises(ConfigError, match="own event loop"):
        asyncio.run(main())


def test_many_concurrent_scores(referee):
    task = Task("abduction", "def f(a):\n    return a * 3", ("2",), ("6",))

    async def main():
        answers = [f"<think>t</think>\n<answer>\n```input\n{i}\n```\n</answer>" for i in range(12)]
        return await asyncio.gather(*(referee.score(task, a) for a in answers))

    results = asyncio.run(main())
    assert [r.correct for r in results] == [i == 2 for i in range(12)]
