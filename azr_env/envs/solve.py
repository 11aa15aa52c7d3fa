"""Solver-role envs: `AZR-Deduction-v0`, `AZR-Abduction-v0`, `AZR-Induction-v0`, `AZR-ErrorType-v0`.

## Episode
One step. `reset()` picks a task and returns its solver prompt; `step(response)` scores the response and ends
the episode (`terminated=True`; the observation returned with it is the same prompt).

With `continuing=True` an episode is a stream of tasks: each step scores the response against the current task
and returns the next task's prompt (`terminated` is never True; `truncated` after `max_tasks` tasks). Every
step of a vector env is then a scored step whatever its autoreset mode; there is no terminal state between
tasks, so use γ = 0 (docs/envs.md, "Vector envs").

## Observation / action
Both are `str` (`AnyText`): the complete prompt (R1-wrapped by default) and the model's full response.

## Reward (SPEC §4)
1 correct, −0.5 well formatted but wrong, −1 badly formatted or no answer; with `mode="eval"`, 1/0.

## Task source
By default the procedural generator (`azr_env.generators`): `reset(seed=s)` draws candidate programs with the
env's RNG, so the same seed gives the same task. `tasks=` overrides it with a list of `Task`s or dicts
(`program`, `input`, `output`, or the reference's seed rows: `snippet`, ..., see `azr_env.seeds`), a JSONL path
(such as a released `*_seed_io.jsonl`), or a `TaskBuffer`; `reset(options={"task": ...})` pins one task.

## Info
`task_type`, `role` ("solve"); after a step also `task` (dict, the gold answer included), `format_ok`,
`correct`, `parsed_answer`, `reason` (stable code, see docs/envs.md), `detail`, `reward` (continuing: also
`tasks_done`). The reset `info` carries no task, so no gold answer reaches an agent that reads `info`;
`info_gold=True` adds `task` there too.

## Arguments
`task_type`, `tasks`, `config` (`RoundConfig`), `mode` ("train" | "eval"), `generator_seed`,
`generator_config` (`GeneratorConfig`), `referee`, `render_mode` ("human" | "ansi"), `continuing`,
`max_tasks`, `info_gold`, `answer_mode` ("data" | "expression", SPEC §2; sets the config's
`task.answer_mode`), `validate` ("warn" | "strict" | "off": user-supplied tasks are executed once before use,
see `azr_env.tasks.user_tasks`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import warnings
from pathlib import Path
from typing import Any

from gymnasium.error import ResetNeeded

from azr_env.buffer import TaskBuffer
from azr_env.envs.common import AZRBaseEnv, as_text, clean_info
from azr_env.errors import ConfigError, DataError
from azr_env.generators import GeneratorConfig, generated_tasks_at
from azr_env.rewards import MODES
from azr_env.rounds import RoundConfig
from azr_env.seeds import is_seed_row, tasks_from_seed_rows
from azr_env.tasks import Task, get_task_type
from azr_env.tasks.user_tasks import VALIDATE_POLICIES, task_from_row, validate_tasks

CANDIDATES = 1 << 30  # generated candidate programs a reset draws from
MAX_DRAWS = 256
PREFETCH = 16  # generated candidates validated per executor batch


def load_tasks(tasks: Any, task_type: str) -> list[Task]:
    """Tasks from a list of Task/dicts, a JSONL path, or a TaskBuffer; only those of `task_type`."""
    if isinstance(tasks, TaskBuffer):
        rows: list[Any] = tasks.tasks
    elif isinstance(tasks, str | os.PathLike):
        path = Path(tasks)
        if not path.is_file():
            raise DataError(f"tasks file {path} does not exist; pass a JSONL file of task rows")
        rows = []
        for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except ValueError as exc:
                    raise DataError(f"{path}:{line_no}: not JSON ({exc})") from exc
    else:
        rows = list(tasks)
    out = [task_from_row(row, task_type) for row in rows if not is_seed_row(row)]
    seed_rows = [row for row in rows if is_seed_row(row)]
    if seed_rows:  # the reference's released seed files: rows that cannot be read are dropped, with a summary
        loaded = tasks_from_seed_rows(seed_rows, (task_type,))
        if loaded.dropped:
            warnings.warn(f"tasks: reference seed rows: {loaded.summary()}", stacklevel=3)
        out += loaded.tasks
    out = [t for t in out if t.task_type == task_type]
    if not out:
        raise DataError(f"no {task_type} tasks in the given tasks ({len(rows)} rows)")
    return out


def _with_answer_mode(config: Any, referee: Any, answer_mode: str | None) -> Any:
    """`config` with `task.answer_mode` set (the env argument wins over the config; a given referee must agree)."""
    if answer_mode is None:
        return config
    if referee is not None:
        if referee.config.task.answer_mode != answer_mode:
            raise ConfigError(f"answer_mode={answer_mode!r} differs from the given referee's "
                              f"{referee.config.task.answer_mode!r}; set it in the referee's config")  # fmt: skip
        return config
    base = config if config is not None else RoundConfig()
    if not isinstance(base, RoundConfig):
        return config  # AZRBaseEnv reports the wrong type
    return dataclasses.replace(base, task=dataclasses.replace(base.task, answer_mode=answer_mode))


class AZRSolveEnv(AZRBaseEnv):
    __doc__ = __doc__

    def __init__(
        self,
        task_type: str = "deduction",
        tasks: Any = None,
        config: Any = None,
        *,
        mode: str = "train",
        generator_seed: int = 0,
        generator_config: GeneratorConfig | None = None,
        referee: Any = None,
        render_mode: str | None = None,
        continuing: bool = False,
        max_tasks: int = 256,
        info_gold: bool = False,
        answer_mode: str | None = None,
        validate: str = "warn",
    ):
        super().__init__(_with_answer_mode(config, referee, answer_mode), referee, render_mode)
        if validate not in VALIDATE_POLICIES:
            raise ConfigError(f"validate={validate!r}; choose one of {VALIDATE_POLICIES}")
        self.validate = validate
        self.task_type = get_task_type(task_type).name
        if not isinstance(max_tasks, int) or max_tasks < 1:
            raise ConfigError(f"max_tasks={max_tasks!r}; must be an int >= 1")
        self.continuing, self.max_tasks, self.info_gold = bool(continuing), max_tasks, bool(info_gold)
        self.tasks_done = 0
        if mode not in MODES:
            raise ConfigError(f"mode={mode!r}; choose one of {MODES}")
        self.mode = mode
        self.tasks = load_tasks(tasks, self.task_type) if tasks is not None else None
        self._tasks_checked = False
        self.generator_seed = generator_seed
        self.generator_config = generator_config
        self.task: Task | None = None
        self.prompt = ""
        self._queue: list[Task] = []

    def _draw_task(self) -> Task:
        if self.tasks is not None:
            if not self._tasks_checked:  # user tasks run once, on first use (azr_env.tasks.user_tasks)
                self.tasks = self._checked(self.tasks, pinned=False)
                self._tasks_checked = True
            return self.tasks[int(self.np_random.integers(len(self.tasks)))]
        for _ in range(MAX_DRAWS // PREFETCH):
            if not self._queue:  # validate the next PREFETCH candidates together (one executor batch)
                indices = [int(i) for i in self.np_random.integers(CANDIDATES, size=PREFETCH)]
                found = generated_tasks_at(self.task_type, indices, self.referee, seed=self.generator_seed,
                                           config=self.generator_config)  # fmt: skip
                self._queue = [t for t in found if t is not None]
            if self._queue:
                return self._queue.pop(0)
        raise ConfigError(f"the generator produced no valid {self.task_type} task in {MAX_DRAWS} draws")

    def _checked(self, tasks: list[Task], *, pinned: bool) -> list[Task]:
        """User-supplied tasks executed once (missing outputs computed, invalid ones reported; `validate`)."""
        executor = lambda: self.referee.executor  # noqa: E731  (started only if a task is not cached yet)
        return validate_tasks(tasks, executor, self.referee.config.task, self.validate, pinned=pinned)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)
        self.tasks_done = 0
        if seed is not None:
            self._queue = []  # reseeding restarts the generated sequence
        pinned = (options or {}).get("task")
        if pinned is not None:
            task = task_from_row(pinned, self.task_type)
            if task.task_type != self.task_type:
                raise ConfigError(f"options['task'] is a {task.task_type} task; this env solves {self.task_type}")
            [task] = self._checked([task], pinned=True)
        else:
            task = self._draw_task()
        return self._start(task)

    def _start(self, task: Task) -> tuple[str, dict]:
        self.task = task
        self.prompt = self.referee.solver_prompt(task)
        info: dict[str, Any] = {"task_type": self.task_type, "role": "solve"}
        if self.info_gold:
            info["task"] = task.to_dict()
        self._record(self.prompt, "", info)
        return self.prompt, info

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        if self.task is None:
            raise ResetNeeded("call reset() before step(); each episode is a single step")
        response = as_text(action)
        [result] = self.referee.score([self.task], [response], mode=self.mode)
        info = {
            "task_type": self.task_type,
            "role": "solve",
            "task": self.task.to_dict(),
            "format_ok": result.format_ok,
            "correct": result.correct,
            "parsed_answer": result.parsed_answer,
            "reason": result.reason,
            "detail": result.detail,
            "reward": result.reward,
        }
        info = clean_info(info)
        self._record(self.prompt, response, info)
        self.task = None
        if not self.continuing:
            return self.prompt, float(result.reward), True, False, info
        self.tasks_done += 1
        info["tasks_done"] = self.tasks_done
        if self.tasks_done >= self.max_tasks:
            return self.prompt, float(result.reward), False, True, info
        prompt, _ = self._start(self._draw_task())
        return prompt, float(result.reward), False, False, info
