"""lm-eval bridge: our agent backends as an lm-eval model (`azr`), and task YAMLs for the math sets lm-eval lacks
(AMC23, OlympiadBench, the 272-problem OCW "Minerva" set), loaded with `--include_path`.

lm-eval has no plugin entry points for models, so the `azr` model is registered when this package is imported:
use `python -m azr_evals.lm_eval_bridge <lm_eval arguments>` (registers, then runs lm-eval's own CLI), or
`import azr_evals.lm_eval_bridge` before `lm_eval.simple_evaluate(model="azr", ...)`. See docs/evals.md.
"""

from __future__ import annotations

from pathlib import Path

TASKS_DIR = Path(__file__).with_name("tasks")


def register() -> type:
    """Register the `azr` model with lm-eval (idempotent) and return its class."""
    from azr_evals.lm_eval_bridge.model import AZRLM

    return AZRLM


LOCAL_FILES = {"amc23": "amc23/test.jsonl", "olympiadbench": "olympiadbench/test.jsonl",
               "minerva_ocw": "minerva_math/test.jsonl"}


def write_local_tasks(data_dir: str | Path, out_dir: str | Path) -> Path:
    """Write `<name>_local` task YAMLs reading `data_dir` (layout of ../shared/data) instead of the upstream URLs,
    with a `utils.py` re-exporting ours; pass the returned folder as lm-eval's `--include_path` (offline use)."""
    import re

    from azr_env.errors import DataError

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "utils.py").write_text("from azr_evals.lm_eval_bridge.tasks.utils import *  # noqa: F403\n")
    for name, relative in LOCAL_FILES.items():
        source = Path(data_dir) / relative
        if not source.exists():
            raise DataError(f"{source} does not exist: pass the folder holding {relative}")
        text = (TASKS_DIR / f"{name}.yaml").read_text()
        text = re.sub(r"(?m)^task: .*$", f"task: {name}_local", text)
        local = str(source.resolve())
        text = re.sub(r"(?m)^(    test: ).*$", lambda m, local=local: m.group(1) + local, text)
        (out / f"{name}_local.yaml").write_text(text)
    return out
