"""`azr eval`: evaluate a model on the paper's benchmarks (and CRUXEval, GSM8K) and write the table.

    azr eval --model PATH --benchmarks paper --data-dir ../shared/data --out runs/eval/my-model
    azr eval --model NAME --backend openai --base-url http://127.0.0.1:8000/v1 --prompt-format chat
    azr eval --list
    azr eval --out runs/eval/my-model --stage score --stage report   # re-score with the run's recorded settings
    azr eval --reproduce runs/eval/my-model/results.json               # re-run a results file, report differences

The work is done by `azr_evals` (docs/evals.md); this module only maps flags to its configuration. Settings
flags default to None so that a stage re-run can tell "not given" (take the run's recorded value, run.json) from
"given" (override it).
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path
from typing import Any

from azr_env.errors import ConfigError

STAGES = ("generate", "score", "report")
# Built-in values of the settings flags (used when neither the command line nor a recorded run gives one).
DEFAULTS: dict[str, Any] = {
    "backend": "hf", "benchmarks": "paper", "prompt_format": "r1", "n": 1, "temperature": 0.0, "top_p": 1.0,
    "seed": 0, "batch_size": 16, "workers": 2, "lcb_release": "release_v5", "lcb_start": "2023-05-01",
    "lcb_end": "2025-02-28", "lcb_timeout": 60.0, "evalplus_min_time": 10.0, "evalplus_factor": 8.0,
    "math_timeout": 10.0, "concurrency": 8, "max_retries": 3, "request_timeout": 600.0,
}  # concurrency / max_retries / request_timeout: as azr_evals.backends.OPENAI_DEFAULTS


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("eval", help="evaluate a model on the benchmarks of the paper",
                              description="Generate, score and tabulate: HumanEval+, MBPP+, LiveCodeBench, AIME24/25, "
                                          "AMC23, MATH500, Minerva, OlympiadBench, GSM8K, CRUXEval-I/O.")
    from azr_evals.backends import EVAL_BACKENDS  # without azr_evals, azr_env.cli shows a one-line stand-in

    d = DEFAULTS
    p.add_argument("--list", action="store_true", help="list the benchmarks and their sources, then exit")
    p.add_argument("--reproduce", type=Path, metavar="RESULTS_JSON",
                   help="re-run the configuration recorded in a results.json (into --out, default "
                        "<its folder>-reproduce; --data-dir may point at moved data) and report configuration and "
                        "score differences")
    p.add_argument("--model", help="model folder, 'cpu-micro', or the server's model name (--backend openai)")
    p.add_argument("--backend", help=f"{', '.join(EVAL_BACKENDS)} (default {d['backend']})")
    p.add_argument("--base-url", help="OpenAI-compatible server URL including /v1 (backend openai)")
    p.add_argument("--api-key", help="bearer token for the server (backend openai; default: $OPENAI_API_KEY); "
                                     "never written to the results")
    p.add_argument("--system-prompt", help="system message (backend openai with --prompt-format chat)")
    p.add_argument("--concurrency", type=int, help=f"requests in flight (backend openai; default {d['concurrency']})")
    p.add_argument("--max-retries", type=int,
                   help=f"retries of a request after 429/5xx/timeouts, with backoff (default {d['max_retries']})")
    p.add_argument("--request-timeout", type=float,
                   help=f"seconds per request (backend openai; default {d['request_timeout']:g})")
    p.add_argument("--benchmarks", help="comma-separated names, 'paper' (the 9 of the table) or 'all' (default: paper)")
    p.add_argument("--out", type=Path, help="results directory (default: runs/eval/<model name>)")
    p.add_argument("--data-dir", type=Path, help="local benchmark files (layout of ../shared/data); default: "
                                                 "download from upstream")
    p.add_argument("--limit", type=int, help="first N problems of each benchmark (smoke runs)")
    p.add_argument("--prompt-format", choices=["r1", "raw", "chat"],
                   help="r1 template (paper, default), raw text, or the model's chat template (backend openai: "
                        "the /chat/completions route)")
    p.add_argument("--n", type=int, help="samples per problem (pass@k); paper: 1")
    p.add_argument("--temperature", type=float, help="0 = greedy (paper, default)")
    p.add_argument("--top-p", type=float)
    p.add_argument("--max-new-tokens", type=int, help="override the presets (8096 code, 16000 math)")
    p.add_argument("--seed", type=int, help=f"decoding seed (default {d['seed']})")
    p.add_argument("--batch-size", type=int, help=f"prompts per generate call (default {d['batch_size']})")
    p.add_argument("--workers", type=int,
                   help=f"parallel sandboxed executions / math checkers (default {d['workers']})")
    p.add_argument("--stage", action="append", choices=STAGES, help="run only these stages (repeatable)")
    p.add_argument("--lcb-release", help=f"default {d['lcb_release']}")
    p.add_argument("--lcb-start", help=f"first contest day (YYYY-MM-DD; default {d['lcb_start']})")
    p.add_argument("--lcb-end", help=f"last contest day (YYYY-MM-DD; default {d['lcb_end']})")
    p.add_argument("--lcb-timeout", type=float, help="seconds per LiveCodeBench test (paper: 60)")
    p.add_argument("--evalplus-min-time", type=float, help="per-input time floor (paper: 10 s)")
    p.add_argument("--evalplus-factor", type=float, help="x canonical time per input (paper: 8)")
    p.add_argument("--math-timeout", type=float, help="seconds per symbolic math check (default 10)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.set_defaults(func=run)


def list_benchmarks() -> str:
    from azr_evals.registry import BENCHMARKS

    lines = [f"{'name':<15}{'family':<15}{'group':<7}{'tokens':>7}  source"]
    for spec in BENCHMARKS.values():
        lines.append(f"{spec.name:<15}{spec.family:<15}{spec.group:<7}{spec.max_new_tokens:>7}  {spec.source}")
    return "\n".join(lines)


def _value(args: argparse.Namespace, name: str) -> Any:
    given = getattr(args, name)
    return DEFAULTS.get(name) if given is None else given


def _explicit_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The settings given on the command line, in `EvalConfig.to_dict()` shape (None: not given)."""
    generation = {"n": args.n, "temperature": args.temperature, "top_p": args.top_p,
                  "max_new_tokens": args.max_new_tokens, "seed": args.seed, "batch_size": args.batch_size}
    scoring = {"workers": args.workers, "math_timeout_s": args.math_timeout,
               "evalplus": {"min_time_limit": args.evalplus_min_time, "time_limit_factor": args.evalplus_factor},
               "livecodebench": {"test_timeout_s": args.lcb_timeout}}
    lcb = {"release": args.lcb_release, "start_date": args.lcb_start, "end_date": args.lcb_end}
    return {"benchmarks": args.benchmarks, "data_dir": str(args.data_dir) if args.data_dir else None,
            "limit": args.limit, "prompt_format": args.prompt_format, "generation": generation,
            "scoring": scoring, "lcb": lcb}


