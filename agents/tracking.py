"""Metrics and samples: JSON lines always, TensorBoard and W&B optionally (lazy imports).

Every metric name has a fixed prefix (listed in docs/trainer.md): `propose/`, `solve/`, `reward/`,
`buffer/`, `losses/`, `time/`, `perf/`, `eval/`. One JSONL row per step: `{"step": s, "time": t, ...}`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from azr_env.errors import require


class Tracker:
    """Appends metric rows to `run_dir/metrics.jsonl` and samples to `run_dir/samples.jsonl`."""

    def __init__(self, run_dir: Path, *, tensorboard: bool = False, wandb_project: str | None = None,
                 config: dict[str, Any] | None = None, resume_step: int | None = None):
        self.run_dir = run_dir
        self.metrics_path = run_dir / "metrics.jsonl"
        self.samples_path = run_dir / "samples.jsonl"
        self._tb = None
        self._wandb = None
        if tensorboard:
            tb = require("torch.utils.tensorboard", "train", "TensorBoard logging")
            self._tb = tb.SummaryWriter(str(run_dir / "tb"))
        if wandb_project:
            wandb = require("wandb", "train", "W&B logging")
            self._wandb = wandb
            wandb.init(project=wandb_project, config=config, dir=str(run_dir), resume="allow",
                       name=run_dir.name)

    def log(self, step: int, metrics: dict[str, float]) -> None:
        row = {"step": step, "time": round(time.time(), 3)} | {k: _num(v) for k, v in metrics.items()}
        with open(self.metrics_path, "a") as fh:
            fh.write(json.dumps(row) + "\n")
        if self._tb is not None:
            for key, value in metrics.items():
                if isinstance(value, (int, float)):
                    self._tb.add_scalar(key, value, step)
            self._tb.flush()
        if self._wandb is not None:
            self._wandb.log(dict(metrics), step=step)

    def log_samples(self, step: int, rows: list[dict[str, Any]]) -> None:
        with open(self.samples_path, "a") as fh:
            for row in rows:
                fh.write(json.dumps({"step": step} | row) + "\n")

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
        if self._wandb is not None:
            self._wandb.finish()


def _num(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 6)
    return value


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSONL file, skipping a torn last line."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows
