"""Run the four stages for a list of benchmarks: data -> generate -> score -> report.

Files in the results directory (each stage reads the previous stage's files, so any stage can be re-run alone):
- `generations/<benchmark>.jsonl`: raw completions (also the resume cache of the generate stage);
- `scored/<benchmark>.jsonl`: one row per sample: prompt, response, extracted answer, verdict, reason, details;
- `results.json`, `results.md`, `results.html`: metrics and the table beside the paper's rows.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from azr_evals.benchmarks import BenchmarkSpec
from azr_evals.data import load_problems
from azr_evals.generate import GenerationConfig, generate
from azr_evals.prompts import build_prompt
from azr_evals.report import benchmark_metrics, build_results, write_reports
from azr_evals.scoring import Scorers, ScoringConfig
from azr_evals.types import Problem, Sample

from azr_env.errors import DataError


@dataclass
class EvalConfig:
    """One evaluation run.

    Attributes:
        benchmarks: what to run (resolved specs).
        out_dir: the results directory.
        model_id: name shown in the table.
        model_key: what identifies the model in the generation cache key (default: model_id); the CLI passes the
            full model path or server name, so two checkpoints with the same folder name never share samples.
        data_dir: local data root (None: download from upstream).
        limit: first N problems of each benchmark only (smoke runs).
        prompt_format: "r1" (paper), "raw", or "chat" (backend applies the chat template).
        lcb: LiveCodeBench selection: release, start_date, end_date.
        stages: any of "generate", "score", "report", run in that order.
    """

    benchmarks: list[BenchmarkSpec]
    out_dir: Path
    model_id: str = "model"
    model_key: str | None = None
    data_dir: Path | None = None
    limit: int | None = None
    prompt_format: str = "r1"
    generation: GenerationConfig = field(default_factory=GenerationConfig)
    scoring: ScoringConfig = field(default_factory=ScoringConfig)
    lcb: dict[str, str] = field(default_factory=dict)
    stages: tuple[str, ...] = ("generate", "score", "report")
    progress: bool = True


def _load(spec: BenchmarkSpec, config: EvalConfig) -> list[Problem]:
    options = config.lcb if spec.family == "livecodebench" else {}
    return load_problems(spec.name, data_dir=config.data_dir, limit=config.limit, **options)


def read_samples(path: Path) -> list[Sample]:
    """Samples from a generations file (the latest row wins per problem and sample index)."""
    if not path.exists():
        raise DataError(f"no generations at {path}: run the generate stage first (azr eval ... --stage generate)")
    latest: dict[tuple[str, int], Sample] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        latest[(row["problem_id"], int(row["sample_idx"]))] = Sample.from_json(row)
    return list(latest.values())


def run(agent: Any, config: EvalConfig, log: Any = print) -> dict[str, Any] | None:
    """Run the configured stages; returns the results dict when the report stage ran."""
    out = config.out_dir
    config.scoring.prompt_format = config.prompt_format
    config.scoring.progress = config.progress
    with Scorers(config.scoring) as scorers:
        for spec in config.benchmarks:
            problems = _load(spec, config)
            gen_path = out / "generations" / f"{spec.name}.jsonl"
            if "generate" in config.stages:
                started = time.monotonic()
                referee = scorers.referee if spec.family == "cruxeval" else None
                prompts = [build_prompt(p, spec.family, config.prompt_format, referee=referee) for p in problems]
                generate(agent, problems, prompts, model_id=config.model_key or config.model_id,
                         max_new_tokens=config.generation.max_new_tokens or spec.max_new_tokens,
                         config=config.generation, cache_path=gen_path, progress=config.progress)
                log(f"{spec.name}: {len(problems)} problems generated in {time.monotonic() - started:.1f}s")
            if "score" in config.stages:
                started = time.monotonic()
                wanted = {p.problem_id for p in problems}
                samples = [s for s in read_samples(gen_path)
                           if s.problem_id in wanted and s.sample_idx < config.generation.n]
                verdicts = scorers.score(spec, problems, samples)
                _write_scored(out / "scored" / f"{spec.name}.jsonl", samples, verdicts)
                solved = sum(v.correct for v in verdicts)
                log(f"{spec.name}: scored {len(samples)} samples in {time.monotonic() - started:.1f}s "
                    f"({solved} correct)")
    if "report" not in config.stages:
        return None
    return report(config)


def _write_scored(path: Path, samples: list[Sample], verdicts: list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for sample, verdict in zip(samples, verdicts):
            row = sample.to_json() | {"extracted": verdict.extracted, "correct": verdict.correct,
                                      "reason": verdict.reason, "details": verdict.details}
            fh.write(json.dumps(row, default=str) + "\n")


def report(config: EvalConfig) -> dict[str, Any]:
    """Aggregate `scored/*.jsonl` of the configured benchmarks into results.json / .md / .html."""
    per_benchmark = {}
    for spec in config.benchmarks:
        path = config.out_dir / "scored" / f"{spec.name}.jsonl"
        if not path.exists():
            raise DataError(f"no scored samples at {path}: run the score stage first")
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        per_benchmark[spec.name] = benchmark_metrics(rows)
    settings = {"prompt_format": config.prompt_format, "generation": asdict(config.generation),
                "limit": config.limit, "data_dir": str(config.data_dir) if config.data_dir else None,
                "evalplus": asdict(config.scoring.evalplus), "livecodebench": asdict(config.scoring.lcb) | config.lcb}
    results = build_results(config.model_id, per_benchmark, settings)
    write_reports(results, config.out_dir)
    return results
