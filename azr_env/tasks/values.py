"""Answers as values, never as code run in this process (SPEC §2, "Checking answers").

Small literals are parsed here with bounds (size, nesting depth, node count, integer size, elements of one
set or dict) and compared with `==`; anything larger or unusual, and any answer that is an expression rather
than a literal, is compared inside the sandbox by `sandbox_compare` (the child returns only True/False).
Answer grammars: `answer_mode="data"` admits literals plus calls of a few data constructors;
`answer_mode="expression"` admits any expression except the names and forms in `EXPRESSION_BANNED_NAMES`.
"""

from __future__ import annotations

import ast
import re
import threading
from collections import OrderedDict
from typing import Any

# ---- bounds on what is parsed in the trainer's process (docs/envs.md, "Caps") ----------------------------------
LITERAL_MAX_CHARS = 1 << 14
"""Longest text parsed as a literal in this process; longer values are compared in the sandbox."""
LITERAL_MAX_NODES = 4096
"""Most syntax-tree nodes of a literal parsed here."""
LITERAL_MAX_DEPTH = 64
"""Deepest nesting of a literal parsed here."""
LITERAL_MAX_INT_BITS = 4096
"""Largest integer literal parsed here (well below Python's 4300-digit repr limit)."""
LITERAL_MAX_HASHED = 512
"""Most elements of one set or dict display parsed here (equal-hash keys make hashing quadratic)."""
CACHE_MAX_BYTES = 16 << 20
"""Byte budget of the literal cache (an upper estimate of the cached values' memory)."""
CACHE_MAX_TEXT = 4096
"""Only texts up to this length are cached."""

_MISSING = object()
OK, NOT_LITERAL, TOO_LARGE = "ok", "not_literal", "too_large"

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
EXPRESSION_BANNED_NAMES = frozenset(
    {
        "exec", "eval", "compile", "getattr", "setattr", "delattr", "hasattr", "globals", "vars", "locals",
        "builtins", "__builtins__", "__import__", "importlib", "type", "object", "super", "open", "input",
        "breakpoint", "exit", "quit", "help", "memoryview", "classmethod", "staticmethod", "property",
    }
)  # fmt: skip
"""Names an answer may not use in either mode (SPEC §2); names starting with `__` are rejected too."""
ANSWER_MODES = ("data", "expression")
_DUNDER = re.compile(r"__[A-Za-z]\w*__")


# ---- bounded literal parsing -------------------------------------------------------------------------------
def _estimate_bytes(text: str, nodes: int) -> int:
    """Upper estimate of a cache entry's memory: a generous per-node cost, plus 12 bytes a character (the key
    text, at most 4 bytes a character plus the UTF-8 copy parsing leaves on it, and the strings parsed from
    it, at most 4 bytes a character), plus the entry itself."""
    return 256 * nodes + 12 * len(text) + 256


class LiteralCache:
    """LRU cache of parsed literals bounded in (estimated) bytes, so that thousands of distinct large answers
    cannot grow the trainer's memory. Thread-safe; values are shared, so callers must not mutate them."""

    def __init__(self, max_bytes: int = CACHE_MAX_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict[str, tuple[str, Any, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> tuple[str, Any] | None:
        with self._lock:
            item = self._items.get(text)
            if item is None:
                return None
            self._items.move_to_end(text)
            return item[0], item[1]

    def put(self, text: str, status: str, value: Any, cost: int) -> None:
        if cost > self.max_bytes // 8:
            return
        with self._lock:
            if text in self._items:
                return
            self._items[text] = (status, value, cost)
            self.bytes += cost
            while self.bytes > self.max_bytes and self._items:
                _, (_, _, old) = self._items.popitem(last=False)
                self.bytes -= old

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.bytes = 0

    def __len__(self) -> int:
        return len(self._items)


LITERAL_CACHE = LiteralCache()


def _bounded_tree(text: str) -> tuple[str, ast.Expression | None, int]:
    """(status, tree, node count): the text parsed as an expression if it is within every bound."""
    if len(text) > LITERAL_MAX_CHARS:
        return TOO_LARGE, None, 0
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError):
        # Deep nesting makes the parser itself give up: too unusual to judge here, not a verdict.
        return (TOO_LARGE if _max_bracket_depth(text) > LITERAL_MAX_DEPTH else NOT_LITERAL), None, 0
    nodes = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        if nodes > LITERAL_MAX_NODES or depth > LITERAL_MAX_DEPTH:
            return TOO_LARGE, None, nodes
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            if node.value.bit_length() > LITERAL_MAX_INT_BITS:
                return TOO_LARGE, None, nodes
        elif isinstance(node, (ast.Set, ast.Dict)):
            size = len(node.elts) if isinstance(node, ast.Set) else len(node.keys)
            if size > LITERAL_MAX_HASHED:
                return TOO_LARGE, None, nodes
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return OK, tree, nodes


def _max_bracket_depth(text: str) -> int:
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}":
            depth -= 1
    return deepest


def read_literal(text: str) -> tuple[str, Any]:
    """(status, value): status "ok" with the value when `text` is a Python literal within the bounds above,
    "not_literal" when it is not a literal, "too_large" when it is beyond the bounds (compare it in the
    sandbox instead). Never raises, never executes. Results of short texts are cached."""
    cached = LITERAL_CACHE.get(text) if len(text) <= CACHE_MAX_TEXT else None
    if cached is not None:
        return cached
    status, tree, nodes = _bounded_tree(text)
    value: Any = None
    if status == OK:
        try:
            value = ast.literal_eval(tree)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError, OverflowError):
            status = NOT_LITERAL
    if len(text) <= CACHE_MAX_TEXT:
        LITERAL_CACHE.put(text, status, value, _estimate_bytes(text, nodes))
    return status, value


