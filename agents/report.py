"""`azr report RUN_DIR`: PNG plots of a run's curves and a small HTML page with sample proposals.

Reads only `metrics.jsonl`, `samples.jsonl` and `flagged.jsonl` (responses with a concerning phrase,
`azr_agents.reflection`), so it works on a finished run, a running one, or a copy.
"""

from __future__ import annotations

import html
from pathlib import Path

from azr_agents.tracking import read_jsonl

from azr_env.errors import DataError

PANELS = [
    ("validity", "proposer validity rate", lambda k: k.startswith("propose/") and k.endswith("/valid_rate")),
    ("accuracy", "solver accuracy (training batch, sampled)",
     lambda k: k.startswith("solve/") and k.endswith("/accuracy")),
    ("heldout", "held-out deduction accuracy (greedy, and mean of 4 samples)",
     lambda k: k in ("eval/deduction/accuracy", "eval/deduction/accuracy_sampled")),
    ("rewards", "mean reward per (role, type)", lambda k: k.startswith("reward/")),
    ("buffers", "buffer sizes", lambda k: k.startswith("buffer/")),
    ("time", "seconds per step: generation / execution / update", lambda k: k in (
        "time/generate_s", "time/execute_s", "time/update_s")),
    ("throughput", "generated tokens per second", lambda k: k == "perf/gen_tokens_per_s"),
    ("losses", "policy loss, clip fraction, approx. KL, grad norm", lambda k: k.startswith("losses/")),
    ("reflection", "share of responses with reflection words, and of correct ones among them (all samples)",
     lambda k: k in ("reflect/reflect_ratio", "reflect/correct_reflect_ratio")),
    ("concerning", "responses with a concerning phrase per step", lambda k: k.startswith("safety/")),
]


def write_report(run_dir: str | Path, max_samples: int = 6) -> Path:
    """Write `run_dir/report/index.html` and one PNG per panel; returns the HTML path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = Path(run_dir)
    rows = read_jsonl(run / "metrics.jsonl")
    if not rows:
        raise DataError(f"{run / 'metrics.jsonl'} is missing or empty: is {run} a selfplay run folder?")
    out = run / "report"
    out.mkdir(exist_ok=True)
    images = []
    for name, title, pick in PANELS:
        keys = sorted({k for r in rows for k in r if pick(k)})
        if not keys:
            continue
        fig, ax = plt.subplots(figsize=(7, 3.6))
        for key in keys:
            pts = [(r["step"], r[key]) for r in rows if isinstance(r.get(key), (int, float))]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o" if len(pts) < 30 else None,
                    markersize=3, label=key)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
        fig.tight_layout()
        fig.savefig(out / f"{name}.png", dpi=90)
        plt.close(fig)
        images.append((name, title))
    samples = read_jsonl(run / "samples.jsonl")
    flagged = read_jsonl(run / "flagged.jsonl")
    (out / "index.html").write_text(_html(run, rows, images, samples, max_samples) + _flagged_html(rows, flagged))
    return out / "index.html"


def _html(run: Path, rows: list[dict], images: list[tuple[str, str]], samples: list[dict], k: int) -> str:
    last = rows[-1]
    summary = "".join(
        f"<tr><td>{html.escape(key)}</td><td>{last[key]:.3f}</td></tr>"
        for key in sorted(last) if isinstance(last[key], float) and key.split("/")[0] in ("propose", "solve", "eval")
    )
    parts = [
        "<!doctype html><meta charset='utf-8'><title>azr selfplay report</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}pre{background:#f4f4f4;padding:6px;"
        "white-space:pre-wrap;font-size:12px}img{max-width:100%}td{padding:2px 8px}</style>",
        f"<h1>azr selfplay: {html.escape(str(run))}</h1><p>{len(rows)} logged steps, last step {last['step']}.</p>",
        f"<h2>Last step</h2><table>{summary}</table>",
    ]
    parts += [f"<h2>{html.escape(t)}</h2><img src='{n}.png' alt='{n}'>" for n, t in images]
    parts.append("<h2>Recent proposed tasks</h2>")
    for task_type in sorted({s["task_type"] for s in samples}):
        props = [s for s in samples if s["task_type"] == task_type and s["kind"] == "proposal"]
        shown = ([s for s in props if s["valid"]] or props)[-k:]
        parts.append(f"<h3>{html.escape(task_type)}</h3>")
        for s in shown:
            verdict = "valid" if s["valid"] else f"rejected: {s['reason']}"
            rate = f", solve rate {s['solve_rate']:.2f}" if s.get("solve_rate") is not None else ""
            body = _task_text(s["task"]) if s.get("task") else s["response"]
            parts.append(f"<p>step {s['step']}: {html.escape(verdict + rate)}</p><pre>{html.escape(body)}</pre>")
    return "\n".join(parts)


def _task_text(task: dict) -> str:
    pairs = "\n".join(f"f({i}) == {o}" for i, o in zip(task["inputs"], task["outputs"]))
    message = f"\n# message: {task['message']}" if task.get("message") else ""
    return f"{task['program']}\n\n{pairs}{message}"


def _flagged_html(rows: list[dict], flagged: list[dict], shown: int = 20) -> str:
    """Concerning-phrase counts (whole run, per role and type) and the latest flagged responses."""
    totals: dict[str, float] = {}
    for row in rows:
        for key, value in row.items():
            if key.startswith("safety/") and isinstance(value, int | float):
                totals[key] = totals.get(key, 0) + value
    if not totals and not flagged:
        return ""
    table = "".join(f"<tr><td>{html.escape(k)}</td><td>{v:g}</td></tr>" for k, v in sorted(totals.items()))
    parts = ["<h2>Concerning phrases</h2>", f"<p>Responses flagged over the run (flagged.jsonl: {len(flagged)}).</p>",
             f"<table>{table}</table>"]  # fmt: skip
    for row in flagged[-shown:]:
        head = f"step {row.get('step')}, {row.get('role')} {row.get('task_type')}: {', '.join(row.get('phrases', []))}"
        parts.append(f"<p>{html.escape(head)}</p><pre>{html.escape(str(row.get('response', '')))}</pre>")
    return "\n" + "\n".join(parts)
