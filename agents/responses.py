"""Well-formed R1 responses written from a task's gold data (SPEC §1–2).

Shared by the oracle agent and by the micro model's pretraining transcripts, so both write exactly what the
envs parse. The R1 prompt ends with `Assistant: <think>`, hence responses start inside the think block; pass
`open_think=True` for raw / chat-template prompts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azr_env.errors import ConfigError

# Reference names (code_o/code_i/code_f/code_e) and azr-env names map to one canonical name.
TASK_TYPE_ALIASES = {
    "code_o": "deduction", "deduction": "deduction",
    "code_i": "abduction", "abduction": "abduction",
    "code_f": "induction", "induction": "induction",
    "code_e": "error_type", "error_type": "error_type",
}


def task_field(task: Any, name: str, default: Any = None) -> Any:
    """Read `name` from a task dict or a task object (azr_env.tasks.base.Task)."""
    if isinstance(task, Mapping):
        if name == "inputs" and "inputs" not in task and "input" in task:
            return [task["input"]]
        if name == "outputs" and "outputs" not in task and "output" in task:
            return [task["output"]]
        if name in ("input", "output") and name not in task and f"{name}s" in task:
            return task[f"{name}s"][0]
        return task.get(name, default)
    return getattr(task, name, default)


def canonical_task_type(task_type: str) -> str:
    try:
        return TASK_TYPE_ALIASES[task_type]
    except KeyError:
        raise ConfigError(
            f"unknown task_type {task_type!r}; known: {', '.join(sorted(TASK_TYPE_ALIASES))}"
        ) from None


def block(kind: str, body: str) -> str:
    return f"```{kind}\n{body}\n```"


def wrap(thought: str, answer: str, *, open_think: bool = False) -> str:
    """`[<think>]thought</think>\\n<answer>\\nanswer\\n</answer>`."""
    return f"{'<think>' if open_think else ''}{thought}</think>\n<answer>\n{answer}\n</answer>"


def solve_response(task: Any, *, thought: str = "", open_think: bool = False) -> str:
    """The gold solver answer: the output (deduction), the input (abduction) or the program (induction)."""
    kind = canonical_task_type(task_field(task, "task_type"))
    if kind in ("deduction", "error_type"):
        answer = block("output", task_field(task, "output"))
    elif kind == "abduction":
        answer = block("input", task_field(task, "input"))
    else:
        answer = block("python", task_field(task, "program"))
    return wrap(thought, answer, open_think=open_think)


def propose_response(task: Any, *, thought: str = "", open_think: bool = False) -> str:
    """A proposal that reproduces `task`: program + input, or (induction) its inputs + message."""
    kind = canonical_task_type(task_field(task, "task_type"))
    if kind == "induction":
        inputs = task_field(task, "inputs")
        answer = "\n".join(block("input", x) for x in inputs) + "\n" + block("message", task_field(task, "message"))
    else:
        answer = block("python", task_field(task, "program")) + "\n" + block("input", task_field(task, "input"))
    return wrap(thought, answer, open_think=open_think)
