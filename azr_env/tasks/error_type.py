"""Error-type prediction (`code_e`, unused by the reference): which exception does `f(input)` raise?

A plug-in task type: this module and one registry line are all it takes (SPEC §2). The gold output is the
exception's type name, or `NoError` when the call returns. Answers compare in this process, by name.
"""

from __future__ import annotations

from azr_env.tasks.base import Rejection, Task, TaskConfig, Verdict, run_status_rejection
from azr_env.tasks.program_task import ProgramTaskType
from azr_env.tasks.values import parse_literal

NO_ERROR = "NoError"


def error_name(result) -> str:
    """`NoError` for a normal return, else the exception type from "ExcType: message"."""
    if result.ok:
        return NO_ERROR
    return (result.error or "Exception").split(":", 1)[0].strip().rsplit(".", 1)[-1] or "Exception"


class ErrorTypeTask(ProgramTaskType):
    name = "error_type"
    reference_types = ("error_type",)
    propose_template = "propose_error_type"
    solve_template = "solve_error_type"
    output_block = "error"
    answer_block = "output"

    def finish_proposal(self, program: str, arguments: str, result, config: TaskConfig) -> Task | Rejection:
        if result.status != "error":
            failed = run_status_rejection(result)
            if failed:
                return failed
            if result.deterministic is False:
                return Rejection("nondeterministic", "two calls of f on the input returned different values")
        return Task(self.name, program, (arguments,), (error_name(result),), source="proposal")

    def recheck_matches(self, task: Task, results: list, config: TaskConfig) -> bool:
        return all(r.status in ("ok", "error") and error_name(r) == gold for r, gold in zip(results, task.outputs))

    def check(self, task: Task, answer: str, config: TaskConfig) -> Verdict:
        ok, value = parse_literal(answer)
        name = value if ok and isinstance(value, str) else answer
        name = name.strip().rstrip("()").rsplit(".", 1)[-1]
        if name == task.output:
            return Verdict(True, "correct")
        return Verdict(False, "wrong", f"{name[:80]!r} is not the exception type")

    def zero_task(self) -> Task:
        return Task(self.name, "def f(a):\n    return a", ("'Hello world'",), (NO_ERROR,), source="zero")
