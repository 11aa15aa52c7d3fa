"""A toy task type in one module, for tests/agents/test_task_types.py: predict `f(x) = 3 * x + 1`.

The proposer proposes an integer input; the solver predicts the output. It satisfies
`azr_env.tasks.base.TaskType` on its own (no azr-env base class), so registering it is all it takes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from azr_env.tasks.base import Job, ParsedAnswer, Pending, Rejection, Task, TaskConfig, Verdict, fence

PROGRAM = "def f(x):\n    return 3 * x + 1"
ANSWER = re.compile(r"</think>\s*<answer>(.*?)</answer>", re.DOTALL)


def _block(response: str, kind: str) -> str | None:
    answer = ANSWER.search(response[-20000:])
    found = re.search(rf"```{kind}\n(.*?)\n```", answer.group(1), re.DOTALL) if answer else None
    return found.group(1).strip() if found else None


class ToyTask:
    name = "toy"
    reference_types = ("toy",)

    def num_references(self, config: TaskConfig) -> int:
        return min(2, config.num_references)

    def proposer_prompt(self, references: Sequence[Task], config: TaskConfig) -> str:
        shown = ", ".join(t.input for t in references)
        return f"Toy proposer: give a new integer input for f(x) = 3 * x + 1 (seen: {shown}) in ```input."

    def propose(self, response: str, references: Sequence[Task], config: TaskConfig) -> Task | Rejection | Pending:
        value = _block(response, "input")
        if value is None:
            return Rejection("bad_format", "no ```input block inside <answer>")
        if not re.fullmatch(r"-?\d{1,6}", value):
            return Rejection("bad_input", f"{value[:40]!r} is not a small integer")

        def finish(results: list) -> Task | Rejection:
            if not results[0].ok:
                return Rejection("execution_error", str(results[0].error))
            return Task(self.name, PROGRAM, (value,), (results[0].value_repr,))

        return Pending([Job(PROGRAM, f"f({value})")], finish)

    def recheck_jobs(self, task: Task, config: TaskConfig) -> list[Job]:
        return [Job(PROGRAM, f"f({task.input})")]

    def recheck_matches(self, task: Task, results: list, config: TaskConfig) -> bool:
        return results[0].ok and results[0].value_repr == task.output

    def solver_prompt(self, task: Task, config: TaskConfig) -> str:
        return f"Toy solver: f(x) = 3 * x + 1. Input: {task.input}. Give f(input) in ```output."

    def parse_answer(self, response: str, config: TaskConfig) -> ParsedAnswer:
        value = _block(response, "output")
        return ParsedAnswer(value is not None, value, "" if value is not None else "bad_format")

    def check(self, task: Task, answer: str, config: TaskConfig) -> Verdict:
        return Verdict(answer == task.output, "correct" if answer == task.output else "wrong")

    def zero_task(self) -> Task:
        return Task(self.name, PROGRAM, ("1",), ("4",), source="zero")

    def gold_answer(self, task: Task) -> str:
        return fence("output", task.output)

    def proposal_answer(self, task: Task) -> str:
        return fence("input", task.input)
