"""Scored steps per vector step, and per second, for each common way to build an AZR vector env (issue 13).

`python benchmarks/vector_modes.py [--envs 8] [--steps 200]`. A scripted agent answers every prompt correctly,
so a step scored an action exactly when its reward is 1 (a NEXT_STEP dummy reset gives 0). Fixed deduction
tasks with literal answers: no executor run, so the table shows the vector env's own cost.
"""

from __future__ import annotations

import argparse
import time
import warnings

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import azr_env  # noqa: F401  (registers the ids)
from azr_env.envs.vector import EnvFactory
from azr_env.tasks import Task

TASKS = [Task("deduction", f"def f(x):\n    return x * {i}", ("3",), (str(3 * i),)) for i in range(2, 9)]
SAME = {"autoreset_mode": AutoresetMode.SAME_STEP}


def answer(prompt: str) -> str:
    factor = next(i for i in range(2, 9) if f"return x * {i}\n" in prompt)
    return f"<think>x</think><answer>```output\n{3 * factor}\n```</answer>"


def builds(n: int) -> dict[str, object]:
    kw = {"tasks": TASKS}
    return {
        "gym.make_vec(id, n)  [default]": lambda: gym.make_vec("AZR-Deduction-v0", n, **kw),
        "make_vec(mode='sync')": lambda: gym.make_vec("AZR-Deduction-v0", n, vectorization_mode="sync", **kw),
        "make_vec(mode='sync', SAME_STEP)": lambda: gym.make_vec(
            "AZR-Deduction-v0", n, vectorization_mode="sync", vector_kwargs=SAME, **kw
        ),
        "make_vec(mode='async')": lambda: gym.make_vec("AZR-Deduction-v0", n, vectorization_mode="async", **kw),
        "make_vec(mode='async', SAME_STEP)": lambda: gym.make_vec(
            "AZR-Deduction-v0", n, vectorization_mode="async", vector_kwargs=SAME, **kw
        ),
        "SyncVectorEnv([...])": lambda: SyncVectorEnv([EnvFactory("AZR-Deduction-v0", **kw)] * n),
        "make_vec(mode='sync'), continuing": lambda: gym.make_vec(
            "AZR-Deduction-v0", n, vectorization_mode="sync", continuing=True, max_tasks=64, **kw
        ),
    }


def measure(build, steps: int) -> tuple[float, float]:
    vec = build()
    prompts, _ = vec.reset(seed=0)
    scored = 0
    start = time.perf_counter()
    for _ in range(steps):
        prompts, reward, *_ = vec.step([answer(p) for p in prompts])
        scored += int(np.sum(reward == 1.0))
    elapsed = time.perf_counter() - start
    vec.close()
    total = steps * vec.num_envs
    return scored / total, scored / elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azr bench vector-modes", description="Scored steps per vector step, "
                                     "and per second, for each common way to build an AZR vector env.")
    parser.add_argument("--envs", type=int, default=8, help="envs per vector env (default 8)")
    parser.add_argument("--steps", type=int, default=200, help="vector steps per build (default 200)")
    args = parser.parse_args(argv)
    print(f"AZR-Deduction-v0, {args.envs} envs, {args.steps} vector steps, fixed tasks, scripted right answers")
    print(f"  {'built with':38} {'scored share':>12} {'scored steps/s':>15}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the NEXT_STEP rows warn; that is what they measure
        for name, build in builds(args.envs).items():
            share, rate = measure(build, args.steps)
            print(f"  {name:38} {share:12.0%} {rate:15.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
