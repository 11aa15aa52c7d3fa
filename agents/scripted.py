"""Scripted agents: baselines and test doubles that need no model.

- `RandomAgent` writes well-formed responses with random literals / tiny random programs (a floor for rewards).
- `OracleAgent` answers from the gold data of the task behind each prompt (a ceiling, and a way to test envs
  and trainers end to end without learning).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from typing import Any

from azr_agents.base import Generation, check_sampling_args, truncate_at_stop
from azr_agents.responses import block, propose_response, solve_response, wrap

_OPS = ["a + 1", "a * 2", "a - 3", "a % 5", "a // 2", "-a", "a * a", "abs(a)"]


def random_literal(rng: random.Random, depth: int = 0) -> str:
    """A small random Python literal (int, str, bool, list or tuple)."""
    kind = rng.choice(["int", "int", "str", "bool", "list", "tuple"] if depth < 2 else ["int", "str", "bool"])
    if kind == "int":
        return str(rng.randint(-20, 20))
    if kind == "str":
        return repr("".join(rng.choice("abcxyz") for _ in range(rng.randint(0, 5))))
    if kind == "bool":
        return rng.choice(["True", "False"])
    items = [random_literal(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "tuple":
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return "[" + ", ".join(items) + "]"


class RandomAgent:
    """Answers every prompt with a random well-formed response.

    The response carries a random ```output, ```input and ```python block plus ten ```input blocks and a
    ```message, so whichever block a task type reads, it finds a random value there.
    """

    def __init__(self, seed: int = 0, *, open_think: bool = False):
        self.rng = random.Random(seed)
        self.open_think = open_think

    def _one(self, rng: random.Random) -> str:
        value = random_literal(rng)
        program = f"def f(a):\n    return {rng.choice(_OPS)}"
        parts = [block("python", program), block("input", str(rng.randint(-9, 9)))]
        parts += [block("input", str(rng.randint(-9, 9))) for _ in range(9)]
        parts += [block("message", "Apply an arithmetic operation."), block("output", value)]
        return wrap("I guess.", "\n".join(parts), open_think=self.open_think)

    def generate(
        self, prompts: list[str], *, n: int = 1, temperature: float = 1.0, top_p: float = 1.0,
        max_new_tokens: int = 512, stop: list[str] | None = None, seed: int | None = None,
    ) -> list[list[Generation]]:
        check_sampling_args(prompts, n, temperature, top_p, max_new_tokens)
        rng = random.Random(seed) if seed is not None else self.rng
        return [[Generation(text=truncate_at_stop(self._one(rng), stop)[0]) for _ in range(n)] for _ in prompts]


TaskLookup = Callable[[str], "tuple[Any, str] | None"]


class OracleAgent:
    """Answers from the gold data of the task each prompt was built from.

    Args:
        tasks: maps a prompt to `(task, role)` with role "solve" or "propose" (a dict or a callable). Tasks are
            `azr_env.tasks.base.Task` objects or dicts with `task_type`, `program`, `input(s)`, `output(s)`,
            `message`. Unknown prompts get a badly formatted "I do not know." (the format penalty).
        open_think: start responses with `<think>` (for raw / chat-template prompts).
    """

    def __init__(self, tasks: Mapping[str, tuple[Any, str]] | TaskLookup | None = None, *, open_think: bool = False):
        self._table: dict[str, tuple[Any, str]] = {}
        self._lookup = tasks if callable(tasks) else None
        if isinstance(tasks, Mapping):
            self._table.update(tasks)
        self.open_think = open_think

    def register(self, prompt: str, task: Any, role: str = "solve") -> None:
        """Tell the oracle which task (and role) `prompt` asks about."""
        self._table[prompt] = (task, role)

    def answer(self, prompt: str) -> str:
        found = self._table.get(prompt) or (self._lookup(prompt) if self._lookup else None)
        if found is None:
            return "I do not know."
        task, role = found
        respond = propose_response if role == "propose" else solve_response
        return respond(task, thought="I know this task.", open_think=self.open_think)

    def generate(
        self, prompts: list[str], *, n: int = 1, temperature: float = 1.0, top_p: float = 1.0,
        max_new_tokens: int = 512, stop: list[str] | None = None, seed: int | None = None,
    ) -> list[list[Generation]]:
        check_sampling_args(prompts, n, temperature, top_p, max_new_tokens)
        return [[Generation(text=truncate_at_stop(self.answer(p), stop)[0]) for _ in range(n)] for p in prompts]
