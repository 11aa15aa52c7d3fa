"""Well-formed R1 responses written from a task's gold data (SPEC §1–2); the answer inside is the task type's
own (`TaskType.gold_answer` / `proposal_answer`), so any registered type gets scripted responses.

Shared by the oracle agent and by the micro model's pretraining transcripts, so both write exactly what the
envs parse. The R1 prompt ends with `Assistant: <think>`, hence responses start inside the think block; pass
`open_think=True` for raw / chat-template prompts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from azr_env.tasks.base import Task, fence
from azr_env.tasks.registry import canonical_name, get_task_type


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
    """The registered name of `task_type` (reference names such as `code_o` accepted); ConfigError if unknown."""
    return canonical_name(str(task_type))


def as_task(task: Any) -> Task:
    """A `Task` from a Task or a dict with `task_type`, `program`, `input(s)`, `output(s)`, `message`."""
    kind = canonical_task_type(task_field(task, "task_type"))
    if isinstance(task, Task):
        return task if task.task_type == kind else replace(task, task_type=kind)
    inputs = task_field(task, "inputs") or ()
    outputs = task_field(task, "outputs") or [""] * len(inputs)
    return Task(kind, str(task_field(task, "program", "")), tuple(map(str, inputs)), tuple(map(str, outputs)),
                message=str(task_field(task, "message", "")))


def block(kind: str, body: str) -> str:
    return fence(kind, body)


def wrap(thought: str, answer: str, *, open_think: bool = False) -> str:
    """`[<think>]thought</think>\\n<answer>\\nanswer\\n</answer>`."""
    return f"{'<think>' if open_think else ''}{thought}</think>\n<answer>\n{answer}\n</answer>"


def solve_response(task: Any, *, thought: str = "", open_think: bool = False) -> str:
    """The gold solver answer, as the task's type writes it (`TaskType.gold_answer`)."""
    task = as_task(task)
    return wrap(thought, get_task_type(task.task_type).gold_answer(task), open_think=open_think)


def propose_response(task: Any, *, thought: str = "", open_think: bool = False) -> str:
    """A proposal that reproduces `task`, as the task's type writes it (`TaskType.proposal_answer`)."""
    task = as_task(task)
    return wrap(thought, get_task_type(task.task_type).proposal_answer(task), open_think=open_think)
