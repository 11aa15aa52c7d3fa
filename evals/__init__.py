"""azr_evals: the evaluation harness (docs/evals.md). Public surface:

    from azr_evals import evaluate
    results = evaluate(my_fn, ["aime24", "humanevalplus"], data_dir="../shared/data", limit=5)
    print(results.table); results.scores["aime24"]

`evaluate` / `EvalResults` (azr_evals.api), `reproduce` / `Reproduction` (azr_evals.reproduction) and the registry
(`BENCHMARKS`, `PAPER_BENCHMARKS`). Names are imported on first use, so `import azr_evals` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {"evaluate": "azr_evals.api", "EvalResults": "azr_evals.api", "reproduce": "azr_evals.reproduction",
            "Reproduction": "azr_evals.reproduction", "BENCHMARKS": "azr_evals.registry",
            "PAPER_BENCHMARKS": "azr_evals.registry"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'azr_evals' has no attribute {name!r}")
