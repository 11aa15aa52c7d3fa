"""Learning evidence for cpu-micro self-play: held-out accuracy before and after, and controls.

`azr bench learning [--steps 40] [--seeds 0,1]` (or `python benchmarks/learning.py` in a checkout).

For each model (default: `cpu-micro`, and `cpu-micro-habit`, its positive control) and seed, runs the cpu-micro
self-play preset for `--steps` steps with the held-out deduction set evaluated every `--eval-every` steps, then
prints one table row per run: held-out accuracy (greedy / mean of 4 samples at T=1) at the start and the end and
its best, the share of held-out tasks given the single most common answer (a habit detector), and, first 10 vs
last 10 steps, the solver's accuracy on its own tasks and the proposer's validity (summed over the 3 types).
Run folders stay under `--out` (`azr report DIR` draws them). docs/trainer.md reads the measured table.

Controls that isolate the model from the self-play machinery:
- `--eval-only DIR ...`: held-out numbers of model folders, no training (e.g. cpu-micro pretrained longer with
  `azr pretrain-micro --init-from`);
- `--solver-only fresh|fixed`: no proposer; the same PPO update on ground-truth deduction tasks drawn like the
  pretraining ones (`fresh`: new tasks every step; `fixed`: the same tasks every step, i.e. can it memorise).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

TYPES = ("deduction", "abduction", "induction")


def summarize(run_dir: Path) -> dict[str, float]:
    """The row of the table for one finished run."""
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if "eval/deduction/accuracy" in r]
    steps = [r for r in rows if r["step"] >= 0]
    first, last = steps[:10], steps[-10:]

    def total(part, key):
        return sum(sum(r.get(key.format(t), 0.0) for r in part) / len(part) for t in TYPES)

    start, end = evals[0], evals[-1]
    return {
        "greedy_start": start["eval/deduction/accuracy"], "greedy_end": end["eval/deduction/accuracy"],
        "greedy_best": max(r["eval/deduction/accuracy"] for r in evals[1:]),
        "sampled_start": start["eval/deduction/accuracy_sampled"],
        "sampled_end": end["eval/deduction/accuracy_sampled"],
        "top_start": start["eval/deduction/top_answer_share"], "top_end": end["eval/deduction/top_answer_share"],
        "own_first": total(first, "solve/{}/accuracy"), "own_last": total(last, "solve/{}/accuracy"),
        "valid_first": total(first, "propose/{}/valid_rate"), "valid_last": total(last, "propose/{}/valid_rate"),
        "steps": len(steps),
    }


def evaluate_folders(folders: list[str], threads: int) -> None:
    from azr_agents.config import load_config
    from azr_agents.micro_tasks import heldout_deduction_tasks
    from azr_agents.trainer import evaluate_heldout, load_policy

    from azr_env.rounds import Referee, RoundConfig

    print(f"{'model':<40} {'greedy':>7} {'sampled':>8} {'top answer':>11}")
    for folder in folders:
        config = load_config("cpu-micro", None, {"model": folder, "threads": threads})
        policy = load_policy(config, None)
        with Referee(RoundConfig(task=config.task_config(), max_new_tokens=config.max_new_tokens)) as referee:
            m = evaluate_heldout(config, referee, policy, heldout_deduction_tasks(config.eval_tasks, referee=referee))
        print(f"{folder:<40} {m['eval/deduction/accuracy']:>7.3f} {m['eval/deduction/accuracy_sampled']:>8.3f} "
              f"{m['eval/deduction/top_answer_share']:>11.3f}")


def solver_only(model: str, mode: str, steps: int, eval_every: int, threads: int, overrides: dict) -> None:
    """Solver-only RL on ground-truth deduction tasks (no proposer, no buffers), held-out every `eval_every`."""
    import random

    import numpy as np
    import torch
    from azr_agents.config import load_config
    from azr_agents.micro_tasks import heldout_deduction_tasks
    from azr_agents.policy import rollout_from_generation
    from azr_agents.pretrain import TaskMix, generator_pools
    from azr_agents.trainer import evaluate_heldout, gen_seed, load_policy, ppo_update, sample

    from azr_env.rounds import Referee, RoundConfig

    config = load_config("cpu-micro", None, {"model": model, "threads": threads, "estimator": "grpo"} | overrides)
    torch.set_num_threads(threads)
    torch.manual_seed(config.seed)
    policy = load_policy(config, None)
    optimizer = torch.optim.AdamW(policy.model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng, tasks_per_step, n = random.Random(4242 + config.seed), 12, 8
    with Referee(RoundConfig(task=config.task_config(), max_new_tokens=config.max_new_tokens)) as referee:
        heldout = heldout_deduction_tasks(config.eval_tasks, referee=referee)
        draw = TaskMix(generator_pools(300, 999, config.task_config()), 0.5, config.induction_num_inputs)
        fixed = [draw("deduction", rng) for _ in range(tasks_per_step)]
        print(f"solver-only ({mode}), {tasks_per_step} tasks x {n} samples per step, lr {config.lr}, "
              f"estimator {config.estimator}")
        print(f"{'step':>5} {'train acc':>10} {'held-out greedy':>16} {'sampled':>8}")
        window: list[float] = []
        for step in range(-1, steps):
            if step >= 0:
                tasks = fixed if mode == "fixed" else [draw("deduction", rng) for _ in range(tasks_per_step)]
                prompts = [referee.solver_prompt(t) for t in tasks]
                gens, _ = sample(policy, prompts, config, gen_seed(config, step, 2), n=n)
                scored = referee.score([t for t in tasks for _ in range(n)], [g.text for row in gens for g in row])
                rows = [rollout_from_generation(g, "solve", "deduction", s.reward, policy.tokenizer, p,
                                                config.max_new_tokens, i)
                        for i, (p, row) in enumerate(zip(prompts, gens))
                        for g, s in zip(row, scored[i * n:(i + 1) * n])]
                ppo_update(config, policy.model, optimizer, rows, policy.device)
                window.append(float(np.mean([s.correct for s in scored])))
            if step == -1 or (step + 1) % eval_every == 0:
                m = evaluate_heldout(config, referee, policy, heldout)
                train = f"{np.mean(window):.3f}" if window else "-"
                print(f"{step:>5} {train:>10} {m['eval/deduction/accuracy']:>16.3f} "
                      f"{m['eval/deduction/accuracy_sampled']:>8.3f}", flush=True)
                window = []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azr bench learning", description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="cpu-micro,cpu-micro-habit", help="comma list of models")
    parser.add_argument("--seeds", default="0", help="comma list of seeds (default 0)")
    parser.add_argument("--steps", type=int, default=40, help="self-play steps per run (default 40)")
    parser.add_argument("--eval-every", type=int, default=10, help="held-out evaluation period (default 10)")
    parser.add_argument("--out", default="runs/learning", help="parent folder of the run folders")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="extra config overrides")
    parser.add_argument("--eval-only", nargs="+", metavar="DIR", help="only evaluate these model folders")
    parser.add_argument("--solver-only", choices=("fresh", "fixed"),
                        help="control without a proposer: PPO on ground-truth deduction tasks, new each step "
                        "(fresh) or the same every step (fixed)")
    args = parser.parse_args(argv)
    if args.eval_only:
        evaluate_folders(args.eval_only, args.threads)
        return 0
    if args.solver_only:
        overrides = dict(kv.split("=", 1) for kv in args.set)
        solver_only(args.models.split(",")[0], args.solver_only, args.steps, args.eval_every, args.threads, overrides)
        return 0

    from azr_agents.config import load_config
    from azr_agents.trainer import main as selfplay

    results = []
    for model in args.models.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            run_dir = Path(args.out) / f"{Path(model).name}-seed{seed}"
            overrides = {"model": model, "seed": seed, "run_dir": str(run_dir), "total_steps": args.steps,
                         "eval_every": args.eval_every, "progress": "none", "report": True, "resume": False,
                         "threads": args.threads}
            overrides |= dict(kv.split("=", 1) for kv in args.set)
            selfplay(load_config("cpu-micro", None, overrides))
            results.append((Path(model).name, seed, summarize(run_dir)))

    print(f"\ncpu-micro self-play, {args.steps} steps; held-out: fixed deduction set (greedy / sampled at T=1)")
    print(f"{'model':<18} {'seed':>4} {'greedy start→end (best)':>24} {'sampled start→end':>18} "
          f"{'top answer':>12} {'own-task acc Σ':>15} {'validity Σ':>11}")
    for name, seed, s in results:
        print(f"{name:<18} {seed:>4} {s['greedy_start']:>8.3f}→{s['greedy_end']:.3f} ({s['greedy_best']:.3f}) "
              f"{s['sampled_start']:>11.3f}→{s['sampled_end']:.3f} {s['top_start']:>6.2f}→{s['top_end']:.2f} "
              f"{s['own_first']:>9.2f}→{s['own_last']:.2f} {s['valid_first']:>5.2f}→{s['valid_last']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
