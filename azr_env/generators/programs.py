"""A seeded generator of diverse, deterministic `def f(...)` programs with inputs (no model, no data needed).

Programs chain typed operations (`ops.py`) over strings, lists, dicts and numbers, optionally wrapped in loops
and conditionals (`max_nesting`), or are small recursive functions. `ProgramGenerator.sample(i)` is random
access: item `i` depends only on (seed, i, config), as in Reasoning Gym. Nothing here runs code; `tasks.py`
validates every program through the executor with the same rules as model proposals.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from azr_env.errors import ConfigError
from azr_env.generators.ops import OPS, RISKY_OPS, Op, fill, random_value

FAMILIES = ("math", "string", "list", "dict", "recursion")
_INPUT_TYPES = {"math": ("int",), "string": ("str",), "list": ("list", "words"), "dict": ("dict",)}


@dataclass(frozen=True)
class GeneratorConfig:
    """Difficulty knobs of generated programs."""

    min_steps: int = 1
    """Fewest chained operations in a program (length knob)."""
    max_steps: int = 4
    """Most chained operations in a program (length knob)."""
    max_nesting: int = 2
    """Deepest loop/conditional nesting of a block step (0: straight-line code only)."""
    block_probability: float = 0.3
    """Chance that a step is a loop block instead of a one-line operation (when max_nesting > 0)."""
    operations: tuple[str, ...] = FAMILIES
    """Operation families to draw from: math, string, list, dict, recursion."""
    recursion_probability: float = 0.15
    """Chance of a recursive program when "recursion" is among `operations`."""
    value_size: int = 5
    """Typical size of generated strings, lists and dicts in inputs."""
    families_hint: bool = True
    """Induction messages list what the operations do (an easier task) rather than a generic hint."""
    weights: dict[str, float] = field(default_factory=dict)
    """Optional relative weights per family (missing: 1)."""
    error_risky_probability: float = 1.0
    """Error-type tasks: chance that a program gets an operation that raises on some inputs."""
    no_error_keep_probability: float = 0.4
    """Error-type tasks: chance that a candidate whose gold is `NoError` is kept (the others are skipped), so
    that a constant `NoError` answer is right on about a third of the tasks, not two thirds."""

    def __post_init__(self) -> None:
        unknown = set(self.operations) - set(FAMILIES)
        if unknown or not self.operations:
            raise ConfigError(f"operations={self.operations!r}: choose a non-empty subset of {FAMILIES}")
        if not 1 <= self.min_steps <= self.max_steps:
            raise ConfigError(f"need 1 <= min_steps ({self.min_steps}) <= max_steps ({self.max_steps})")
        if self.max_nesting < 0 or not 0 <= self.block_probability <= 1 or not 0 <= self.recursion_probability <= 1:
            raise ConfigError(
                f"max_nesting={self.max_nesting} must be >= 0 and probabilities in [0, 1] "
                f"(block {self.block_probability}, recursion {self.recursion_probability})"
            )
        if not 0 <= self.error_risky_probability <= 1 or not 0 < self.no_error_keep_probability <= 1:
            raise ConfigError(
                f"error_risky_probability={self.error_risky_probability} must be in [0, 1] and "
                f"no_error_keep_probability={self.no_error_keep_probability} in (0, 1]"
            )
        if self.value_size < 1:
            raise ConfigError(f"value_size={self.value_size}; must be >= 1")


@dataclass(frozen=True)
class Program:
    """A generated program, its parameter type, and a one-line description for induction messages."""

    code: str
    input_type: str
    hint: str


def _block(kind: str, var: str, out: str, depth: int, rng: random.Random) -> tuple[list[str], str, str] | None:
    """A loop over `var` (of type `kind`) that builds `out`; conditionals nested to `depth`. (lines, type, hint)"""
    k, j, m = rng.randint(2, 5), rng.randint(0, 9), rng.randint(3, 9)
    if kind in ("list", "str"):
        item = "item" if kind == "list" else "ch"
        letters = "".join(rng.sample("abcdefghij", 3))
        test = f"item % {k} == {rng.randint(0, 1)}" if kind == "list" else f"ch in '{letters}'"
        then = f"{out}.append(item * {k})" if kind == "list" else f"{out}.append(ch.upper())"
        other = f"{out}.append(item - {j})" if kind == "list" else f"{out}.append(ch)"
        body = [f"    for {item} in {var}:"]
        if depth >= 2:
            body += [
                f"        if {test}:",
                f"            if len({out}) < {m}:",
                f"                {then}",
                "            else:",
                f"                {other}",
                "        else:",
                f"            {other}",
            ]
        else:
            body += [f"        if {test}:", f"            {then}", "        else:", f"            {other}"]
        result = "list" if kind == "list" else "str"
        tail = [] if kind == "list" else [f"    {out} = ''.join({out})"]
        return [f"    {out} = []", *body, *tail], result, "applies a rule to each element"
    if kind == "int":
        body = [f"    {out} = 0", f"    n = abs({var})", "    while n > 0:"]
        if depth >= 2:
            body += [
                f"        if n % {k} == 0:",
                f"            {out} += {j}",
                "        else:",
                f"            {out} += n % {m}",
            ]
        else:
            body += [f"        {out} += n % {m}"]
        body += [f"        n //= {k}"]
        return body, "int", "loops over the digits of a number"
    if kind == "dict":
        return ([f"    {out} = {{}}", f"    for key in sorted({var}):", f"        if {var}[key] % {k} == 0:",
                 f"            {out}[key] = {var}[key] // {k}", "        else:", f"            {out}[key] = {j}"],
                "dict", "rewrites dictionary values by a rule")  # fmt: skip
    return None


_RECURSIVE = (
    ("str", "def f(s):\n    if len(s) <= {a}:\n        return s * {b}\n    return f(s[{a}:]) + s[:{a}]",
     "reverses text in chunks"),
    ("int", "def f(n):\n    if n <= {k}:\n        return n + {j}\n    return f(n // {k}) * {k} + n % {m}",
     "recurses on a quotient"),
    ("list", "def f(xs):\n    if not xs:\n        return {j}\n    return xs[0] * {k} - f(xs[1:])",
     "alternates over a list"),
    ("int", "def f(n):\n    n = abs(n) % {m2}\n    if n < 2:\n        return n\n    return f(n - 1) + f(n - 2)",
     "counts like Fibonacci"),
    ("words", "def f(ws):\n    if len(ws) < {b}:\n        return ws\n    return f(ws[1:]) + [ws[0][::-{b}]]",
     "reverses words"),
)  # fmt: skip


class ProgramGenerator:
    """Random-access program generator: `sample(i)` is a pure function of (seed, i, config)."""

    def __init__(self, config: GeneratorConfig | None = None, seed: int = 0):
        self.config = config or GeneratorConfig()
        self.seed = seed

    def rng(self, index: int, salt: str = "") -> random.Random:
        return random.Random(f"{self.seed}:{index}:{salt}")

    def sample(self, index: int, *, risky: bool = False) -> Program:
        """Program number `index`; `risky` appends an operation that raises on some inputs (error-type tasks)."""
        cfg, rng = self.config, self.rng(index)
        if "recursion" in cfg.operations and not risky and rng.random() < cfg.recursion_probability:
            kind, template, hint = rng.choice(_RECURSIVE)
            constants = {"a": rng.randint(1, 2), "b": rng.randint(1, 3), "k": rng.randint(2, 4),
                         "j": rng.randint(0, 5), "m": rng.randint(3, 9), "m2": rng.randint(8, 15)}  # fmt: skip
            code = template.format(**constants)
            return Program(code, kind, hint)
        families = [f for f in cfg.operations if f != "recursion"] or ["string"]
        weights = [cfg.weights.get(f, 1.0) for f in families]
        start_family = rng.choices(families, weights)[0]
        kind = start_kind = rng.choice(_INPUT_TYPES[start_family])
        lines, hints, var = [], [], "x"
        for step in range(rng.randint(cfg.min_steps, cfg.max_steps)):
            out = f"v{step}"
            if cfg.max_nesting and rng.random() < cfg.block_probability:
                block = _block(kind, var, out, rng.randint(1, cfg.max_nesting), rng)
                if block:
                    body, kind, hint = block
                    lines += body
                    hints.append(hint)
                    var = out
                    continue
            candidates = [op for op in OPS if op.source == kind and op.family in families] or [
                op for op in OPS if op.source == kind
            ]
            op: Op = rng.choice(candidates)
            lines.append(f"    {out} = {fill(op.template, var, rng)}")
            hints.append(op.hint)
            kind, var = op.target, out
        if risky:
            options = [op for op in RISKY_OPS if op.source == kind]
            if options:
                op = rng.choice(options)
                lines.append(f"    risky = {fill(op.template, var, rng)}")
                lines.append(f"    {var} = ({var}, risky)")
        code = "def f(x):\n" + "\n".join(lines) + f"\n    return {var}"
        return Program(code, start_kind, "; ".join(dict.fromkeys(hints)))

    def inputs(self, program: Program, index: int, count: int) -> list[str]:
        """`count` distinct-if-possible input literals for `program` (seeded by `index`)."""
        rng = self.rng(index, "inputs")
        values: list[str] = []
        for _ in range(count * 4):
            value = random_value(program.input_type, rng, self.config.value_size)
            if value not in values:
                values.append(value)
            if len(values) == count:
                break
        while len(values) < count:
            values.append(random_value(program.input_type, rng, self.config.value_size))
        return values
