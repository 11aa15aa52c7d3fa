"""Answers as values, never as code run in this process (SPEC §2, "Checking answers").

Literals are parsed with `ast.literal_eval` and compared with `==` here; anything else that is a plain data
expression (`deque([1])`, `float('inf')`, `'a' * 3`) is evaluated in the sandbox, whose repr comes back and is
compared here. The child never sees a gold value. Model-written classes cannot take part: the grammar below
admits no attribute access, lambdas or calls other than a few data constructors.
"""

from __future__ import annotations

import ast
import functools
from typing import Any

_MISSING = object()

# Names a data expression may use; the sandbox prelude below defines each of them.
DATA_NAMES = frozenset(
    {
        "set", "frozenset", "list", "tuple", "dict", "str", "int", "float", "bool", "complex", "bytes",
        "bytearray", "range", "deque", "Counter", "defaultdict", "OrderedDict", "inf", "nan",
    }
)  # fmt: skip
# Prepended to programs that evaluate a data expression in the sandbox (the task's own code comes after it).
_PRELUDE_LINES = (
    "from collections import deque, Counter, defaultdict, OrderedDict",
    "inf = float('inf')",
    "nan = float('nan')",
)
DATA_PRELUDE = "\n".join(_PRELUDE_LINES) + "\n"
_DATA_NODES = (
    ast.Expression, ast.Constant, ast.List, ast.Tuple, ast.Set, ast.Dict, ast.UnaryOp, ast.BinOp,
    ast.Load, ast.operator, ast.unaryop, ast.Starred, ast.keyword,
)  # fmt: skip


@functools.lru_cache(maxsize=8192)
def _cached_literal(text: str) -> Any:
    try:
        return ast.literal_eval(text.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError, OverflowError):
        return _MISSING


def parse_literal(text: str) -> tuple[bool, Any]:
    """(True, value) when `text` is a Python literal, else (False, None). Never raises, never executes.

    Results are cached by text; callers must not mutate the returned value.
    """
    if len(text) > 1_000_000:
        return False, None
    # Only short texts are cached: the cache must not hold thousands of megabyte-long model answers.
    value = _cached_literal(text) if len(text) <= 4096 else _cached_literal.__wrapped__(text)
    return (False, None) if value is _MISSING else (True, value)


def data_expression_problem(node: ast.AST) -> str | None:
    """None if `node` is a data expression (literals, arithmetic, calls to `DATA_NAMES`); else why not."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name):
            if sub.id not in DATA_NAMES and sub.id not in ("True", "False", "None"):
                return f"name {sub.id!r} is not a plain data constructor"
        elif isinstance(sub, ast.Call):
            if not (isinstance(sub.func, ast.Name) and sub.func.id in DATA_NAMES):
                return "only data constructors (list, set, deque, Counter, ...) may be called"
        elif not isinstance(sub, _DATA_NODES):
            return f"{type(sub).__name__} is not allowed in a value"
    return None


def parse_expression(text: str) -> tuple[ast.Expression | None, str]:
    """Parse `text` as one expression: (tree, "") or (None, reason)."""
    try:
        return ast.parse(text.strip(), mode="eval"), ""
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        return None, f"not a Python expression ({type(exc).__name__})"


def value_problem(text: str) -> str | None:
    """None if `text` is a single data expression (a value an answer may state), else the reason."""
    if not text.strip():
        return "empty value"
    tree, why = parse_expression(text)
    if tree is None:
        return why
    return data_expression_problem(tree)


def argument_list_problem(text: str) -> str | None:
    """None if `text` is exactly an argument list of data expressions (what goes between `f(` and `)`).

    `'abc') or (1` is rejected: pasted into `f(...)` it parses to a boolean expression, not one call.
    """
    if not text.strip():
        return "empty argument list"
    tree, why = parse_expression(f"f(\n{text}\n)")
    if tree is None:
        return "not an argument list: " + why
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "f"):
        return "not an argument list: text closes the call's parenthesis"
    for arg in [*call.args, *(kw.value for kw in call.keywords)]:
        problem = data_expression_problem(arg)
        if problem:
            return problem
    return None


def literal_arguments(text: str) -> tuple[bool, Any]:
    """Argument list `text` as a literal tuple of positional values (no keywords, no starred), if so."""
    return parse_literal(f"(\n{text}\n,)") if text.strip() else (False, None)


def same_value(gold_repr: str, candidate_repr: str) -> bool:
    """Whether a candidate's repr states the gold value (SPEC §2).

    Exact text is always correct (this covers gold reprs that do not round-trip, such as `inf` or
    `deque([1])`); otherwise both must parse as literals and compare equal with `==`, as the reference's
    `eval(gold) == eval(answer)` does for literals.
    """
    if candidate_repr.strip() == gold_repr.strip():
        return True
    ok_gold, gold = parse_literal(gold_repr)
    if not ok_gold:
        return False
    ok_cand, cand = parse_literal(candidate_repr)
    if not ok_cand:
        return False
    try:
        return bool(gold == cand)
    except (RecursionError, MemoryError, TypeError, ValueError):
        return False


def truncate_repr(text: str, limit: int = 400) -> str:
    """The reference's long-output rule: first half + '...' + last half when over `limit` characters."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return text[:half] + "..." + text[-half:]
