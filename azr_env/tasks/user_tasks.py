"""Tasks a user supplies (`tasks=`, `options={"task": ...}`, JSONL files, the reference's seed files) are
executed once before use (issue 10 E): a missing output is computed; a row whose program does not parse,
uses a banned module (a clock, randomness), fails, times out, is nondeterministic, or does not return the
given output is reported by task and rule.

Policies (`validate=`): "warn" (default) drops invalid rows of a collection with one summary warning (counts
by reason, first ids); "strict" makes any invalid row an error; "off" skips execution (a missing output is
then an error). A single pinned task that is invalid is always an error. Results are cached per process,
keyed by the task and the options that decide them.
"""

from __future__ import annotations

import ast
import threading
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from azr_env.errors import ConfigError, DataError
from azr_env.seeds import is_seed_row, task_from_seed_row
from azr_env.tasks.answer_checks import program_prelude
from azr_env.tasks.base import Task, TaskConfig
from azr_env.tasks.program_checks import banned_use
from azr_env.tasks.program_task import call_expression
from azr_env.tasks.values import argument_list_problem, compare_literals

VALIDATE_POLICIES = ("warn", "strict", "off")
MISSING = ""  # a repr is never empty, so an empty output means "compute it"
MAX_SHOWN_IDS = 5


@dataclass(frozen=True)
class TaskProblem:
    """Why a user-supplied task cannot be used: the task's id, a stable `reason` code and a `detail`."""

    task_id: str
    reason: str
    detail: str


def task_from_row(row: Any, task_type: str) -> Task:
    """A `Task` from a row of ours (`program`, `input`/`inputs`, `output`/`outputs`, `message`) or of the
    reference's seed files (`snippet`, `imports` as a list of import lines). Outputs may be absent: they are
    computed by `validate_tasks`."""
    if isinstance(row, Task):
        return row
    if not isinstance(row, dict):
        raise DataError(f"task row {str(row)[:200]!r} is not a mapping")
    if is_seed_row(row) and ("output" in row or "outputs" in row):  # a released seed row, as written (lists as
        return task_from_seed_row(row, task_type)  # strings, imports as a string): azr_env.seeds reads it
    row = dict(row)
    if "program" not in row and "snippet" in row:
        imports = row.get("imports") or []
        lines = [str(x) for x in imports] if isinstance(imports, list | tuple) else [str(imports)]
        missing = [line for line in lines if line.strip() and line.strip() not in str(row["snippet"])]
        row["program"] = "\n".join([*missing, str(row["snippet"])])
    if "inputs" in row and "outputs" not in row:
        row["outputs"] = [MISSING] * len(row["inputs"]) if isinstance(row["inputs"], list) else row["inputs"]
    if "input" in row and row.get("output") is None:
        row["output"] = MISSING
    if isinstance(row.get("outputs"), list):
        row["outputs"] = [MISSING if value is None else value for value in row["outputs"]]
    return Task.from_dict(row, task_type)


def _task_id(task: Task, index: int) -> str:
    return task.source or f"row {index}"


def _static_problem(task: Task, config: TaskConfig) -> tuple[str, str] | None:
    try:
        tree = ast.parse(task.program)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        return "syntax_error", f"program does not parse: {type(exc).__name__}: {exc}"[:300]
    if not any(isinstance(node, ast.FunctionDef) and node.name == "f" for node in tree.body):
        return "no_function", "program defines no top-level function f"
    hit = banned_use(tree, config.banned_modules)
    if hit:
        return "banned_module", f"program uses banned module or attribute {hit!r}"
    for position, arguments in enumerate(task.inputs, start=1):
        problem = argument_list_problem(arguments, "expression")
        if problem:
            return "bad_input", f"input {position} {arguments[:80]!r}: {problem}"
    return None


def _matches(task_type: str, given: str, produced: str) -> bool:
    if task_type == "error_type":
        return given.casefold() == produced.casefold()
    return compare_literals(given, produced) is True


