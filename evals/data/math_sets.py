"""Loaders for the math sets (AIME24/25, AMC23, MATH500, Minerva OCW, OlympiadBench, GSM8K).

All are one-object-per-line `test.jsonl` files (see `../shared/data/<name>/SOURCE.md`); the upstream files are the
ones the AZR reference evaluation reads (Qwen2.5-Math's `evaluation/data`, AZR's `math_eval` for AIME25/MATH500),
pinned to a commit and a sha256. Field differences are absorbed here so scoring sees one shape:
`Problem.question` is the statement, `Problem.answer` the gold answer as a string.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from azr_evals.data.fetch import download, read_jsonl, resolve
from azr_evals.registry import BenchmarkSpec
from azr_evals.score.math_answer import last_boxed
from azr_evals.types import Problem

from azr_env.errors import DataError

# sha256 of the upstream file at the pinned commit (also recorded in ../shared/data/<name>/SOURCE.md).
SHA256 = {
    "aime24": "af2b8bd2aa911b6333ad0df32f3ca05c7ae8ed10f1731f4372c8ae26990bf7ac",
    "aime25": "20c1ca392758d96bd1e28af15d9f30df5660257927cacc9eac7301c29f677d1a",
    "amc23": "43707e1ca784602d8479de24ee8ce36609dbebc46dd152b0b12a46611aa898a4",
    "math500": "35dc41080a3680858b27fa7e0533d2d547825316fc5dafe5d316f4ccc5a06132",
    "minerva": "0e656b430d3a0a1dab6aa853f453ba3805e28e2cabe4fc72486a897cc09d8ba2",
    "olympiadbench": "bb8c1e38a16ea9eacb77530315a674d883f267fbff79183effc53681b4fcc416",
    "gsm8k": "9f098df7ff4522078d6ccec27a5c38a454790fdb51131bedfaa0e490070d5394",
}


def _gold(name: str, row: dict[str, Any]) -> str | None:
    """The gold answer of one record as a string (per-set field conventions, see the SOURCE.md files)."""
    if name == "minerva":
        return last_boxed(row.get("solution", ""))
    if name == "olympiadbench":
        answers = [a.strip().strip("$").strip() for a in row.get("final_answer") or []]
        return ", ".join(answers) if answers else None
    if name == "gsm8k":
        text = str(row.get("answer", ""))
        return text.rsplit("####", 1)[-1].strip().replace(",", "") if "####" in text else None
    answer = row.get("answer")
    if isinstance(answer, float) and answer.is_integer():
        return str(int(answer))  # AMC23 stores 27.0 for 27
    return None if answer is None else str(answer)


def _problem_id(name: str, row: dict[str, Any], index: int) -> str:
    for key in ("id", "idx", "unique_id"):
        if row.get(key) is not None:
            return f"{name}/{row[key]}"
    return f"{name}/{index}"


def load(spec: BenchmarkSpec, *, path: str | Path | None = None, data_dir: str | Path | None = None,
         **_: Any) -> list[Problem]:
    """Load a math set; every record must have a statement and a gold answer."""
    file = resolve(path, data_dir, f"{spec.local_dir}/test.jsonl")
    if file is None:
        file = download(spec.source, f"{spec.name}/test.jsonl", SHA256.get(spec.name))
    problems = []
    for index, row in enumerate(read_jsonl(file)):
        question = row.get("problem") or row.get("question")
        gold = _gold(spec.name, row)
        if not question or gold is None:
            raise DataError(f"{file}: record {index} has no statement ('problem'/'question') or no gold answer")
        meta = {k: row[k] for k in ("unit", "answer_type", "is_multiple_answer", "level", "subject", "type")
                if k in row}
        problems.append(Problem(spec.name, _problem_id(spec.name, row, index), question, gold, meta))
    return problems
