"""Task buffers (SPEC §5): what the proposer is shown as references and what the solver is trained on.

One `TaskBuffer` per task type; `BufferSet` holds them. With a `path`, every accepted task is appended to a
JSON-lines file with one `os.write` of whole lines on an `O_APPEND` descriptor. A process killed with SIGKILL
at any moment leaves at most one partial last line, which the next open ignores and cuts off; replaying the
file reproduces the buffer exactly (same dedup, same cap policy), so a run resumes where it stopped. One
writer per file.
"""

from __future__ import annotations

import json
import os
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from azr_env.errors import ConfigError, DataError
from azr_env.tasks.base import Task

POLICIES = ("keep_first", "evict_oldest")
DEDUP_MODES = ("seeding", "always")
DEFAULT_CAPACITY = 16384


class TaskBuffer:
    """Tasks of one type: exact de-duplication (while seeding, or always), a cap, optional JSONL persistence.

    Args:
        task_type: the type of every task stored here.
        path: JSONL file to resume from and append to (None: in memory only).
        capacity: most tasks kept (reference 16384).
        policy: when full, "keep_first" drops new tasks (reference) or "evict_oldest" drops the oldest.
        dedup: "seeding" (reference): an exact duplicate is dropped only while seeding (step < 0), later ones
            enter the buffer again (the reference appends every valid task); "always": every exact duplicate is
            dropped.
        seed_zero: start an empty buffer with the task type's zero task (SPEC §5).
        fsync: fsync after every append (survives power loss, not only process death; slower).
    """

    def __init__(
        self,
        task_type: str,
        path: str | os.PathLike | None = None,
        *,
        capacity: int = DEFAULT_CAPACITY,
        policy: str = "keep_first",
        dedup: str = "seeding",
        seed_zero: bool = True,
        fsync: bool = False,
    ) -> None:
        if policy not in POLICIES:
            raise ConfigError(f"policy={policy!r}; choose one of {POLICIES}")
        if dedup not in DEDUP_MODES:
            raise ConfigError(f"dedup={dedup!r}; choose one of {DEDUP_MODES}")
        if capacity < 1:
            raise ConfigError(f"capacity={capacity}; must be >= 1")
        self.task_type = task_type
        self.capacity = capacity
        self.policy = policy
        self.dedup = dedup
        self.fsync = fsync
        self.path = Path(path) if path is not None else None
        self._tasks: OrderedDict[int, tuple[Task, int]] = OrderedDict()  # serial -> (task, step added)
        self._keys: Counter[tuple] = Counter()  # task key -> copies held
        self._serial = 0
        self.rejected_full = 0
        if self.path is not None:
            self._replay()
        if seed_zero and not self._tasks:
            from azr_env.tasks.registry import get_task_type

            self.add(get_task_type(task_type).zero_task(), step=-1)

    # ---- persistence ---------------------------------------------------------------------------------------
    def _replay(self) -> None:
        assert self.path is not None
        if not self.path.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return
        data = self.path.read_bytes()
        complete = data.rfind(b"\n") + 1  # everything after the last newline is a partial write
        if complete < len(data):
            with open(self.path, "r+b") as handle:
                handle.truncate(complete)
        for line_no, line in enumerate(data[:complete].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                task = Task.from_dict(row, self.task_type)
            except (ValueError, DataError) as exc:
                raise DataError(f"{self.path}:{line_no}: not a task row ({exc}); fix or remove the line") from exc
            self._insert(task, int(row.get("step", 0)))

    def _append(self, rows: list[tuple[Task, int]]) -> None:
        if self.path is None or not rows:
            return
        payload = b"".join(
            json.dumps(task.to_dict() | {"step": step}, ensure_ascii=False).encode() + b"\n" for task, step in rows
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            if self.fsync:
                os.fsync(fd)
        finally:
            os.close(fd)

    # ---- content -------------------------------------------------------------------------------------------
    def _insert(self, task: Task, step: int) -> bool:
        key = task.key()
        if self._keys[key] and (self.dedup == "always" or step < 0):
            return False
        if len(self._tasks) >= self.capacity:
            if self.policy == "keep_first":
                self.rejected_full += 1
                return False
            _, (old, _) = self._tasks.popitem(last=False)
            self._keys[old.key()] -= 1
        self._serial += 1
        self._tasks[self._serial] = (task, step)
        self._keys[key] += 1
        return True

    def add(self, task: Task, step: int = 0) -> bool:
        """Add one task; False when it is a duplicate `dedup` drops or the buffer is full under "keep_first"."""
        return self.add_many([task], step)[0]

    def add_many(self, tasks: Iterable[Task], step: int = 0) -> list[bool]:
        """Add tasks in order (one atomic file append for all accepted ones); per task, whether it was added."""
        accepted, flags = [], []
        for task in tasks:
            if task.task_type != self.task_type:
                raise ConfigError(f"buffer for {self.task_type!r} got a {task.task_type!r} task")
            added = self._insert(task, step)
            flags.append(added)
            if added:
                accepted.append((task, step))
        self._append(accepted)
        return flags

    def __len__(self) -> int:
        return len(self._tasks)

    def __iter__(self) -> Iterator[Task]:
        return (task for task, _ in self._tasks.values())

    def __contains__(self, task: Task) -> bool:
        return self._keys[task.key()] > 0

    @property
    def tasks(self) -> list[Task]:
        return list(self)

    def added_at(self, step: int) -> list[Task]:
        """Tasks added at training step `step` (the solver batch starts from these, SPEC §5)."""
        return [task for task, s in self._tasks.values() if s == step]

    def sample(self, k: int, rng: np.random.Generator, *, replace: bool = False) -> list[Task]:
        """k tasks drawn uniformly (without replacement unless `replace`; fewer if the buffer is smaller)."""
        tasks = self.tasks
        if not tasks or k <= 0:
            return []
        if not replace:
            k = min(k, len(tasks))
        picks = rng.choice(len(tasks), size=k, replace=replace)
        return [tasks[int(i)] for i in picks]


class BufferSet:
    """The buffers of a run, one per task type, persisted as `<directory>/<task_type>.jsonl`."""

    def __init__(
        self,
        task_types: Sequence[str] = ("deduction", "abduction", "induction"),
        directory: str | os.PathLike | None = None,
        **buffer_options: object,
    ) -> None:
        self.directory = Path(directory) if directory is not None else None
        self.buffers: dict[str, TaskBuffer] = {}
        for name in task_types:
            path = self.directory / f"{name}.jsonl" if self.directory is not None else None
            self.buffers[name] = TaskBuffer(name, path, **buffer_options)  # type: ignore[arg-type]

    def __getitem__(self, task_type: str) -> TaskBuffer:
        if task_type not in self.buffers:
            raise ConfigError(f"no buffer for task type {task_type!r}; have {', '.join(self.buffers)}")
        return self.buffers[task_type]

    def __contains__(self, task_type: str) -> bool:
        return task_type in self.buffers

    def counts(self) -> dict[str, int]:
        return {name: len(buffer) for name, buffer in self.buffers.items()}

    def add(self, task: Task, step: int = 0) -> bool:
        return self[task.task_type].add(task, step)

    def pool(self, task_types: Sequence[str]) -> list[Task]:
        return [task for name in task_types if name in self.buffers for task in self.buffers[name]]

    def draw_references(
        self,
        source_types: Sequence[str],
        k: int,
        rng: np.random.Generator,
        prompt_of: Callable[[list[Task]], str],
        *,
        max_chars: int = 5600,
        tries: int = 10,
        measure: Callable[[str], int] = len,
    ) -> tuple[list[Task], str]:
        """K references uniformly without replacement from `source_types`, and the prompt they make.

        A prompt whose `measure` (characters by default; `azr_env.tokens.PromptLength` counts the policy's
        tokens, as the reference) is over `max_chars` is re-drawn (SPEC §5), up to `tries` times; then
        references are dropped one by one from the shortest draw until the prompt fits (or none are left).
        """
        pool = self.pool(source_types)
        k = min(k, len(pool))
        best: tuple[list[Task], str, int] | None = None
        for _ in range(max(1, tries)):
            refs = [pool[int(i)] for i in rng.choice(len(pool), size=k, replace=False)] if k else []
            prompt = prompt_of(refs)
            size = measure(prompt)
            if size <= max_chars:
                return refs, prompt
            if best is None or size < best[2]:
                best = (refs, prompt, size)
        assert best is not None
        refs, prompt, size = best
        while size > max_chars and len(refs) > (1 if k else 0):
            refs = refs[:-1]
            prompt = prompt_of(refs)
            size = measure(prompt)
        return refs, prompt

    def solver_batch(
        self, task_type: str, size: int, rng: np.random.Generator, *, step: int | None = None
    ) -> list[Task]:
        """SPEC §5: the tasks added at `step` (up to `size`), topped up uniformly from the whole buffer."""
        buffer = self[task_type]
        fresh = buffer.added_at(step) if step is not None else []
        if len(fresh) > size:
            fresh = [fresh[int(i)] for i in rng.choice(len(fresh), size=size, replace=False)]
        missing = size - len(fresh)
        top_up = buffer.sample(missing, rng, replace=missing > len(buffer)) if missing > 0 else []
        return fresh + top_up