def _finish(task: Task, results: Sequence[Any], config: TaskConfig) -> Task | tuple[str, str]:
    from azr_env.tasks.base import apply_long_output
    from azr_env.tasks.error_type import error_name

    outputs = []
    for position, (given, result) in enumerate(zip(task.outputs, results), start=1):
        where = f"input {position}"
        raised = task.task_type == "error_type" and result.status == "error"
        if not result.ok and not raised:
            reason = "execution_error" if result.status == "error" else result.status
            return reason, f"{where}: {result.error or result.status}"[:300]
        if result.deterministic is False:
            return "nondeterministic", f"{where}: two calls of f returned different values"
        if task.task_type == "error_type":
            produced = error_name(result)
        else:
            produced, rejection = apply_long_output(result.value_repr or "", result.truncated, config)
            if rejection:
                return rejection.reason, f"{where}: {rejection.detail}"
        if given != MISSING and not _matches(task.task_type, given, produced or ""):
            return "wrong_output", f"{where}: the task says {given[:80]!r}, f returns {(produced or '')[:80]!r}"
        outputs.append(given if given != MISSING else produced)
    return replace(task, outputs=tuple(outputs))


_CACHE: dict[tuple, Task | tuple[str, str]] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 100_000


def _cache_key(task: Task, config: TaskConfig) -> tuple:
    return (task.task_type, task.program, task.inputs, task.outputs, config.banned_modules, config.long_output,
            config.max_output_chars, config.predefined_names, config.timeout_s)  # fmt: skip


def check_tasks(tasks: Sequence[Task], executor: Any, config: TaskConfig) -> list[Task | TaskProblem]:
    """Each task executed once (cached per process): the task with its outputs filled in, or its problem.

    `executor` is an `Executor` or a function returning one (called only when some task is not cached yet).
    """
    keys = [_cache_key(task, config) for task in tasks]
    with _CACHE_LOCK:
        known = {key: _CACHE[key] for key in keys if key in _CACHE}
    todo: dict[tuple, Task] = {}
    for key, task in zip(keys, tasks):
        if key in known or key in todo:
            continue
        static = _static_problem(task, config)
        if static:
            known[key] = static
        else:
            todo[key] = task
    if todo:
        prelude = program_prelude(config)
        pairs = [(prelude + t.program, call_expression(x)) for t in todo.values() for x in t.inputs]
        runner = executor if hasattr(executor, "run_many") else executor()  # a getter: started only when needed
        results = runner.run_many(pairs, timeout_s=config.timeout_s, check_determinism=True)
        offset = 0
        for key, task in todo.items():
            known[key] = _finish(task, results[offset : offset + len(task.inputs)], config)
            offset += len(task.inputs)
        with _CACHE_LOCK:
            if len(_CACHE) > _CACHE_MAX:
                _CACHE.clear()
            _CACHE.update({key: known[key] for key in todo})
    out: list[Task | TaskProblem] = []
    for index, (key, task) in enumerate(zip(keys, tasks)):
        found = known[key]
        if isinstance(found, Task):
            out.append(replace(found, source=task.source, message=task.message))
        else:
            out.append(TaskProblem(_task_id(task, index), found[0], found[1]))
    return out


def validate_tasks(tasks: Sequence[Task], executor: Any, config: TaskConfig, policy: str = "warn",
                   *, pinned: bool = False) -> list[Task]:  # fmt: skip
    """The usable tasks of `tasks` under `policy` (module docstring); raises DataError as described there."""
    if policy not in VALIDATE_POLICIES:
        raise ConfigError(f"validate={policy!r}; choose one of {VALIDATE_POLICIES}")
    if policy == "off":
        for index, task in enumerate(tasks):
            if MISSING in task.outputs:
                raise DataError(f"task {_task_id(task, index)} has no output and validate='off' cannot compute it")
        return list(tasks)
    checked = check_tasks(tasks, executor, config)
    problems = [item for item in checked if isinstance(item, TaskProblem)]
    good = [item for item in checked if isinstance(item, Task)]
    if problems and (pinned or policy == "strict"):
        shown = "; ".join(f"{p.task_id}: {p.reason} ({p.detail})" for p in problems[:MAX_SHOWN_IDS])
        more = f" (and {len(problems) - MAX_SHOWN_IDS} more)" if len(problems) > MAX_SHOWN_IDS else ""
        raise DataError(f"invalid task{'s' if len(problems) > 1 else ''}: {shown}{more}")
    if problems:
        counts = Counter(p.reason for p in problems)
        by_reason = ", ".join(f"{reason}: {n}" for reason, n in counts.most_common())
        first = ", ".join(p.task_id for p in problems[:MAX_SHOWN_IDS])
        warnings.warn(
            f"dropped {len(problems)} of {len(checked)} tasks that failed validation ({by_reason}); "
            f"first: {first}. Pass validate='strict' to make this an error.",
            stacklevel=3,
        )
    if not good:
        raise DataError(f"none of the {len(checked)} given tasks is valid")
    return good
