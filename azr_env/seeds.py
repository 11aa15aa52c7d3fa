"""The reference's released seed files, loaded as they are (SPEC §2, §5; issue 12 item 4).

The paper's runs start from JSON-lines seed files instead of a seeding stage:

- `data/<model>_seed_io.jsonl`: one shared pool for deduction and abduction; rows carry `snippet` (the program),
  `input` (the argument text), `output` (the gold repr), `imports` (lines the reference prepends when it runs the
  snippet), `original_snippet`, `composite_functions`. The reference copies the pool into both buffers.
- `data/<model>_error_seed_io.jsonl`: the same shape; `output` is an exception type name or `NoError`.
- `data/<model>_code_f_seed_io.jsonl`: induction; `snippet`, `inputs` and `outputs` (each a Python list, written
  as a JSON list or as a string holding the list's repr), `message`, `imports` (a list or such a string).

Each row becomes a `Task` (a shared-pool row one per task type asked for). The program is the snippet with any
`imports` line it does not already contain at top level put in front, so it runs as the reference ran it;
programs that carry their imports at the top are shown unchanged in prompts. Rows that cannot be read (not
JSON, a field missing or of the wrong type, over the size caps) are dropped and counted in `SeedLoad.dropped`;
the caller may also pass `validate`, a function that executes the tasks once and keeps the valid ones (the
user-task validation of the integrity issue), whose drops are counted the same way.
"""

from __future__ import annotations

import ast
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azr_env.errors import DataError
from azr_env.tasks.base import Task

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 1 << 30
MAX_PROGRAM_CHARS = 1 << 16
MAX_VALUE_CHARS = 1 << 16
MAX_LIST_CHARS = 1 << 20
MAX_INPUTS = 64
SHARED_POOL_TYPES = ("deduction", "abduction")

# A validator gets tasks and returns, per task, None (valid) or a short reason why it is not.
Validator = Callable[[list[Task]], Sequence[str | None]]


@dataclass
class SeedLoad:
    """What a seed file gave: the tasks, how many rows were read, and why the others were dropped."""

    tasks: list[Task] = field(default_factory=list)
    rows: int = 0
    dropped: Counter = field(default_factory=Counter)

    def summary(self) -> str:
        kinds = Counter(t.task_type for t in self.tasks)
        made = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "no tasks"
        if not self.dropped:
            return f"{self.rows} rows -> {made}"
        why = ", ".join(f"{n} {reason}" for reason, n in self.dropped.most_common())
        return f"{self.rows} rows -> {made}; dropped {sum(self.dropped.values())} ({why})"


class SeedRowError(DataError):
    """One row is not a reference seed row; `reason` is a short stable code for the summary."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"seed row: {detail}")
        self.reason = reason


def is_seed_row(row: Any) -> bool:
    """A reference seed row (`snippet` ...) rather than an azr-env task row (`program` ...)."""
    return isinstance(row, dict) and "snippet" in row and "program" not in row


def seed_file_task_types(path: str | Path) -> tuple[str, ...]:
    """The task types a seed file feeds, from its name as the reference's scripts write it."""
    name = Path(path).name
    if "code_f" in name:
        return ("induction",)
    if "error" in name:
        return ("error_type",)
    return SHARED_POOL_TYPES


def _text(row: dict, key: str, limit: int) -> str:
    value = row.get(key)
    if not isinstance(value, str):
        raise SeedRowError(f"bad_{key}", f"{key!r} is {type(value).__name__}, not a string")
    if len(value) > limit:
        raise SeedRowError("too_long", f"{key!r} is {len(value)} characters; limit {limit}")
    return value


