"""Scoring speed and agreement: every HumanEval+ (or MBPP+) canonical solution on all base + plus inputs, scored by
our sandboxed scorer and by evalplus's own evaluator, on the same machine in the same run.

    azr bench evals [--dataset humaneval|mbpp] [--data-dir ../shared/data] [--workers 2] [--warm]
    python benchmarks/evals.py ...   (the same, from a checkout)

Both sides start cold (empty cache directories: evalplus's ground-truth pickle, our canonical-output cache) and
run as fresh subprocesses, so interpreter start, data loading and the canonical run count on both; `--warm`
adds a second run with both caches filled. Prints both
times, the ratio (target: ours <= 0.5x) and every task where the verdicts differ.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILES = {"humaneval": ("humanevalplus", "humanevalplus/HumanEvalPlus.jsonl.gz", "HUMANEVAL_OVERRIDE_PATH"),
         "mbpp": ("mbppplus", "mbppplus/MbppPlus.jsonl.gz", "MBPP_OVERRIDE_PATH")}


def _ours(dataset: str, data_dir: str, workers: int, min_time: float, factor: float, out: str) -> None:
    """Child process: our scorer (canonical-output cache in $AZR_EVALS_CACHE); writes
    {task_id: [base_pass, plus_pass]} to `out`."""
    from azr_evals.data import load_problems
    from azr_evals.score.evalplus_score import EvalPlusConfig, score
    from azr_evals.score.execution import make_executor

    problems = load_problems(FILES[dataset][0], data_dir=data_dir)
    config = EvalPlusConfig(min_time_limit=min_time, time_limit_factor=factor)
    with make_executor(workers=workers) as executor:
        verdicts = score([(p, p.meta["prompt"] + p.meta["canonical_solution"]) for p in problems], executor,
                         config, cache=True, progress=False)
    Path(out).write_text(json.dumps({p.problem_id: [v.details.get("base") == "pass", v.details.get("plus") == "pass"]
                                     for p, v in zip(problems, verdicts)}))


def _theirs(dataset: str, data_dir: str, workers: int, min_time: float, factor: float, folder: Path) -> dict:
    """evalplus's evaluator on the canonical solutions, in a subprocess with an empty cache; returns verdicts."""
    name, relative, override = FILES[dataset]
    from azr_evals.data import load_problems

    samples = folder / "samples.jsonl"
    with open(samples, "w") as fh:
        for p in load_problems(name, data_dir=data_dir):
            fh.write(json.dumps({"task_id": p.problem_id,
                                 "solution": p.meta["prompt"] + p.meta["canonical_solution"]}) + "\n")
    env = dict(os.environ, XDG_CACHE_HOME=str(folder / "cache"), **{override: str(Path(data_dir) / relative)})
    cmd = [sys.executable, "-m", "evalplus.evaluate", "--dataset", dataset, "--samples", str(samples),
           "--parallel", str(workers), "--min_time_limit", str(min_time), "--gt_time_limit_factor", str(factor),
           "--i_just_wanna_run"]
    result_file = folder / "samples_eval_results.json"
    result_file.unlink(missing_ok=True)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    # evalplus's stuck-checker thread sleeps 20 s before noticing it is done: time it until its results exist
    while not result_file.exists() and proc.poll() is None:
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    if proc.wait() != 0:
        raise RuntimeError(f"evalplus exited with {proc.returncode}: {' '.join(cmd)}")
    results = json.loads(result_file.read_text())["eval"]
    verdicts = {tid: [r[0]["base_status"] == "pass", r[0]["plus_status"] == "pass"] for tid, r in results.items()}
    return {"seconds": elapsed, "verdicts": verdicts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azr bench evals", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", choices=list(FILES), default="humaneval")
    default_data = os.environ.get("AZR_SHARED_DATA", str(Path(__file__).resolve().parents[2] / "shared" / "data"))
    parser.add_argument("--data-dir", default=default_data, help="folder with humanevalplus/ and mbppplus/")
    parser.add_argument("--workers", type=int, default=2, help="our executor workers = evalplus --parallel")
    parser.add_argument("--min-time", type=float, default=10.0, help="per-input time floor (paper: 10 s)")
    parser.add_argument("--factor", type=float, default=8.0, help="x canonical time (paper: 8)")
    parser.add_argument("--warm", action="store_true", help="also time a second run with both caches filled "
                        "(evalplus's ground-truth pickle, our canonical-output cache)")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _ours(args.dataset, args.data_dir, args.workers, args.min_time, args.factor, args.worker)
        return 0
    print(f"dataset: {args.dataset}+ (canonical solutions, base + plus inputs), workers={args.workers}, "
          f"limits max({args.min_time} s, {args.factor} x canonical)")
    print(f"{'run':<6}{'scorer':<12}{'seconds':>10}{'passed':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for run in ("cold", "warm") if args.warm else ("cold",):
            theirs = _theirs(args.dataset, args.data_dir, args.workers, args.min_time, args.factor, folder)
            out = folder / "ours.json"
            env = dict(os.environ, AZR_EVALS_CACHE=str(folder / "azr_cache"))
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "azr_benchmarks.evals", "--dataset", args.dataset, "--data-dir",
                            args.data_dir, "--workers", str(args.workers), "--min-time", str(args.min_time),
                            "--factor", str(args.factor), "--worker", str(out)], check=True, env=env)
            ours_seconds = time.perf_counter() - started
            ours = json.loads(out.read_text())
            passed = sum(all(v) for v in ours.values())
            print(f"{run:<6}{'evalplus':<12}{theirs['seconds']:>10.1f}"
                  f"{sum(all(v) for v in theirs['verdicts'].values()):>10}")
            print(f"{run:<6}{'azr_evals':<12}{ours_seconds:>10.1f}{passed:>10}   "
                  f"ratio ours/evalplus {ours_seconds / theirs['seconds']:.2f} (target <= 0.50)")
    differ = {t: (ours.get(t), v) for t, v in theirs["verdicts"].items() if ours.get(t) != v}
    print(f"verdicts differ on {len(differ)} of {len(ours)} task(s)" + "".join(
        f"\n  {t}: ours [base, plus] = {o}, evalplus = {e}" for t, (o, e) in sorted(differ.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