def parse_literal(text: str) -> tuple[bool, Any]:
    """(True, value) when `text` is a literal within the bounds, else (False, None). Never raises."""
    status, value = read_literal(text)
    return (True, value) if status == OK else (False, None)


def compare_literals(gold_repr: str, candidate: str) -> bool | None:
    """Whether `candidate` states the gold value, decided here when both are small literals; None when it
    must be decided in the sandbox (an expression, a large or unusual literal, a gold that does not
    round-trip such as `inf` or `deque([1])`)."""
    if candidate.strip() == gold_repr.strip():
        return True
    gold_status, gold = read_literal(gold_repr)
    cand_status, cand = read_literal(candidate)
    if gold_status != OK or cand_status != OK:
        return None
    try:
        return bool(gold == cand)
    except (RecursionError, MemoryError, TypeError, ValueError):
        return None


def same_value(gold_repr: str, candidate_repr: str) -> bool:
    """Whether a candidate's repr states the gold value, deciding only what can be decided here (SPEC §2):
    exact text, or both small literals equal with `==` (the reference's `eval(gold) == eval(answer)`)."""
    return compare_literals(gold_repr, candidate_repr) is True


# ---- answer grammars --------------------------------------------------------------------------------------
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


def expression_problem(node: ast.AST) -> str | None:
    """None if `node` may be evaluated as an answer in `answer_mode="expression"`; else why not.

    Rejected in any position: names in `EXPRESSION_BANNED_NAMES`, names and attributes starting with `__`
    (dunders and the checker's own helpers), strings that are a dunder name (`operator.attrgetter('__class__')`,
    a `namespace={'__eq__': ...}`), and assignment expressions (an answer binds no names).
    """
    for sub in ast.walk(node):
        if isinstance(sub, ast.Name) and (sub.id in EXPRESSION_BANNED_NAMES or sub.id.startswith("__")):
            return f"name {sub.id!r} is not allowed in an answer"
        if isinstance(sub, ast.Attribute) and sub.attr.startswith("__"):
            return f"attribute {sub.attr!r} is not allowed in an answer"
        if isinstance(sub, ast.NamedExpr):
            return "assignment expressions are not allowed in an answer"
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and _DUNDER.fullmatch(sub.value):
            return f"the string {sub.value!r} names a dunder (it could reach one through attrgetter and the like)"
        if isinstance(sub, (ast.Await, ast.Yield, ast.YieldFrom)):
            return f"{type(sub).__name__} is not allowed in an answer"
    return None


def grammar_problem(node: ast.AST, mode: str) -> str | None:
    return expression_problem(node) if mode == "expression" else data_expression_problem(node)


def _parse_bounded(text: str) -> tuple[ast.Expression | None, str]:
    if len(text) > LITERAL_MAX_CHARS:
        return None, f"answer is {len(text)} characters; at most {LITERAL_MAX_CHARS} are read"
    try:
        return ast.parse(text, mode="eval"), ""
    except (SyntaxError, ValueError, MemoryError, RecursionError, OverflowError) as exc:
        return None, f"not a Python expression ({type(exc).__name__})"


def parse_expression(text: str) -> tuple[ast.Expression | None, str]:
    """Parse `text` as one expression: (tree, "") or (None, reason). Bounded in size."""
    return _parse_bounded(text.strip())


