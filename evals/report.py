"""Report stage: verdict JSONL -> metrics -> results.json and a Markdown/HTML table beside the paper's rows.

Scores are percentages of pass@1 (mean over samples when n > 1). CAvg is the mean of the three code scores
(HE+, MBPP+, LCB), MAvg of the six math scores, AVG = (CAvg + MAvg) / 2 (SPEC §7); an average over an incomplete
group is computed over what was run and marked with `*`.
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from azr_evals.paper import PAPER_ROWS, rows_for
from azr_evals.passk import default_ks, mean_pass_at_k
from azr_evals.registry import BENCHMARKS, PAPER_BENCHMARKS

CODE = ["humanevalplus", "mbppplus", "livecodebench"]
MATH = ["aime24", "aime25", "amc23", "math500", "minerva", "olympiadbench"]


def benchmark_metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Metrics of one benchmark from its scored rows (`problem_id`, `correct`, `reason`, `details`)."""
    per_problem: dict[str, list[bool]] = defaultdict(list)
    base_ok: dict[str, int] = defaultdict(int)
    for row in rows:
        per_problem[row["problem_id"]].append(bool(row["correct"]))
        base_ok[row["problem_id"]] += (row.get("details") or {}).get("base") == "pass"
    counts = [(len(v), sum(v)) for v in per_problem.values()]
    n = min((c[0] for c in counts), default=1)
    metrics: dict[str, Any] = {
        "score": 100.0 * mean_pass_at_k(counts, 1),
        "problems": len(per_problem), "samples": len(rows),
        "pass_at_k": {f"pass@{k}": 100.0 * mean_pass_at_k(counts, k) for k in default_ks(n)},
        "reasons": dict(Counter(row["reason"] for row in rows).most_common()),
    }
    if rows and "base" in (rows[0].get("details") or {}):
        metrics["base_score"] = 100.0 * mean_pass_at_k([(len(per_problem[p]), base_ok[p]) for p in per_problem], 1)
    return metrics


def averages(scores: dict[str, float]) -> dict[str, tuple[float, bool] | None]:
    """CAvg, MAvg, AVG as (value, complete) or None when nothing of the group was run."""
    out: dict[str, tuple[float, bool] | None] = {}
    for name, group in (("CAvg", CODE), ("MAvg", MATH)):
        have = [scores[b] for b in group if b in scores]
        out[name] = (sum(have) / len(have), len(have) == len(group)) if have else None
    if out["CAvg"] and out["MAvg"]:
        out["AVG"] = ((out["CAvg"][0] + out["MAvg"][0]) / 2, out["CAvg"][1] and out["MAvg"][1])
    else:
        out["AVG"] = None
    return out


def build_results(model: str, per_benchmark: dict[str, dict[str, Any]], settings: dict[str, Any]) -> dict:
    scores = {b: m["score"] for b, m in per_benchmark.items()}
    avg = averages(scores)
    return {"model": model, "settings": settings, "benchmarks": per_benchmark,
            "averages": {k: (None if v is None else {"value": v[0], "complete": v[1]}) for k, v in avg.items()},
            "paper_rows": {name: PAPER_ROWS[name] for name in rows_for(model)}}


def table_rows(results: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows (ours first, then the paper's) of the comparison table."""
    paper_cols = [b for b in PAPER_BENCHMARKS if b in results["benchmarks"]]
    extra = [b for b in results["benchmarks"] if b not in PAPER_BENCHMARKS]
    cols = paper_cols + extra
    header = ["Model", *[BENCHMARKS[b].title for b in cols], "CAvg", "MAvg", "AVG"]
    ours = [results["model"], *[f"{results['benchmarks'][b]['score']:.1f}" for b in cols]]
    for key in ("CAvg", "MAvg", "AVG"):
        entry = results["averages"].get(key)
        ours.append("-" if entry is None else f"{entry['value']:.1f}{'' if entry['complete'] else '*'}")
    rows = [ours]
    for name, paper in results["paper_rows"].items():
        rows.append([f"{name} (paper)", *[f"{paper[b]:.1f}" if b in paper else "-" for b in cols],
                     *[f"{paper[k]:.1f}" for k in ("CAvg", "MAvg", "AVG")]])
    return header, rows


def markdown_table(results: dict) -> str:
    header, rows = table_rows(results)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    note = ("\n\nScores: pass@1 in %. CAvg = mean(HE+, MBPP+, LCBv5), MAvg = mean of the six math sets, "
            "AVG = (CAvg + MAvg) / 2; `*` = averaged over the benchmarks that were run.")
    return "\n".join(lines) + note + "\n"


def html_table(results: dict) -> str:
    header, rows = table_rows(results)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>\n" for row in rows)
    return (f"<!doctype html><meta charset='utf-8'><title>azr eval: {html.escape(results['model'])}</title>\n"
            "<style>table{border-collapse:collapse}td,th{border:1px solid #999;padding:4px 8px;"
            "text-align:right}td:first-child{text-align:left}</style>\n"
            f"<table><thead><tr>{head}</tr></thead><tbody>\n{body}</tbody></table>\n")


def write_reports(results: dict, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (out_dir / "results.md").write_text(markdown_table(results))
    (out_dir / "results.html").write_text(html_table(results))
