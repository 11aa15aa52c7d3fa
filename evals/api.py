"""The public Python entry point: `azr_evals.evaluate(agent, benchmarks, ...)` -> `EvalResults`.

The same four stages as `azr eval` (azr_evals.runner), without flags: the agent is any `azr_agents.Agent` (an
object with a batched `generate`, e.g. `OpenAIAgent`, `HFAgent`) or a plain function `list[str] -> list[str]`
(one completion per prompt), and the result is the table plus every metric as typed fields.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azr_evals.generate import GenerationConfig
from azr_evals.registry import resolve_benchmarks
from azr_evals.report import markdown_table
from azr_evals.scoring import ScoringConfig

from azr_env.errors import ConfigError


@dataclass(frozen=True)
class EvalResults:
    """What `evaluate` returns.

    Attributes:
        model: the name shown in the table.
        scores: benchmark name -> pass@1 in %.
        averages: "CAvg", "MAvg", "AVG" -> value in % (None when no benchmark of the group ran).
        metrics: benchmark name -> all metrics (pass@k, base_score, reasons, counts).
        table: the Markdown table, our row beside the paper's.
        out_dir: the results directory (generations, scored samples, results.json).
        raw: the full results.json dict (settings and reproducibility records included).
    """

    model: str
    scores: dict[str, float]
    averages: dict[str, float | None]
    metrics: dict[str, dict[str, Any]]
    table: str
    out_dir: Path
    raw: dict[str, Any]

    def __str__(self) -> str:
        return self.table


def evaluate(
    agent: Any,
    benchmarks: str | list[str] = "paper",
    *,
    data_dir: str | Path | None = None,
    out_dir: str | Path | None = None,
    limit: int | None = None,
    model_name: str = "model",
    prompt_format: str = "r1",
    n: int = 1,
    temperature: float = 0.0,
    top_p: float = 1.0,
    max_new_tokens: int | None = None,
    seed: int | None = 0,
    batch_size: int = 16,
    workers: int = 2,
    lcb: dict[str, str] | None = None,
    progress: bool = False,
) -> EvalResults:
    """Generate, score and tabulate `benchmarks` for `agent`; returns the table and metrics.

    Args:
        agent: an `azr_agents.Agent` or a callable `list[str] -> list[str]` (one completion per prompt).
        benchmarks: names, comma-separated or as a list, or "paper" / "all" (`azr eval --list` shows them).
        data_dir: local benchmark files (layout of ../shared/data); None downloads the pinned upstream files.
        out_dir: results directory; None uses a new temporary folder (kept, its path is in the result). Reusing
            a folder resumes: completions already there are not asked again.
        limit: first N problems of each benchmark (smoke runs).
        model_name: the row name in the table (and part of the generation cache key).
        prompt_format: "r1" (paper), "raw", or "chat" (for agents that apply a chat template themselves).
        n, temperature, top_p, max_new_tokens, seed: sampling (paper preset: greedy, one sample).
        batch_size: prompts per `agent.generate` call.
        workers: parallel sandboxed executions / math checkers.
        lcb: LiveCodeBench window, e.g. {"release": "release_v5", "start_date": "2024-08-01"}.
        progress: show progress bars.
    """
    from azr_agents.base import as_agent
    from azr_evals.runner import EvalConfig, run

    if type(agent).__name__ == "OracleAgent":
        from azr_evals.backends import check_backend

        check_backend("oracle")
    wrapped = as_agent(agent)
    folder = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="azr-eval-"))
    name = getattr(agent, "__name__", None) or repr(agent)
    config = EvalConfig(
        benchmarks=resolve_benchmarks(benchmarks), out_dir=folder, model_id=model_name,
        model_key=f"python:{model_name}", data_dir=Path(data_dir) if data_dir is not None else None, limit=limit,
        prompt_format=prompt_format,
        generation=GenerationConfig(n=n, temperature=temperature, top_p=top_p, max_new_tokens=max_new_tokens,
                                    seed=seed, batch_size=batch_size),
        scoring=ScoringConfig(workers=workers), lcb=dict(lcb or {}), progress=progress,
        agent_info=(wrapped.describe() if callable(getattr(wrapped, "describe", None))
                    else {"backend": "python", "repr": str(name)[:200]}),
    )
    results = run(wrapped, config, log=(print if progress else lambda *_: None))
    if results is None:
        raise ConfigError("the report stage did not run")  # cannot happen: all stages run here
    return EvalResults(
        model=results["model"],
        scores={b: m["score"] for b, m in results["benchmarks"].items()},
        averages={k: (v["value"] if v else None) for k, v in results["averages"].items()},
        metrics=results["benchmarks"], table=markdown_table(results), out_dir=folder, raw=results)
