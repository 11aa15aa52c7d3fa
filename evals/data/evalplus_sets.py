"""HumanEval+ and MBPP+ through the `evalplus` package's own loaders (same files, same input decoding).

evalplus downloads its release files itself (`get_human_eval_plus` / `get_mbpp_plus`) and honours
`HUMANEVAL_OVERRIDE_PATH` / `MBPP_OVERRIDE_PATH`; it reads those variables at import time, so for a local file we
set the module attribute it consults instead. Going through evalplus matters for MBPP+: its loader turns JSON
lists back into the tuples, sets and complex numbers that 60-odd tasks take (`mbpp_deserialize_inputs`).

Each `Problem.meta` is the evalplus record: `prompt`, `entry_point`, `canonical_solution`, `base_input`,
`plus_input`, `atol`, plus `dataset` ("humaneval" | "mbpp", which selects evalplus's special oracles).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azr_evals.benchmarks import BenchmarkSpec
from azr_evals.data.fetch import resolve
from azr_evals.types import Problem

from azr_env.errors import require

_FILES = {"humanevalplus": "HumanEvalPlus.jsonl.gz", "mbppplus": "MbppPlus.jsonl.gz"}


def _load(spec: BenchmarkSpec, dataset: str, module: str, attr: str, getter: str,
          path: str | Path | None, data_dir: str | Path | None) -> list[Problem]:
    require("evalplus", "eval", f"{spec.name} data")
    mod = require(module, "eval", f"{spec.name} data")
    local = resolve(path, data_dir, f"{spec.local_dir}/{_FILES[spec.name]}")
    saved = getattr(mod, attr)
    try:
        if local is not None:
            setattr(mod, attr, str(local))
        records = getattr(mod, getter)()
    finally:
        setattr(mod, attr, saved)
    problems = []
    for task_id, record in records.items():
        meta = dict(record, dataset=dataset)
        problems.append(Problem(spec.name, task_id, record["prompt"], None, meta))
    return problems


def load_humanevalplus(spec: BenchmarkSpec, *, path: str | Path | None = None,
                       data_dir: str | Path | None = None, **_: Any) -> list[Problem]:
    """HumanEval+ v0.1.10 (164 problems)."""
    return _load(spec, "humaneval", "evalplus.data.humaneval", "HUMANEVAL_OVERRIDE_PATH", "get_human_eval_plus",
                 path, data_dir)


def load_mbppplus(spec: BenchmarkSpec, *, path: str | Path | None = None,
                  data_dir: str | Path | None = None, **_: Any) -> list[Problem]:
    """MBPP+ v0.2.0 (378 problems)."""
    return _load(spec, "mbpp", "evalplus.data.mbpp", "MBPP_OVERRIDE_PATH", "get_mbpp_plus", path, data_dir)
