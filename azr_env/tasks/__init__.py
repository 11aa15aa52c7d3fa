"""AZR task types (deduction, abduction, induction, error_type): prompts, parsing, validation, checking.

See `registry` for the plug-in interface and `base` for the shared records.
"""

from azr_env.tasks.base import Job, ParsedAnswer, Pending, Rejection, Task, TaskConfig, Verdict
from azr_env.tasks.registry import AZR_TASK_TYPES, get_task_type, register_task_type, task_type_names
from azr_env.tasks.templates import format_prompt, load_template, render

__all__ = [
    "AZR_TASK_TYPES", "Job", "ParsedAnswer", "Pending", "Rejection", "Task", "TaskConfig", "Verdict",
    "format_prompt", "get_task_type", "load_template", "register_task_type", "render", "task_type_names",
]  # fmt: skip
