"""The micro curriculum: tiny, trusted, seeded programs for the cpu-micro model's pretraining and evaluation.

Why not only the general procedural generator (azr_env.generators): a ~1M-parameter byte-level model can learn
one-line integer, string and list programs in CPU minutes, not nested recursive ones. Every program here is
written by us (never by a model), so gold outputs are computed in-process with `exec`; model proposals always
go through the sandboxed executor. `TaskSource` is the small interface the pretraining recipe uses, so the
general generator can replace this module (`PretrainConfig.source`).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from azr_env.tasks.base import Task

# (program body with {k}, argument kind, induction message)
_FAMILIES: list[tuple[str, str, str]] = [
    ("return a + {k}", "int", "add a number"),
    ("return a - {k}", "int", "subtract a number"),
    ("return a * {m}", "int", "multiply"),
    ("return a % {m}", "int", "remainder"),
    ("return a // {m}", "int", "integer division"),
    ("return max(a, {k})", "int", "at least a bound"),
    ("return min(a, {k})", "int", "at most a bound"),
    ("return abs(a - {k})", "int", "distance to a number"),
    ("b = a + {k}\n    return b * {m}", "int", "add then multiply"),
    ("return a > {k}", "int", "compare with a bound"),
    ("return a[::-1]", "str", "reverse"),
    ("return a + '{s}'", "str", "append letters"),
    ("return a.upper()", "str", "upper case"),
    ("return len(a)", "str", "length"),
    ("return a * {m}", "str", "repeat"),
    ("return a[{i}:]", "str", "drop a prefix"),
    ("return sum(a)", "list", "sum"),
    ("return len(a)", "list", "count"),
    ("return a[::-1]", "list", "reverse"),
    ("return sorted(a)", "list", "sort"),
    ("return max(a)", "list", "largest"),
    ("return [x + {k} for x in a]", "list", "add to each"),
    ("return a[{i}]", "list", "pick one"),
]

TaskSource = Callable[[str, int, random.Random], list[Task]]
"""(task_type, count, rng) -> tasks: what the pretraining recipe needs from a task generator."""


def _argument(kind: str, rng: random.Random) -> str:
    if kind == "int":
        return str(rng.randint(0, 30))
    if kind == "str":
        return repr("".join(rng.choice("abcdefxyz") for _ in range(rng.randint(3, 6))))
    return repr([rng.randint(0, 9) for _ in range(rng.randint(3, 5))])


def _run(program: str, arguments: str) -> str:
    namespace: dict = {}
    exec(program, namespace)  # trusted: our own templates, see module docstring
    return repr(eval(f"f({arguments})", namespace))


def random_program(rng: random.Random) -> tuple[str, str, str]:
    """(program, argument kind, message) with fresh constants."""
    body, kind, message = rng.choice(_FAMILIES)
    code = body.format(k=rng.randint(1, 9), m=rng.randint(2, 3), s=rng.choice(["x", "ab", "z"]), i=rng.randint(0, 2))
    return f"def f(a):\n    {code}", kind, message


def task_from_program(task_type: str, program: str, kind: str, message: str, rng: random.Random,
                      num_inputs: int = 10) -> Task:
    """A task of `task_type` for a given curriculum program (fresh inputs of its argument `kind`)."""
    if task_type == "induction":
        inputs: list[str] = []
        while len(inputs) < num_inputs:
            x = _argument(kind, rng)
            if x not in inputs or len(inputs) >= 8:
                inputs.append(x)
        outputs = [_run(program, x) for x in inputs]
        return Task("induction", program, tuple(inputs), tuple(outputs), message=message, source="micro")
    x = _argument(kind, rng)
    return Task(task_type, program, (x,), (_run(program, x),), source="micro")


def micro_task(task_type: str, rng: random.Random, num_inputs: int = 10) -> Task:
    """One task of `task_type` (deduction, abduction or induction) from the micro curriculum."""
    return task_from_program(task_type, *random_program(rng), rng, num_inputs)


def micro_tasks(task_type: str, count: int, rng: random.Random, num_inputs: int = 10) -> list[Task]:
    """`count` tasks (a `TaskSource`)."""
    return [micro_task(task_type, rng, num_inputs) for _ in range(count)]


def heldout_deduction_tasks(count: int = 64, seed: int = 12345, referee=None) -> list[Task]:
    """The fixed evaluation set for the learning evidence: deduction tasks from seeds training never uses.

    With a `referee`, the first half comes from the procedural generator at its easiest settings (as in
    pretraining, another seed) and the rest from the micro curriculum; without one, all from the curriculum.
    """
    generated: list[Task] = []
    if referee is not None and count >= 2:
        from azr_agents.pretrain import easy_generator_config

        from azr_env.generators import generate_tasks

        generated = generate_tasks("deduction", count // 2, referee, seed=seed, config=easy_generator_config())
    return generated + micro_tasks("deduction", count - len(generated), random.Random(seed))


def micro_task_config(**overrides: object):
    """The TaskConfig of the cpu-micro preset: compact templates, 2 references, 6 induction inputs."""
    from azr_agents.micro_prompts import MICRO_TEMPLATE_DIR

    from azr_env.tasks.base import TaskConfig

    options: dict = {"template_dir": MICRO_TEMPLATE_DIR, "num_references": 2, "induction_num_inputs": 6,
                     "max_prompt_chars": 1200}
    return TaskConfig(**(options | overrides))  # type: ignore[arg-type]