def _list(row: dict, key: str, value: Any = None) -> list[str]:
    """A list of strings, given as a list or as the repr of a list (how the released code_f rows write it)."""
    value = row.get(key) if value is None else value
    if isinstance(value, str):
        if len(value) > MAX_LIST_CHARS:
            raise SeedRowError("too_long", f"{key!r} is {len(value)} characters; limit {MAX_LIST_CHARS}")
        try:
            value = ast.literal_eval(value.strip()) if value.strip() else []
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError) as exc:
            raise SeedRowError(f"bad_{key}", f"{key!r} is not a Python list: {type(exc).__name__}") from None
    if not isinstance(value, list | tuple):
        raise SeedRowError(f"bad_{key}", f"{key!r} is {type(value).__name__}, not a list")
    if len(value) > MAX_INPUTS:
        raise SeedRowError("too_long", f"{key!r} has {len(value)} entries; limit {MAX_INPUTS}")
    out = [v if isinstance(v, str) else repr(v) for v in value]
    if any(len(v) > MAX_VALUE_CHARS for v in out):
        raise SeedRowError("too_long", f"an entry of {key!r} is over {MAX_VALUE_CHARS} characters")
    return out


def _imports(row: dict) -> list[str]:
    value = row.get("imports", [])
    if value is None:
        return []
    if isinstance(value, str) and not value.strip().startswith("["):
        return [line.strip() for line in value.splitlines() if line.strip()]
    return [line.strip() for line in _list(row, "imports", value) if line.strip()]


def program_with_imports(snippet: str, imports: Iterable[str]) -> str:
    """The snippet with the import lines it lacks at top level put in front (the reference prepends them all
    when it runs, so an import written inside `f` is global there too)."""
    present = {line.rstrip() for line in snippet.splitlines() if line[:1] not in (" ", "\t")}  # top level only
    missing = [line for line in dict.fromkeys(imports) if line not in present]
    return "\n".join(missing) + "\n" + snippet if missing else snippet


def task_from_seed_row(row: dict, task_type: str | None = None, *, source: str = "seed_file") -> Task:
    """One reference seed row as a Task of `task_type` (rows with `inputs` are always induction).

    Raises SeedRowError (a DataError) naming the field when the row is not a seed row.
    """
    if not isinstance(row, dict):
        raise SeedRowError("not_an_object", f"a row is {type(row).__name__}, not a JSON object")
    program = program_with_imports(_text(row, "snippet", MAX_PROGRAM_CHARS), _imports(row))
    if "inputs" in row or task_type == "induction":
        inputs, outputs = _list(row, "inputs"), _list(row, "outputs")
        if not inputs or len(inputs) != len(outputs):
            raise SeedRowError("bad_outputs", f"{len(inputs)} inputs but {len(outputs)} outputs")
        message = row.get("message", "")
        if not isinstance(message, str) or len(message) > MAX_VALUE_CHARS:
            raise SeedRowError("bad_message", "'message' is not a string of at most 64K characters")
        return Task("induction", program, tuple(inputs), tuple(outputs), message=message, source=source)
    if not task_type:
        raise SeedRowError("no_task_type", "a single-input seed row needs a task type (deduction, abduction, ...)")
    arguments = _text(row, "input", MAX_VALUE_CHARS)
    output = _text(row, "output", MAX_VALUE_CHARS)
    return Task(task_type, program, (arguments,), (output,), source=source)


def tasks_from_seed_rows(rows: Iterable[Any], task_types: Sequence[str], *, source: str = "seed_file",
                         validate: Validator | None = None) -> SeedLoad:  # fmt: skip
    """Tasks of `task_types` from seed rows; rows that cannot be read or fail `validate` are counted, not raised."""
    load = SeedLoad()
    for row in rows:
        load.rows += 1
        try:
            if isinstance(row, dict) and "inputs" in row:
                made = [task_from_seed_row(row, "induction", source=source)] if "induction" in task_types else []
            else:
                made = [task_from_seed_row(row, t, source=source) for t in task_types if t != "induction"]
        except SeedRowError as exc:
            load.dropped[exc.reason] += 1
            continue
        load.tasks += made
    if validate is not None and load.tasks:
        verdicts = list(validate(load.tasks))
        if len(verdicts) != len(load.tasks):
            raise DataError(f"the validator returned {len(verdicts)} verdicts for {len(load.tasks)} tasks")
        for why in verdicts:
            if why is not None:
                load.dropped[f"invalid:{why}"] += 1
        load.tasks = [t for t, why in zip(load.tasks, verdicts) if why is None]
    return load


