"""Env and round-API throughput: steps/s of every registered env, and of the batched round API.

`azr bench envs [--steps N] [--batch 64] [--vector 16]` (or `python benchmarks/envs.py` in a checkout).

1. Steps/s of every registered env in a SyncVectorEnv of `--vector` copies, driven by a scripted agent whose
   answers are half right and half wrong but well formatted (solver envs), or valid generated proposals
   (proposer envs), so the executor does the work a real model's answers would cause.
2. The batched round API on `--batch` proposals per type (deduction, abduction, induction): validation, then
   scoring `--batch` answers per type, with the share of wall time spent waiting for the executor.
"""

from __future__ import annotations

import argparse
import time

import gymnasium as gym
import numpy as np

import azr_env
from azr_env.envs import common
from azr_env.generators import generate_tasks
from azr_env.generators.tasks import _response
from azr_env.rounds import Referee, RoundConfig
from azr_env.tasks import Task

TYPES = ("deduction", "abduction", "induction")


def wrap(lang: str, text: str) -> str:
    return f"<think>scripted</think>\n<answer>```{lang}\n{text}\n```</answer>"


def solver_answer(task: dict, right: bool) -> str:
    kind = task["task_type"]
    if kind == "deduction":
        return wrap("output", task["outputs"][0] if right else "'wrong'")
    if kind == "abduction":
        return wrap("input", task["inputs"][0] if right else "'wrong'")
    if kind == "induction":
        return wrap("python", task["program"] if right else "def f(x):\n    return x")
    return wrap("output", task["outputs"][0] if right else "NoError")


def proposal(task: Task) -> str:
    if task.task_type == "induction":
        blocks = "".join(f"```input\n{x}\n```\n" for x in task.inputs)
        return f"<think>scripted</think>\n<answer>{blocks}```message\n{task.message}\n```</answer>"
    return _response(f"```python\n{task.program}\n```\n```input\n{task.input}\n```")


def scripted_actions(env_id: str, infos: dict, n: int, step: int, pool: dict[str, list[Task]]) -> list[str]:
    actions = []
    for i in range(n):
        role = infos["next_role"][i] if "next_role" in infos else infos["role"][i]
        kind = infos["task_type"][i]
        if role == "propose":
            task = pool[kind][(step * n + i) % len(pool[kind])]
            actions.append(proposal(task) if (step + i) % 4 else "garbage")
        else:
            task = {key: infos["task"][key][i] for key in infos["task"]} if "task" in infos else None
            actions.append(solver_answer(task, (step + i) % 2 == 0) if task else "garbage")
    return actions


def bench_env(
    env_id: str, num_envs: int, steps: int, pool: dict[str, list[Task]], **env_kwargs: object
) -> tuple[float, float]:
    vec = azr_env.make_vec(env_id, num_envs, **env_kwargs)
    _, infos = vec.reset(seed=0)
    for _ in range(2):  # warm-up: executors start, generator caches fill
        _, _, _, _, infos = vec.step(scripted_actions(env_id, infos, num_envs, 0, pool))
    referees = [entry[0] for entry in common._SHARED.values()]
    before = sum(r.executor_seconds for r in referees)
    start = time.perf_counter()
    for step in range(steps):
        _, _, _, _, infos = vec.step(scripted_actions(env_id, infos, num_envs, step + 1, pool))
    elapsed = time.perf_counter() - start
    in_executor = sum(r.executor_seconds for r in referees) - before
    vec.close()
    return num_envs * steps / elapsed, in_executor / elapsed


def bench_round(batch: int, pool: dict[str, list[Task]]) -> None:
    with Referee(RoundConfig()) as ref:
        ref.validate([("deduction", proposal(pool["deduction"][0]), [])])  # start the executors
        refs = {"induction": [Task("deduction", t.program, t.inputs[:1], t.outputs[:1]) for t in pool["induction"]]}
        proposals = [
            (
                kind,
                proposal(t) if i % 4 else "garbage",
                [refs[kind][i % len(refs[kind])]] if kind == "induction" else [],
            )
            for kind in TYPES
            for i, t in enumerate((pool[kind] * batch)[:batch])
        ]
        start, ref.executor_seconds = time.perf_counter(), 0.0
        results = ref.validate(proposals)
        validate_s, validate_exec = time.perf_counter() - start, ref.executor_seconds
        tasks = [t for kind in TYPES for t in (pool[kind] * batch)[:batch]]
        answers = [solver_answer(t.to_dict(), i % 2 == 0) for i, t in enumerate(tasks)]
        start, ref.executor_seconds = time.perf_counter(), 0.0
        scores = ref.score(tasks, answers)
        score_s, score_exec = time.perf_counter() - start, ref.executor_seconds
    print(f"\nRound API, {batch} per type ({len(proposals)} proposals, {len(tasks)} answers):")
    print(
        f"  validate: {validate_s:6.2f} s  {len(proposals) / validate_s:7.1f} proposals/s  "
        f"executor {validate_exec / validate_s:4.0%}  valid {sum(r.valid for r in results)}/{len(results)}"
    )
    print(
        f"  score:    {score_s:6.2f} s  {len(tasks) / score_s:7.1f} answers/s    "
        f"executor {score_exec / score_s:4.0%}  correct {sum(s.correct for s in scores)}/{len(scores)}"
    )
    for kind in TYPES:
        sub = [s for s in scores if s.task.task_type == kind]
        print(f"    {kind:10} correct {sum(s.correct for s in sub)}/{len(sub)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azr bench envs", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="timed vector steps per env (default 40)")
    parser.add_argument("--vector", type=int, default=16, help="envs per vector env (default 16)")
    parser.add_argument("--batch", type=int, default=64, help="round-API proposals and answers per type")
    parser.add_argument("--envs", nargs="*", default=None, help="env ids (default: all registered)")
    args = parser.parse_args(argv)
    with Referee(RoundConfig()) as ref:
        pool = {kind: generate_tasks(kind, 32, ref, seed=7) for kind in (*TYPES, "error_type")}
    print(f"Envs in a SyncVectorEnv of {args.vector}, scripted agent, {args.steps} timed steps each:")
    for env_id in args.envs or list(azr_env.ENV_SPECS):
        kind = azr_env.ENV_SPECS[env_id][1].get("task_type")
        solver = env_id.startswith("AZR-") and "Propose" not in env_id and kind
        gold = {"info_gold": True} if solver else {}  # the scripted agent reads the gold answer from info
        rate, share = bench_env(env_id, args.vector, args.steps, pool, **gold)
        print(f"  {env_id:26} {rate:8.1f} steps/s   executor {share:4.0%}")
        if solver:  # scoring only: a fixed task list
            rate, share = bench_env(env_id, args.vector, args.steps, pool, tasks=pool[kind], **gold)
            print(f"  {'  same, tasks= fixed list':26} {rate:8.1f} steps/s   executor {share:4.0%}")
    bench_round(args.batch, pool)
    return 0


if __name__ == "__main__":
    gym.logger.min_level = 40
    np.seterr(all="ignore")
    raise SystemExit(main())
