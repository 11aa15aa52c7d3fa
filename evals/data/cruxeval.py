"""CRUXEval (Gu et al. 2024): 800 short Python functions `f` with one input and its output.

Upstream: `data/cruxeval.jsonl` of facebookresearch/cruxeval, one object per line: `code` (defines `f`), `input`
(the argument list as it appears between the parentheses of `f(...)`), `output` (repr of the result), `id`
("sample_0" ...). CRUXEval-O asks for the output (AZR's deduction), CRUXEval-I for an input (abduction); both
are scored by the env's own task checkers, the same code that rewards training (SPEC §7).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azr_evals.data.fetch import download, read_jsonl, resolve
from azr_evals.registry import BenchmarkSpec
from azr_evals.types import Problem

from azr_env.errors import DataError

TASK_TYPES = {"cruxeval_o": "deduction", "cruxeval_i": "abduction"}
# sha256 of data/cruxeval.jsonl at the pinned commit (186,873 bytes, 800 records).
SHA256 = "8368b81047dc5014e4caf5a2f97604eff7644e0ecd7415e3ceeb184bbc2e0c96"


def _load(spec: BenchmarkSpec, path: str | Path | None, data_dir: str | Path | None) -> list[Problem]:
    file = resolve(path, data_dir, f"{spec.local_dir}/cruxeval.jsonl")
    if file is None:
        file = download(spec.source, "cruxeval/190faf16/cruxeval.jsonl", SHA256)
    problems = []
    for index, row in enumerate(read_jsonl(file)):
        if not all(isinstance(row.get(k), str) for k in ("code", "input", "output")):
            raise DataError(f"{file}: record {index} needs string fields code, input and output")
        meta = {"program": row["code"], "input": row["input"], "output": row["output"],
                "task_type": TASK_TYPES[spec.name]}
        answer = row["output"] if spec.name == "cruxeval_o" else row["input"]
        problems.append(Problem(spec.name, str(row.get("id", f"sample_{index}")), row["code"], answer, meta))
    return problems


def load_output(spec: BenchmarkSpec, *, path: str | Path | None = None, data_dir: str | Path | None = None,
                **_: Any) -> list[Problem]:
    """CRUXEval-O: predict `f(input)` (deduction)."""
    return _load(spec, path, data_dir)


def load_input(spec: BenchmarkSpec, *, path: str | Path | None = None, data_dir: str | Path | None = None,
               **_: Any) -> list[Problem]:
    """CRUXEval-I: find an input with `f(input) == output` (abduction)."""
    return _load(spec, path, data_dir)