def read_jsonl_rows(path: str | Path) -> tuple[list[Any], int]:
    """The JSON rows of a JSON-lines file and how many lines were not JSON (dropped)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"seed file {path} does not exist")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise DataError(f"seed file {path} is over {MAX_FILE_BYTES} bytes")
    rows: list[Any] = []
    bad = 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except ValueError:
                bad += 1
    return rows, bad


def load_seed_file(path: str | Path, task_types: Sequence[str] | None = None, *,
                   validate: Validator | None = None) -> SeedLoad:  # fmt: skip
    """Tasks from one released seed file (types from its name unless given); logs the summary."""
    types = tuple(task_types) if task_types else seed_file_task_types(path)
    rows, bad = read_jsonl_rows(path)
    load = tasks_from_seed_rows(rows, types, source=f"seed_file:{Path(path).name}", validate=validate)
    if bad:
        load.rows += bad
        load.dropped["not_json"] += bad
    log.info("seed file %s: %s", path, load.summary())
    return load


def seed_buffers_from_files(buffers: Any, paths: Sequence[str | Path], *, limit: int | None = None,
                            validate: Validator | None = None) -> dict[str, SeedLoad]:  # fmt: skip
    """Add the tasks of released seed files to `buffers` at step -1 (before training), as the reference does
    with `azr.seed_dataset` / `error_seed_dataset` / `code_f_seed_dataset`: at most `limit` tasks per type (it
    keeps the first `data_len * seed_batch_factor` = 256 rows), types the buffers do not hold are skipped.
    Returns each file's `SeedLoad`; the seeding stage then only tops up buffers still short."""
    loads: dict[str, SeedLoad] = {}
    for path in paths:
        types = tuple(t for t in seed_file_task_types(path) if t in buffers)
        load = load_seed_file(path, types, validate=validate) if types else SeedLoad()
        for task_type in types:
            tasks = [t for t in load.tasks if t.task_type == task_type]
            buffers[task_type].add_many(tasks if limit is None else tasks[:limit], -1)
        loads[str(path)] = load
    return loads


def sandbox_validator(executor: Any, config: Any) -> Validator:
    """The user-task validation (`azr_env.tasks.user_tasks.check_tasks`) as a `Validator`: each task is executed
    once in the sandbox and kept only if it parses, passes the banned list, runs, is deterministic and
    reproduces its outputs."""
    from azr_env.tasks.user_tasks import check_tasks

    def validate(tasks: list[Task]) -> list[str | None]:
        return [None if isinstance(item, Task) else item.reason for item in check_tasks(tasks, executor, config)]

    return validate


def seed_run_buffers(buffers: Any, paths: Sequence[str | Path], referee: Any, *, limit: int | None = None) -> str:
    """What `azr selfplay --seed-files` does before the seeding stage: load the files into `buffers` through the
    user-task validation on `referee`'s executor; returns a one-line summary per file."""
    try:
        validate = sandbox_validator(referee.executor, referee.config.task)
    except ImportError:  # the user-task validation is not part of this build yet: rows are only parsed
        log.warning("seed files are loaded without executing them (azr_env.tasks.user_tasks is missing)")
        validate = None
    loads = seed_buffers_from_files(buffers, paths, limit=limit, validate=validate)
    return "; ".join(f"{Path(path).name}: {load.summary()}" for path, load in loads.items())


__all__ = [
    "SeedLoad", "SeedRowError", "is_seed_row", "load_seed_file", "program_with_imports", "read_jsonl_rows",
    "sandbox_validator", "seed_buffers_from_files", "seed_file_task_types", "seed_run_buffers",
    "task_from_seed_row", "tasks_from_seed_rows",
]  # fmt: skip