def _merge(base: dict[str, Any], explicit: dict[str, Any]) -> dict[str, Any]:
    """`base` with every non-None value of `explicit` written over it (nested dicts merged)."""
    out = dict(base)
    for key, value in explicit.items():
        if isinstance(value, dict):
            out[key] = _merge(out.get(key) or {}, value)
        elif value is not None:
            out[key] = value
    return out


def _builtin_settings() -> dict[str, Any]:
    d = DEFAULTS
    return {"benchmarks": d["benchmarks"], "prompt_format": d["prompt_format"],
            "generation": {"n": d["n"], "temperature": d["temperature"], "top_p": d["top_p"], "seed": d["seed"],
                           "batch_size": d["batch_size"]},
            "scoring": {"workers": d["workers"], "math_timeout_s": d["math_timeout"],
                        "evalplus": {"min_time_limit": d["evalplus_min_time"],
                                     "time_limit_factor": d["evalplus_factor"]},
                        "livecodebench": {"test_timeout_s": d["lcb_timeout"]}},
            "lcb": {"release": d["lcb_release"], "start_date": d["lcb_start"], "end_date": d["lcb_end"]}}


def model_key(backend: str, model: str, prompt_format: str, system_prompt: str | None) -> str:
    """What identifies the model in the generation cache: backend, full path or server name, and (for chat) the
    chat route and system prompt, since both change the completions."""
    key = f"{backend}:{Path(model).resolve() if Path(model).exists() else model}"
    if prompt_format == "chat":
        key += "|chat"
    if system_prompt is not None:
        key += f"|system:{hashlib.sha256(system_prompt.encode()).hexdigest()[:12]}"
    return key


