"""Prompt and scoring functions of the azr lm-eval tasks: the same prompt text and the same answer checker as
`azr eval` (last `\\boxed{}` with fallbacks, numbers as numbers, math-verify under our own timeout)."""

from __future__ import annotations

import atexit
from typing import Any

_GRADER: Any = None


def doc_to_text(doc: dict[str, Any]) -> str:
    from azr_evals.prompts import MATH_INSTRUCTION

    return f"{(doc.get('problem') or doc.get('question') or '').strip()}\n{MATH_INSTRUCTION}"


def gold_answer(doc: dict[str, Any]) -> str:
    """AMC23 `answer` (a float), OlympiadBench `final_answer` (a list), Minerva: the last \\boxed{} of `solution`."""
    from azr_evals.score.math_answer import last_boxed

    if doc.get("final_answer"):
        return ", ".join(a.strip().strip("$").strip() for a in doc["final_answer"])
    if doc.get("answer") is not None:
        answer = doc["answer"]
        return str(int(answer)) if isinstance(answer, float) and answer.is_integer() else str(answer)
    return last_boxed(doc.get("solution") or "") or ""


def _grader() -> Any:
    global _GRADER
    if _GRADER is None:
        from azr_evals.score.math_grader import MathGrader

        _GRADER = MathGrader(workers=1)
        atexit.register(_GRADER.close)
    return _GRADER


def process_results(doc: dict[str, Any], results: list[str]) -> dict[str, int]:
    (verdict,) = _grader().grade_many([(gold_answer(doc), results[0])])
    return {"exact_match": int(verdict.correct)}
