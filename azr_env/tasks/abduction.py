"""Abduction (`code_i`): given a program and an output, find an input that produces it (SPEC §2).

The answer must be an argument list and nothing else (`'abc') or (1` is rejected): of data values in
`answer_mode="data"`, of any allowed expressions in `"expression"` (lambdas, names the program defines, and
the empty list of a function without required parameters). Answers equal to the gold input as literals are
correct without running anything (f is deterministic); others run `f(answer)` in the sandbox with the
program loaded, where the result is compared with the gold output: equal repr, or equal plain values.
"""

from __future__ import annotations

from azr_env.tasks.answer_checks import (
    answer_precheck,
    explain,
    program_prelude,
    sandbox_verdicts,
    with_comparer,
)
from azr_env.tasks.base import Job, Pending, Task, TaskConfig, Verdict
from azr_env.tasks.program_task import ProgramTaskType, call_expression
from azr_env.tasks.values import argument_list_problem, literal_arguments, sandbox_same


def output_cut(config: TaskConfig) -> int:
    """Length at which a produced repr is truncated before comparing (only under `long_output="truncate"`)."""
    return config.max_output_chars if config.long_output == "truncate" else 0


class AbductionTask(ProgramTaskType):
    name = "abduction"
    reference_types = ("abduction",)
    propose_template = "propose_abduction"
    solve_template = "solve_abduction"
    answer_block = "input"

    def check(self, task: Task, answer: str, config: TaskConfig) -> Verdict | Pending:
        early = answer_precheck(answer, config, empty_ok=config.answer_mode == "expression")
        if early:
            return early
        problem = argument_list_problem(answer, config.answer_mode)
        if problem:
            return Verdict(False, "not_an_argument_list", explain(answer, problem, self.answer_block))
        ok_answer, given = literal_arguments(answer)
        ok_gold, gold = literal_arguments(task.input)
        if ok_answer and ok_gold and _same_arguments(given, gold):
            return Verdict(True, "correct", "same input as the task's own")
        expression = sandbox_same(task.output, call_expression(answer), output_cut(config))
        job = Job(with_comparer(program_prelude(config) + task.program), expression)
        return Pending([job], lambda results: _finish(results[0]))


def _same_arguments(given: tuple, gold: tuple) -> bool:
    try:
        return repr(given) == repr(gold)
    except (ValueError, RecursionError, MemoryError):
        return False


def _finish(result) -> Verdict:
    flags = sandbox_verdicts(result, 1, "f(answer)")
    if isinstance(flags, Verdict):
        return flags
    return Verdict(True, "correct") if flags[0] else Verdict(False, "wrong", "f(answer) differs from the output")
