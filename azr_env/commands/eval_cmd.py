"""`azr eval`: evaluate a model on the paper's benchmarks (and CRUXEval, GSM8K) and write the table.

    azr eval --model PATH --benchmarks paper --data-dir ../shared/data --out runs/eval/my-model
    azr eval --list
    azr eval --model PATH --benchmarks aime24 --stage score --stage report   # re-score existing generations

The work is done by `azr_evals` (docs/evals.md); this module only maps flags to its configuration.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from azr_env.errors import ConfigError

STAGES = ("generate", "score", "report")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("eval", help="evaluate a model on the benchmarks of the paper",
                              description="Generate, score and tabulate: HumanEval+, MBPP+, LiveCodeBench, AIME24/25, "
                                          "AMC23, MATH500, Minerva, OlympiadBench, GSM8K, CRUXEval-I/O.")
    p.add_argument("--list", action="store_true", help="list the benchmarks and their sources, then exit")
    p.add_argument("--model", help="model folder, 'cpu-micro', or the server's model name (--backend openai)")
    p.add_argument("--backend", default="hf", help="hf (default), vllm, openai, random, oracle")
    p.add_argument("--base-url", help="OpenAI-compatible server URL (backend openai)")
    p.add_argument("--benchmarks", default="paper", help="comma-separated names, 'paper' (the 9 of the table) or "
                                                         "'all' (default: paper)")
    p.add_argument("--out", type=Path, help="results directory (default: runs/eval/<model name>)")
    p.add_argument("--data-dir", type=Path, help="local benchmark files (layout of ../shared/data); default: "
                                                 "download from upstream")
    p.add_argument("--limit", type=int, help="first N problems of each benchmark (smoke runs)")
    p.add_argument("--prompt-format", default="r1", choices=["r1", "raw", "chat"],
                   help="r1 template (paper), raw text, or the model's chat template")
    p.add_argument("--n", type=int, default=1, help="samples per problem (pass@k); paper: 1")
    p.add_argument("--temperature", type=float, default=0.0, help="0 = greedy (paper)")
    p.add_argument("--top-p", type=float, default=1.0)
    p.add_argument("--max-new-tokens", type=int, help="override the presets (8096 code, 16000 math)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=16, help="prompts per generate call")
    p.add_argument("--workers", type=int, default=2, help="parallel sandboxed executions / math checkers")
    p.add_argument("--stage", action="append", choices=STAGES, help="run only these stages (repeatable)")
    p.add_argument("--lcb-release", default="release_v5")
    p.add_argument("--lcb-start", default="2023-05-01", help="first contest day (YYYY-MM-DD)")
    p.add_argument("--lcb-end", default="2025-02-28", help="last contest day (YYYY-MM-DD)")
    p.add_argument("--lcb-timeout", type=float, default=60.0, help="seconds per LiveCodeBench test (paper: 60)")
    p.add_argument("--evalplus-min-time", type=float, default=10.0, help="per-input time floor (paper: 10 s)")
    p.add_argument("--evalplus-factor", type=float, default=8.0, help="x canonical time per input (paper: 8)")
    p.add_argument("--math-timeout", type=float, default=10.0, help="seconds per symbolic math check")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def list_benchmarks() -> str:
    from azr_evals.benchmarks import BENCHMARKS

    lines = [f"{'name':<15}{'family':<15}{'group':<7}{'tokens':>7}  source"]
    for spec in BENCHMARKS.values():
        lines.append(f"{spec.name:<15}{spec.family:<15}{spec.group:<7}{spec.max_new_tokens:>7}  {spec.source}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if args.list:
        print(list_benchmarks())
        return 0
    from azr_evals.benchmarks import resolve_benchmarks
    from azr_evals.generate import GenerationConfig
    from azr_evals.runner import EvalConfig
    from azr_evals.runner import run as run_eval
    from azr_evals.score.evalplus_score import EvalPlusConfig
    from azr_evals.score.lcb_score import LCBConfig
    from azr_evals.scoring import ScoringConfig

    stages = tuple(s for s in STAGES if s in (args.stage or STAGES))
    if not args.model and "generate" in stages:
        raise ConfigError("--model is required to generate (or pass --stage score/report with --out)")
    model_id = args.model or "model"
    out = args.out or Path("runs") / "eval" / Path(model_id).name
    if not args.out and not args.model:
        raise ConfigError("pass --out (the results directory to score or report)")
    config = EvalConfig(
        benchmarks=resolve_benchmarks(args.benchmarks), out_dir=out, model_id=Path(model_id).name or model_id,
        model_key=f"{args.backend}:{Path(model_id).resolve() if Path(model_id).exists() else model_id}",
        data_dir=args.data_dir, limit=args.limit, prompt_format=args.prompt_format,
        generation=GenerationConfig(n=args.n, temperature=args.temperature, top_p=args.top_p,
                                    max_new_tokens=args.max_new_tokens, seed=args.seed, batch_size=args.batch_size),
        scoring=ScoringConfig(workers=args.workers, math_timeout_s=args.math_timeout,
                              evalplus=EvalPlusConfig(min_time_limit=args.evalplus_min_time,
                                                      time_limit_factor=args.evalplus_factor),
                              lcb=LCBConfig(test_timeout_s=args.lcb_timeout)),
        lcb={"release": args.lcb_release, "start_date": args.lcb_start, "end_date": args.lcb_end},
        stages=stages, progress=not args.no_progress,
    )
    agent = None
    if "generate" in stages:
        from azr_agents.models import make_agent

        kwargs = {}
        if args.backend == "openai":
            kwargs["base_url"] = args.base_url
        elif args.backend in ("hf", "vllm") and args.prompt_format == "chat":
            kwargs["chat_template"] = True
        agent = make_agent(args.backend, args.model, **kwargs)
    results = run_eval(agent, config)
    if results is not None:
        print((out / "results.md").read_text())
        print(f"results: {out / 'results.json'}")
    return 0
