"""Generated programs turned into valid tasks of any type, validated by the same rules as model proposals.

Each candidate is written as a proposal response and goes through `Referee.validate` (static rules,
determinism, long-output policy); candidates that fail are skipped, so the n tasks returned for (seed, config)
are always the same. The hash-seed check is skipped: generated programs never iterate over unsorted sets.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

from azr_env.errors import ConfigError
from azr_env.generators.programs import GeneratorConfig, ProgramGenerator
from azr_env.tasks.base import Task
from azr_env.tasks.error_type import NO_ERROR
from azr_env.tasks.program_checks import check_program

_CACHE: dict[tuple, list[Task]] = {}
_LOCK = threading.Lock()


def _response(answer: str) -> str:
    return f"<think>generated</think>\n<answer>{answer}</answer>"


def _candidate(gen: ProgramGenerator, task_type: str, index: int, num_inputs: int) -> tuple[str, str, list[Task]]:
    """(task_type, proposal response, references) for candidate `index`."""
    risky = task_type == "error_type" and gen.rng(index, "risky").random() < gen.config.error_risky_probability
    program = gen.sample(index, risky=risky)
    if task_type == "induction":
        inputs = gen.inputs(program, index, num_inputs)
        hint = program.hint if gen.config.families_hint else "Find the rule that maps each input to its output."
        blocks = "".join(f"```input\n{x}\n```\n" for x in inputs)
        reference = Task("deduction", program.code, (inputs[0],), ("",), source="generator")
        return task_type, _response(f"{blocks}```message\nThe function {hint}.\n```"), [reference]
    [arguments] = gen.inputs(program, index, 1)
    return task_type, _response(f"```python\n{program.code}\n```\n```input\n{arguments}\n```"), []


def _kept(gen: ProgramGenerator, result: Any, index: int) -> bool:
    """A valid candidate that the class balance keeps: error-type `NoError` tasks only with
    `no_error_keep_probability` (decided per index, so the same candidates are kept every time)."""
    if not (result is not None and result.valid and result.task is not None):
        return False
    if result.task.task_type == "error_type" and result.task.output == NO_ERROR:
        return gen.rng(index, "keep").random() < gen.config.no_error_keep_probability
    return True


def generate_tasks(
    task_type: str,
    n: int,
    referee: Any,
    *,
    seed: int = 0,
    config: GeneratorConfig | None = None,
    max_candidates: int | None = None,
) -> list[Task]:
    """The first `n` valid tasks of `task_type` from generator (seed, config), validated with `referee`.

    Raises ConfigError if `max_candidates` (default 8n + 64) candidates yield fewer than n valid tasks.
    """
    gen = ProgramGenerator(config, seed)
    num_inputs = referee.config.task.induction_num_inputs
    budget = max_candidates if max_candidates is not None else 8 * n + 64
    tasks: list[Task] = []
    index = 0
    while len(tasks) < n and index < budget:
        chunk = range(index, min(budget, index + max(16, 2 * (n - len(tasks)))))
        candidates = [_candidate(gen, task_type, i, num_inputs) for i in chunk]
        if task_type == "induction":  # the program comes from a reference, so check it here
            candidates = [c for c in candidates if check_program(c[2][0].program)[1] is None]
        for result, i in zip(referee.validate(candidates, hash_seed_check=False, trusted_source=True), chunk):
            if _kept(gen, result, i) and len(tasks) < n:
                tasks.append(_with_source(result.task, f"generator:{seed}:{i}"))
        index = chunk.stop
    if len(tasks) < n:
        raise ConfigError(f"only {len(tasks)} of {n} generated {task_type} tasks were valid in {budget} candidates")
    return tasks


def generated_tasks_at(
    task_type: str, indices: list[int], referee: Any, *, seed: int = 0, config: GeneratorConfig | None = None
) -> list[Task | None]:
    """Candidates `indices` as validated tasks (None where invalid), validated in one batch, memoised."""
    base = (task_type, seed, repr(config), repr(referee.config.task))
    with _LOCK:
        missing = [i for i in dict.fromkeys(indices) if (*base, i) not in _CACHE]
    if missing:
        gen = ProgramGenerator(config, seed)
        num_inputs = referee.config.task.induction_num_inputs
        candidates = [_candidate(gen, task_type, i, num_inputs) for i in missing]
        checkable = [task_type != "induction" or check_program(c[2][0].program)[1] is None for c in candidates]
        results = iter(referee.validate([c for c, ok in zip(candidates, checkable) if ok], hash_seed_check=False,
                                        trusted_source=True))
        found = {}
        for i, ok in zip(missing, checkable):
            result = next(results) if ok else None
            valid = _kept(gen, result, i)
            found[i] = [_with_source(result.task, f"generator:{seed}:{i}")] if valid else []
        with _LOCK:
            for i, value in found.items():
                _CACHE[(*base, i)] = value
    with _LOCK:
        return [(_CACHE[(*base, i)] or [None])[0] for i in indices]


def generated_task(
    task_type: str, index: int, referee: Any, *, seed: int = 0, config: GeneratorConfig | None = None
) -> Task | None:
    """Candidate `index` as a validated task, or None if it is invalid (memoised per process)."""
    return generated_tasks_at(task_type, [index], referee, seed=seed, config=config)[0]


def _with_source(task: Task, source: str) -> Task:
    return Task(task.task_type, task.program, task.inputs, task.outputs, task.message, source)


def generated_pool(
    task_type: str, n: int, referee: Any, *, seed: int = 0, config: GeneratorConfig | None = None
) -> list[Task]:
    """`generate_tasks`, memoised per process. Deprecated: nothing in azr-env uses it any more (the envs share
    candidates through `generated_tasks_at`); call `generate_tasks` and keep the list."""
    warnings.warn("azr_env.generators.generated_pool is deprecated and will be removed; call generate_tasks and keep "
                  "the list", DeprecationWarning, stacklevel=2)
    key = ("pool", task_type, n, seed, repr(config), repr(referee.config.task))
    with _LOCK:
        if key in _CACHE:
            return _CACHE[key]
    tasks = generate_tasks(task_type, n, referee, seed=seed, config=config)
    with _LOCK:
        _CACHE[key] = tasks
    return tasks
