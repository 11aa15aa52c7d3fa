"""Deduction (`code_o`): given a program and an input, predict the output (SPEC §2).

Correct iff the answer states the gold value: literals compare in this process with `==` (no executor call);
other data expressions (`deque([1])`, `float('inf')`) are evaluated in the sandbox with only the program's
imports in scope (never `f`, so the answer cannot just call it) and their repr is compared here.
"""

from __future__ import annotations

from azr_env.tasks.base import Job, Pending, Task, TaskConfig, Verdict
from azr_env.tasks.program_task import ProgramTaskType, import_lines
from azr_env.tasks.values import DATA_PRELUDE, parse_literal, same_value, value_problem


class DeductionTask(ProgramTaskType):
    name = "deduction"
    reference_types = ("deduction",)
    propose_template = "propose_deduction"
    solve_template = "solve_deduction"
    answer_block = "output"

    def check(self, task: Task, answer: str, config: TaskConfig) -> Verdict | Pending:
        if same_value(task.output, answer):
            return Verdict(True, "correct")
        if parse_literal(answer)[0]:
            return Verdict(False, "wrong", "the stated value differs from the output")
        problem = value_problem(answer)
        if problem:
            return Verdict(False, "not_a_value", problem)
        job = Job(DATA_PRELUDE + import_lines(task.program), answer)
        return Pending([job], lambda results: _finish(task, results[0]))


def _finish(task: Task, result) -> Verdict:
    if not result.ok:
        return Verdict(False, "answer_error", f"evaluating the answer failed: {result.error or result.status}")
    if same_value(task.output, result.value_repr or ""):
        return Verdict(True, "correct")
    return Verdict(False, "wrong", "the stated value differs from the output")
