"""Records passed between the stages (data -> generate -> score -> report), each one JSON line on disk.

A `Problem` is built by a loader from benchmark data and never written by us (the data files are the source of
truth; scoring reloads them by id). A `Completion` is one model completion, written by the generate stage. A
`Grade` is the score stage's judgement of one sample. Keeping them as plain dataclasses lets every stage run
alone on the previous stage's JSONL.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Problem:
    """One benchmark item.

    Attributes:
        benchmark: registry name, e.g. "humanevalplus".
        problem_id: stable id from the data ("HumanEval/0", "aime24/60", "sample_12", ...).
        question: the task text shown to the model, before any prompt template.
        answer: the gold answer where the benchmark has one (math, CRUXEval), else None.
        meta: benchmark-specific fields the scorer needs (tests, entry point, starter code, ...).
    """

    benchmark: str
    problem_id: str
    question: str
    answer: Any = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Completion:
    """One completion of one problem (sample_idx counts 0..n-1), as written by the generate stage."""

    benchmark: str
    problem_id: str
    sample_idx: int
    prompt: str
    response: str

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Completion:
        return cls(**{f.name: row[f.name] for f in dataclasses.fields(cls)})


@dataclass
class Grade:
    """The score stage's judgement of one sample.

    Attributes:
        correct: the sample counts as solved (pass@1 numerator).
        reason: short machine-readable reason: "pass", "wrong_answer", "error", "timeout", "syntax_error",
            "no_answer", "grader_timeout", ... (per benchmark family, documented in docs/evals.md).
        extracted: what was graded (extracted code or answer), for the per-sample JSONL.
        details: family-specific extras (base/plus status, failing input index, per-test codes).
    """

    correct: bool
    reason: str
    extracted: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
