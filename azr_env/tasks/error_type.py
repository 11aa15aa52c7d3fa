"""Error-type prediction (`code_e`, unused by the reference): which exception does `f(input)` raise?

A plug-in task type: this module and one registry line are all it takes (SPEC §2). The gold output is the
exception's type name, or `NoError` when the call returns. Answers compare in this process, by name.
"""

from __future__ import annotations

from azr_env.tasks.answer_checks import answer_precheck
from azr_env.tasks.base import Rejection, Task, TaskConfig, Verdict, run_status_rejection
from azr_env.tasks.program_task import ProgramTaskType
from azr_env.tasks.values import parse_literal

NO_ERROR = "NoError"


def error_name(result) -> str:
    """`NoError` for a normal return, else the exception type from "ExcType: message"."""
    if result.ok:
        return NO_ERROR
    return (result.error or "Exception").split(":", 1)[0].strip().rsplit(".", 1)[-1] or "Exception"


def answered_error_name(answer: str) -> str:
    """The exception name an answer states: a quoted name unquoted, then the text before the first space
    or colon, without a trailing `()` or a module prefix (`builtins.ValueError`)."""
    ok, value = parse_literal(answer)
    text = value if ok and isinstance(value, str) else answer
    words = text.strip().split(maxsplit=1)
    head = words[0].split(":", 1)[0] if words else ""
    return head.removesuffix("()").rsplit(".", 1)[-1]


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
        """Compare exception names case-insensitively, reading only the name: `zerodivisionerror`,
        `ZeroDivisionError: division by zero` and `'ZeroDivisionError'` are all correct (as in the
        reference, which keeps the text before the first space and colon and compares it lower-cased)."""
        early = answer_precheck(answer, config)
        if early:
            return early
        name = answered_error_name(answer)
        if name.casefold() == task.output.casefold():
            return Verdict(True, "correct")
        return Verdict(False, "wrong", f"{name[:80]!r} is not the exception type")

    def zero_task(self) -> Task:
        return Task(self.name, "def f(a):\n    return a", ("'Hello world'",), (NO_ERROR,), source="zero")
