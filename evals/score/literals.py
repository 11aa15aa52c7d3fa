"""Turn a repr that came back from a sandboxed child into a Python value, safely, in the parent.

`ast.literal_eval` plus the few reprs Python writes for values that are not literals: `inf`, `nan`, `set()`,
`frozenset({...})`. Nothing is evaluated: anything else (a custom class, `<re.Match ...>`) gives `UNPARSABLE`, so a
model-written object with a lying `__eq__` never reaches a comparison.
"""

from __future__ import annotations

import ast
import math
from typing import Any


class _Unparsable:
    def __repr__(self) -> str:
        return "UNPARSABLE"


UNPARSABLE: Any = _Unparsable()
_NAMES = {"inf": math.inf, "nan": math.nan, "True": True, "False": False, "None": None}


def _build(node: ast.AST) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name) and node.id in _NAMES:
        return _NAMES[node.id]
    if isinstance(node, ast.Tuple):
        return tuple(_build(e) for e in node.elts)
    if isinstance(node, ast.List):
        return [_build(e) for e in node.elts]
    if isinstance(node, ast.Set):
        return {_build(e) for e in node.elts}
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_build(k): _build(v) for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _build(node.operand)
        if isinstance(value, int | float | complex) and not isinstance(value, bool):
            return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub):
        left, right = _build(node.left), _build(node.right)
        if isinstance(left, int | float) and isinstance(right, complex):  # complex reprs: (1+2j)
            return left + right if isinstance(node.op, ast.Add) else left - right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
        if node.func.id in ("set", "frozenset") and len(node.args) <= 1:
            items = _build(node.args[0]) if node.args else ()
            return set(items) if node.func.id == "set" else frozenset(items)
        if node.func.id == "float" and len(node.args) == 1:  # float('inf') / float('nan')
            arg = _build(node.args[0])
            if isinstance(arg, str) and arg.strip().lower() in ("inf", "-inf", "nan", "infinity", "-infinity"):
                return float(arg)
    raise ValueError(f"not a literal: {ast.dump(node)[:80]}")


def literal_or_unparsable(text: str) -> Any:
    """The value written by `text` (a repr), or `UNPARSABLE`."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    try:
        return _build(ast.parse(text, mode="eval").body)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return UNPARSABLE
