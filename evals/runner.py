"""Run the four stages for a list of benchmarks: data -> generate -> score -> report.

Files in the results directory (each stage reads the previous stage's files, so any stage can be re-run alone):
- `generations/<benchmark>.jsonl`: raw completions (also the resume cache of the generate stage);
- `scored/<benchmark>.jsonl`: one row per sample: prompt, response, extracted answer, verdict, reason, details;
- `results.json`, `results.md`, `results.html`: metrics and the table beside the paper's rows;
- `run.json`: the run's settings, the agent's description and the data hashes, written by every stage, so a
  stage re-run (`azr eval --out DIR --stage score`) or `azr eval --reproduce` reuses them.

results.json records everything that decides a number (SPEC §7 preset or not): the settings, the agent (backend,
URL, route; never an API key), the sha256 of every data file read and of the problems as loaded, the hash of the
prompts sent and of the templates, the generation settings with the decoding seed, package versions and machine.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from azr_evals import provenance
from azr_evals.data import load_problems
from azr_evals.data.fetch import track
from azr_evals.generate import GenerationConfig, generate
from azr_evals.prompts import build_prompt
from azr_evals.registry import BenchmarkSpec, resolve_benchmarks
from azr_evals.report import benchmark_metrics, build_results, write_reports
from azr_evals.score.evalplus_score import EvalPlusConfig
from azr_evals.score.lcb_score import LCBConfig
from azr_evals.scoring import Scorers, ScoringConfig
from azr_evals.types import Completion, Problem

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
        agent_info: what the agent is, for the results file (default: the agent's `describe()`, else its repr);
            the CLI records backend and model so that `azr eval --reproduce` can rebuild it. Never a secret.
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
    agent_info: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The settings that decide the numbers, as JSON (stages, progress and out_dir are not settings)."""
        return {"benchmarks": [b.name for b in self.benchmarks], "model_id": self.model_id,
                "model_key": self.model_key, "data_dir": os.path.abspath(self.data_dir) if self.data_dir else None,
                "limit": self.limit, "prompt_format": self.prompt_format, "generation": asdict(self.generation),
                "scoring": {"workers": self.scoring.workers, "memory_mb": self.scoring.memory_mb,
                            "math_timeout_s": self.scoring.math_timeout_s,
                            "evalplus": asdict(self.scoring.evalplus), "livecodebench": asdict(self.scoring.lcb)},
                "lcb": dict(self.lcb)}

    @classmethod
    def from_dict(cls, data: dict[str, Any], out_dir: Path, **overrides: Any) -> EvalConfig:
        """Inverse of `to_dict` (unknown keys ignored, so older files still load); `overrides` win."""
        scoring = data.get("scoring") or {}
        known = {f.name for f in fields(EvalPlusConfig)}
        values: dict[str, Any] = {
            "benchmarks": resolve_benchmarks(data["benchmarks"]), "out_dir": Path(out_dir),
            "model_id": data.get("model_id", "model"), "model_key": data.get("model_key"),
            "data_dir": Path(data["data_dir"]) if data.get("data_dir") else None, "limit": data.get("limit"),
            "prompt_format": data.get("prompt_format", "r1"),
            "generation": GenerationConfig(**{k: v for k, v in (data.get("generation") or {}).items()
                                              if k in {f.name for f in fields(GenerationConfig)}}),
            "scoring": ScoringConfig(
                workers=scoring.get("workers", 2), memory_mb=scoring.get("memory_mb", 4096),
                math_timeout_s=scoring.get("math_timeout_s", 10.0),
                evalplus=EvalPlusConfig(**{k: v for k, v in (scoring.get("evalplus") or {}).items() if k in known}),
                lcb=LCBConfig(**{k: v for k, v in (scoring.get("livecodebench") or {}).items()
                                 if k in {f.name for f in fields(LCBConfig)}})),
            "lcb": dict(data.get("lcb") or {}),
        }
        return cls(**(values | overrides))


def read_run_record(out_dir: Path) -> dict[str, Any] | None:
    """The `run.json` of a results directory, or None when there is none (or it is unreadable)."""
    path = Path(out_dir) / "run.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _agent_info(agent: Any, config: EvalConfig) -> dict[str, Any] | None:
    if config.agent_info is not None:
        return dict(config.agent_info)
    if agent is None:
        return None
    describe = getattr(agent, "describe", None)
    return describe() if callable(describe) else {"backend": "python", "repr": repr(agent)[:200]}


