"""Live progress: a rich table refreshed every step, or one plain line per step (logs, CI)."""

from __future__ import annotations

import sys
from typing import Any


class Progress:
    """`update(step, metrics)` after every step; `close()` at the end. mode: rich, plain, none or auto."""

    def __init__(self, total_steps: int, task_types: tuple[str, ...], mode: str = "auto"):
        if mode == "auto":
            mode = "rich" if sys.stdout.isatty() else "plain"
        self.mode, self.total, self.types = mode, total_steps, task_types
        self._live = None
        if mode == "rich":
            from rich.live import Live

            self._live = Live(self._table(0, {}), refresh_per_second=2, transient=False)
            self._live.start()

    def message(self, text: str) -> None:
        if self.mode == "rich" and self._live is not None:
            self._live.console.print(text)
        elif self.mode != "none":
            print(text, flush=True)

    def update(self, step: int, m: dict[str, Any]) -> None:
        if self.mode == "rich" and self._live is not None:
            self._live.update(self._table(step, m))
        elif self.mode == "plain":
            parts = [f"step {step}/{self.total}"]
            for t in self.types:
                parts.append(
                    f"{t[:3]} valid {_f(m.get(f'propose/{t}/valid_rate'))} acc {_f(m.get(f'solve/{t}/accuracy'))}"
                )
            parts.append(f"tok/s {_f(m.get('perf/gen_tokens_per_s'), 0)}")
            parts.append(
                f"gen/exec/upd {_f(m.get('time/generate_s'), 1)}/{_f(m.get('time/execute_s'), 1)}/"
                f"{_f(m.get('time/update_s'), 1)}s"
            )
            if "eval/deduction/accuracy" in m:
                parts.append(f"heldout greedy {_f(m['eval/deduction/accuracy'])} "
                             f"sampled {_f(m.get('eval/deduction/accuracy_sampled'))}")
            print(" | ".join(parts), flush=True)

    def _table(self, step: int, m: dict[str, Any]):
        from rich.table import Table

        table = Table(title=f"azr selfplay  step {step}/{self.total}", title_justify="left")
        for col in ("type", "valid", "propose r", "solve acc", "solve r", "buffer"):
            table.add_column(col, justify="right" if col != "type" else "left")
        for t in self.types:
            table.add_row(t, _f(m.get(f"propose/{t}/valid_rate")), _f(m.get(f"reward/propose/{t}")),
                          _f(m.get(f"solve/{t}/accuracy")), _f(m.get(f"reward/solve/{t}")),
                          _f(m.get(f"buffer/{t}/size"), 0))
        table.caption = (
            f"gen {_f(m.get('time/generate_s'), 1)}s  exec {_f(m.get('time/execute_s'), 1)}s  "
            f"update {_f(m.get('time/update_s'), 1)}s  |  {_f(m.get('perf/gen_tokens_per_s'), 0)} gen tok/s  |  "
            f"held-out deduction acc greedy {_f(m.get('eval/deduction/accuracy'))} "
            f"sampled {_f(m.get('eval/deduction/accuracy_sampled'))}"
        )
        return table

    def close(self) -> None:
        if self._live is not None:
            self._live.stop()


def _f(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    return f"{value:.{digits}f}"
