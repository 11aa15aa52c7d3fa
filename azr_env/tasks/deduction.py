"""Deduction (`code_o`): given a program and an input, predict the output (SPEC §2).

Correct iff the answer states the gold value. Small literals compare in this process with `==` (no executor
call); anything else (an expression such as `deque([1])` or `float('inf')`, a large or unusual literal, a
gold whose repr does not round-trip) is evaluated in the sandbox with only the program's imports in scope
(never `f`, so the answer cannot just call it) and compared there; only True/False comes back. An
expression-mode answer is evaluated without the gold value beside it (it is code: with the program's imports
it could read its own frame); its repr is compared here, as induction outputs are.
`answer_mode` decides which expressions are answers at all (`azr_env.tasks.values`).
"""

from __future__ import annotations

from azr_env.tasks.answer_checks import (
    answer_precheck,
    explain,
    program_prelude,
    sandbox_verdicts,
    states_gold,
    value_comparison,
    with_comparer,
)
from azr_env.tasks.base import Job, Pending, Task, TaskConfig, Verdict
from azr_env.tasks.program_task import ProgramTaskType, import_lines
from azr_env.tasks.values import DATA_PRELUDE, compare_literals, sandbox_same, value_problem

WRONG = "the stated value differs from the output"


class DeductionTask(ProgramTaskType):
    name = "deduction"
    reference_types = ("deduction",)
    propose_template = "propose_deduction"
    solve_template = "solve_deduction"
    answer_block = "output"

    def check(self, task: Task, answer: str, config: TaskConfig) -> Verdict | Pending:
        early = answer_precheck(answer, config)
        if early:
            return early
        decided = compare_literals(task.output, answer)
        if decided is not None:
            return Verdict(True, "correct") if decided else Verdict(False, "wrong", WRONG)
        problem = value_problem(answer, config.answer_mode)
        if problem:
            return Verdict(False, "not_a_value", explain(answer, problem, self.answer_block))
        if config.answer_mode == "expression":
            # An expression runs code with the program's imports in scope (`sys._getframe` could read a gold
            # value beside it): it is evaluated alone, and its repr compared here (`states_gold`).
            job = Job(program_prelude(config) + import_lines(task.program), f"(\n{answer.strip()}\n)")
            return Pending([job], lambda results: _finish_value(task.output, results[0]))
        job = Job(with_comparer(DATA_PRELUDE + import_lines(task.program)), sandbox_same(task.output, answer.strip()))
        return Pending([job], lambda results: _finish(results[0]))


def _finish_value(gold: str, result) -> Verdict | Pending:
    if not result.ok:
        return Verdict(False, "answer_error", f"evaluating the answer failed: {result.error or result.status}"[:500])
    same = False if result.truncated else states_gold(gold, result.value_repr or "")
    if same is None:
        return Pending([value_comparison(gold, result.value_repr or "")], lambda results: _finish(results[0]))
    return Verdict(True, "correct") if same else Verdict(False, "wrong", WRONG)


def _finish(result) -> Verdict:
    flags = sandbox_verdicts(result, 1, "evaluating the answer")
    if isinstance(flags, Verdict):
        return flags
    return Verdict(True, "correct") if flags[0] else Verdict(False, "wrong", WRONG)