def _write_run_record(config: EvalConfig, agent: Any, data: dict[str, Any]) -> None:
    """Merge this run's settings, agent and data provenance into `run.json` (earlier stages' entries kept)."""
    record = read_run_record(config.out_dir) or {}
    record["config"] = config.to_dict()
    record["agent"] = _agent_info(agent, config) or record.get("agent")
    record["data"] = (record.get("data") or {}) | data
    stages = record.get("stages") or {}
    for stage in config.stages:
        stages[stage] = {"at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                         "packages": provenance.package_versions(), "machine": provenance.machine()}
    record["stages"] = stages
    config.out_dir.mkdir(parents=True, exist_ok=True)
    (config.out_dir / "run.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")


def _load(spec: BenchmarkSpec, config: EvalConfig) -> tuple[list[Problem], dict[str, Any]]:
    """The problems and their provenance: sha256 of every file read and of the problems as loaded."""
    options = config.lcb if spec.family == "livecodebench" else {}
    with track() as used:
        problems = load_problems(spec.name, data_dir=config.data_dir, limit=config.limit, **options)
    return problems, {"source": spec.source, "files": provenance.file_hashes(used), "problems": len(problems),
                      "problems_sha256": provenance.problems_sha256(problems, spec.family)}


def read_samples(path: Path) -> list[Completion]:
    """Samples from a generations file (the latest row wins per problem and sample index)."""
    if not path.exists():
        raise DataError(f"no generations at {path}: run the generate stage first (azr eval ... --stage generate)")
    latest: dict[tuple[str, int], Completion] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        latest[(row["problem_id"], int(row["sample_idx"]))] = Completion.from_json(row)
    return list(latest.values())


def run(agent: Any, config: EvalConfig, log: Any = print) -> dict[str, Any] | None:
    """Run the configured stages; returns the results dict when the report stage ran."""
    out = config.out_dir
    config.scoring.prompt_format = config.prompt_format
    config.scoring.progress = config.progress
    data: dict[str, Any] = {}
    if {"generate", "score"} & set(config.stages):
        _write_run_record(config, agent, data)  # settings first: a run interrupted mid-way can still be re-scored
    with Scorers(config.scoring) as scorers:
        for spec in config.benchmarks:
            if not {"generate", "score"} & set(config.stages):
                break
            problems, data[spec.name] = _load(spec, config)
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
    _write_run_record(config, agent, data)
    if "report" not in config.stages:
        return None
    return report(config)


def _write_scored(path: Path, samples: list[Completion], verdicts: list[Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for sample, verdict in zip(samples, verdicts):
            row = sample.to_json() | {"extracted": verdict.extracted, "correct": verdict.correct,
                                      "reason": verdict.reason, "details": verdict.details}
            fh.write(json.dumps(row, default=str) + "\n")


def report(config: EvalConfig) -> dict[str, Any]:
    """Aggregate `scored/*.jsonl` of the configured benchmarks into results.json / .md / .html."""
    per_benchmark, prompts = {}, {}
    for spec in config.benchmarks:
        path = config.out_dir / "scored" / f"{spec.name}.jsonl"
        if not path.exists():
            raise DataError(f"no scored samples at {path}: run the score stage first")
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        per_benchmark[spec.name] = benchmark_metrics(rows)
        prompts[spec.name] = provenance.prompts_sha256(rows)
    record = read_run_record(config.out_dir) or {}
    settings = config.to_dict()
    data = record.get("data") or {}
    reproducibility = {
        "agent": record.get("agent"), "data": {b.name: data.get(b.name) for b in config.benchmarks},
        "prompts_sha256": prompts, "template_sha256": provenance.template_sha256(config.prompt_format),
        "decoding_seed": config.generation.seed, "stages": record.get("stages") or {},
        "report": {"packages": provenance.package_versions(), "machine": provenance.machine()},
    }
    results = build_results(config.model_id, per_benchmark, settings) | {"reproducibility": reproducibility}
    write_reports(results, config.out_dir)
    return results
