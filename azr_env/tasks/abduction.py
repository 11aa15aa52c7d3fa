"""Abduction (`code_i`): given a program and an output, find an input that produces it (SPEC §2).

The answer must be an argument list of data values and nothing else (`'abc') or (1` is rejected). Answers
equal to the gold input as literals are correct without running anything (f is deterministic); others run
`f(answer)` in the sandbox and the repr comes back here: equal values for literal outputs, identical repr for
outputs whose repr does not round-trip (`deque(...)`, `inf`).
"""

from __future__ import annotations

from azr_env.tasks.base import Job, Pending, Task, TaskConfig, Verdict
from azr_env.tasks.program_task import ProgramTaskType, call_expression
from azr_env.tasks.values import (
    DATA_PRELUDE,
    argument_list_problem,
    literal_arguments,
    same_value,
    truncate_repr,
)


class AbductionTask(ProgramTaskType):
    name = "abduction"
    reference_types = ("abduction",)
    propose_template = "propose_abduction"
    solve_template = "solve_abduction"
    answer_block = "input"

    def check(self, task: Task, answer: str, config: TaskConfig) -> Verdict | Pending:
        problem = argument_list_problem(answer)
        if problem:
            return Verdict(False, "not_an_argument_list", problem)
        ok_answer, given = literal_arguments(answer)
        ok_gold, gold = literal_arguments(task.input)
        if ok_answer and ok_gold and repr(given) == repr(gold):
            return Verdict(True, "correct", "same input as the task's own")
        job = Job(DATA_PRELUDE + task.program, call_expression(answer))
        return Pending([job], lambda results: _finish(task, results[0], config))


def _finish(task: Task, result, config: TaskConfig) -> Verdict:
    if not result.ok:
        return Verdict(False, "answer_error", f"f(answer) failed: {result.error or result.status}")
    produced = result.value_repr or ""
    if config.long_output == "truncate" and len(produced) > config.max_output_chars:
        produced = truncate_repr(produced, config.max_output_chars)
        correct = produced == task.output
    else:
        correct = not result.truncated and same_value(task.output, produced)
    return Verdict(True, "correct") if correct else Verdict(False, "wrong", "f(answer) differs from the output")
