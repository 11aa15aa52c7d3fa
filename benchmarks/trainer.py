"""Self-play step cost for cpu-micro: time split, generation and training tokens/s per step.

`azr bench trainer [--steps 3] [--model cpu-micro]` (or `python benchmarks/trainer.py` in a checkout).

Runs the seeding stage and a few self-play steps in a throw-away run folder and prints, per step, the time
split generation / execution (sandbox) / update, generated tokens per second and training tokens per second,
and the executor's share of the step (it must stay small: all checks of a step go through one batched
executor call per stage). Extra `--set key=value` pairs override the cpu-micro preset.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azr bench trainer", description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3, help="self-play steps to time (default 3)")
    parser.add_argument("--model", default="cpu-micro", help="cpu-micro or a local HF folder")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="extra config overrides")
    args = parser.parse_args(argv)

    from azr_agents.config import load_config
    from azr_agents.trainer import main as selfplay

    with tempfile.TemporaryDirectory() as tmp:
        overrides = {"model": args.model, "run_dir": tmp, "total_steps": args.steps, "eval_every": 0,
                     "progress": "none", "report": False, "threads": args.threads, "save_every": 10**6}
        overrides |= dict(kv.split("=", 1) for kv in args.set)
        config = load_config("cpu-micro", None, overrides)
        selfplay(config)
        rows = [json.loads(x) for x in (Path(tmp) / "metrics.jsonl").read_text().splitlines()]
    rows = [r for r in rows if r["step"] >= 0]
    print(f"cpu-micro self-play, batch_per_type={config.batch_per_type}, n_rollouts={config.n_rollouts}, "
          f"max_new_tokens={config.max_new_tokens}, {config.samples_per_step} training samples per step")
    header = f"{'step':>4} {'total s':>8} {'gen s':>7} {'exec s':>7} {'update s':>9} {'exec %':>7} " \
             f"{'gen tok/s':>10} {'train tok/s':>12}"
    print(header)
    for r in rows:
        print(f"{r['step']:>4} {r['time/step_s']:>8.1f} {r['time/generate_s']:>7.1f} {r['time/execute_s']:>7.2f} "
              f"{r['time/update_s']:>9.1f} {100 * r['time/execute_s'] / r['time/step_s']:>6.1f}% "
              f"{r['perf/gen_tokens_per_s']:>10.0f} {r['perf/train_tokens_per_s']:>12.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