def value_problem(text: str, mode: str = "data") -> str | None:
    """None if `text` is a single expression an answer may state in `mode`, else the reason."""
    if not text.strip():
        return "empty value"
    tree, why = parse_expression(text)
    if tree is None:
        return why
    return grammar_problem(tree, mode)


def argument_list_problem(text: str, mode: str = "data") -> str | None:
    """None if `text` is exactly an argument list (what goes between `f(` and `)`) of answers in `mode`.

    `'abc') or (1` is rejected: pasted into `f(...)` it parses to a boolean expression, not one call. An
    empty list is an argument list only in `answer_mode="expression"` (a function without parameters).
    """
    if not text.strip() and mode != "expression":
        return "empty argument list"
    tree, why = _parse_bounded(f"f(\n{text}\n)")
    if tree is None:
        return "not an argument list: " + why
    call = tree.body
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "f"):
        return "not an argument list: text closes the call's parenthesis"
    for arg in [*call.args, *(kw.value for kw in call.keywords)]:
        problem = grammar_problem(arg, mode)
        if problem:
            return problem
    return None


def literal_arguments(text: str) -> tuple[bool, Any]:
    """Argument list `text` as a literal tuple of positional values (no keywords, no starred), if so."""
    return parse_literal(f"(\n{text}\n,)") if text.strip() else (False, None)


def truncate_repr(text: str, limit: int = 400) -> str:
    """The reference's long-output rule: first half + '...' + last half when over `limit` characters."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return text[:half] + "..." + text[-half:]


# ---- comparison inside the sandbox -------------------------------------------------------------------------
# Appended after the task's code, so the program cannot replace it; builtins are bound at definition time. The
# child gets the gold repr (our own text) and the value, and returns only True or False: exact repr (after the
# reference's truncation when `cut`), else both values of plain builtin data types and equal with `==` (no
# class written by the model or the program takes part in the comparison).
SANDBOX_COMPARE = '''
def __azr_plain(value, _type=type, _id=id, _len=len):
    from collections import Counter, OrderedDict, defaultdict, deque
    atoms = (type(None), bool, int, float, complex, str, bytes, range)
    maps = (dict, Counter, OrderedDict, defaultdict)
    containers = (list, tuple, set, frozenset, bytearray, deque)
    stack, seen, budget = [value], set(), 1000000
    while stack:
        item = stack.pop()
        kind = _type(item)
        budget -= 1
        if budget < 0:
            return False
        if kind in atoms:
            continue
        if kind not in maps and kind not in containers:
            return False
        if _id(item) in seen:
            continue
        seen.add(_id(item))
        if kind in maps:
            stack.extend(item.keys())
            stack.extend(item.values())
        elif kind is not bytearray:
            stack.extend(item)
    return True


def __azr_same(gold, value, cut=0, _repr=repr, _len=len, _plain=__azr_plain):
    try:
        text = _repr(value)
    except Exception:  # e.g. an integer past the int-to-str digit limit: compare values only
        text = None
    if text is None:
        return not cut and _plain(value) and __azr_equal(gold, value)
    if cut and _len(text) > cut:
        half = cut // 2
        return text[:half] + "..." + text[_len(text) - half:] == gold
    if text == gold:
        return True
    return _plain(value) and __azr_equal(gold, value)


def __azr_equal(gold, value, _eval=eval, _plain=__azr_plain):
    from collections import Counter, OrderedDict, defaultdict, deque
    names = {"deque": deque, "Counter": Counter, "OrderedDict": OrderedDict, "defaultdict": defaultdict,
             "inf": float("inf"), "nan": float("nan"), "__builtins__": {"set": set, "frozenset": frozenset,
             "float": float, "complex": complex, "range": range, "bytearray": bytearray, "int": int}}
    try:
        expected = _eval(gold, names)
    except Exception:
        return False
    return _plain(expected) and expected == value
'''


def sandbox_same(gold_repr: str, value_expression: str, cut: int = 0) -> str:
    """Expression for the sandbox: whether `value_expression` states the value `gold_repr` stands for."""
    return f"__azr_same({gold_repr!r}, (\n{value_expression}\n), {int(cut)})"


def read_sandbox_bools(value_repr: str | None, count: int) -> list[bool] | None:
    """The `True`/`False` (or list of them) that `sandbox_same` expressions returned, or None if unreadable."""
    text = (value_repr or "").strip()
    if count == 1 and text in ("True", "False"):
        return [text == "True"]
    if not (text.startswith("[") and text.endswith("]")):
        return None
    parts = [p.strip() for p in text[1:-1].split(",")] if text[1:-1].strip() else []
    if len(parts) != count or any(p not in ("True", "False") for p in parts):
        return None
    return [p == "True" for p in parts]

