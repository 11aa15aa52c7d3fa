"""CRUXEval-I/O scoring through the env's task checkers (`azr_env.rounds.Referee`), so an evaluation answer is
judged by exactly the code that rewards a training answer (SPEC §2 checks, evaluation mode: 1/0)."""

from __future__ import annotations

from typing import Any

from azr_evals.types import Grade, Problem


def to_task(problem: Problem) -> Any:
    """The AZR task (deduction for -O, abduction for -I) of a CRUXEval problem."""
    from azr_env.tasks import Task

    meta = problem.meta
    return Task.from_dict({"program": meta["program"], "input": meta["input"], "output": meta["output"],
                           "source": f"cruxeval/{problem.problem_id}"}, meta["task_type"])


def referee(prompt_format: str = "r1", executor: Any = None, workers: int = 2) -> Any:
    """A Referee for CRUXEval prompts and checks ("raw" prompts when the backend applies a chat template).

    Answers are checked with `answer_mode="expression"` (SPEC §2): CRUXEval's gold inputs include lambdas,
    expressions, names the program defines and empty argument lists, which the training default rejects."""
    from azr_env.rounds import Referee, RoundConfig
    from azr_env.tasks import TaskConfig

    task = TaskConfig(prompt_format=prompt_format, answer_mode="expression")
    return Referee(RoundConfig(task=task, workers=workers), executor=executor)


def score(pairs: list[tuple[Problem, str]], ref: Any) -> list[Grade]:
    """(problem, response) pairs -> verdicts, via `Referee.score(mode="eval")`."""
    results = ref.score([to_task(p) for p, _ in pairs], [r for _, r in pairs], mode="eval")
    return [Grade(bool(r.correct), "pass" if r.correct else (r.reason or "wrong_answer"), r.parsed_answer,
                    {"format_ok": r.format_ok, "detail": getattr(r, "detail", "")}) for r in results]