def _agent_info(args: argparse.Namespace) -> dict[str, Any]:
    from azr_evals.backends import check_backend

    backend = _value(args, "backend")
    check_backend(backend)
    info: dict[str, Any] = {"backend": backend, "model": args.model}
    if backend == "openai":
        info |= {"base_url": args.base_url, "system_prompt": args.system_prompt,
                 "concurrency": _value(args, "concurrency"), "max_retries": _value(args, "max_retries"),
                 "timeout_s": _value(args, "request_timeout")}
    elif args.system_prompt is not None:
        info["system_prompt"] = args.system_prompt
    return info


def run(args: argparse.Namespace) -> int:
    if args.list:
        print(list_benchmarks())
        return 0
    api_key = args.api_key or os.environ.get("OPENAI_API_KEY") or None
    if args.reproduce:
        from azr_evals.reproduction import reproduce

        report = reproduce(args.reproduce, out_dir=args.out, api_key=api_key, data_dir=args.data_dir,
                           progress=not args.no_progress)
        print(report.text())
        return 0
    from azr_evals.backends import build_agent
    from azr_evals.runner import EvalConfig, read_run_record
    from azr_evals.runner import run as run_eval

    stages = tuple(s for s in STAGES if s in (args.stage or STAGES))
    if not args.model and "generate" in stages:
        raise ConfigError("--model is required to generate (or pass --stage score/report with --out)")
    if not args.out and not args.model:
        raise ConfigError("pass --out (the results directory to score or report)")
    model_id = args.model or "model"
    out = args.out or Path("runs") / "eval" / Path(model_id).name
    explicit = _explicit_settings(args)
    base = _builtin_settings()
    agent_info = None
    recorded = read_run_record(out) if "generate" not in stages else None
    if recorded and recorded.get("config"):
        base = _merge(base, recorded["config"])  # a stage re-run: the run's own settings, unless overridden
        print(f"reusing the settings recorded in {out / 'run.json'} (flags given now override them): "
              f"data_dir={base.get('data_dir')}, limit={base.get('limit')}, "
              f"prompt_format={base.get('prompt_format')}")
    settings = _merge(base, explicit)
    agent = None
    if "generate" in stages:
        agent_info = _agent_info(args)
        settings["model_id"] = Path(args.model).name or args.model
        settings["model_key"] = model_key(agent_info["backend"], args.model, settings["prompt_format"],
                                          args.system_prompt)
        agent = build_agent(agent_info, settings["prompt_format"], api_key=api_key)
        describe = getattr(agent, "describe", None)
        agent_info |= describe() if callable(describe) else {}
    elif not recorded:
        settings["model_id"] = Path(model_id).name or model_id
    config = EvalConfig.from_dict(settings, out, stages=stages, progress=not args.no_progress,
                                  agent_info=agent_info)
    results = run_eval(agent, config)
    if results is not None:
        print((out / "results.md").read_text())
        print(f"results: {out / 'results.json'}")
    return 0
