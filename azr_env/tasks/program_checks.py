"""Static checks on a proposed program, before anything runs (SPEC §1 and §3, steps 1–2).

The banned list is about task quality (no randomness, clocks, I/O), not security: the sandbox is the security
boundary. Unlike the reference, which only looks at import statements and so never matches its dotted entries,
both imports and attribute use are checked, through any alias (`import os as o; o.path.join`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

BANNED_MODULES: tuple[str, ...] = (
    "logging", "random", "multiprocessing", "pebble", "subprocess", "threading", "datetime", "time",
    "hashlib", "hmac", "bcrypt", "os.sys", "os.path", "sys.exit", "os.environ", "calendar",
)  # fmt: skip


@dataclass(frozen=True)
class ProgramProblem:
    """Why a program was rejected: a stable `reason` code plus a human-readable `detail`."""

    reason: str
    detail: str


def _covers(banned: str, dotted: str) -> bool:
    """`dotted` (a module or attribute path) uses banned entry `banned` (`os.path` covers `os.path.join`)."""
    return dotted == banned or dotted.startswith(banned + ".")


def _attribute_path(node: ast.AST) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return parts[::-1]


def banned_use(tree: ast.AST, banned: tuple[str, ...] = BANNED_MODULES) -> str | None:
    """The first banned module or attribute the program uses (as a dotted name), or None."""
    aliases: dict[str, str] = {}  # local name -> the dotted module path it stands for
    used: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                used.append(alias.name)
                if alias.asname:
                    aliases[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    aliases[head] = head
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            used.append(node.module)
            for alias in node.names:
                used.append(f"{node.module}.{alias.name}")
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = _attribute_path(node.func)
            if func and func[-1] in ("__import__", "import_module") and isinstance(node.args[0].value, str):
                used.append(node.args[0].value)
    for node in ast.walk(tree):
        path = _attribute_path(node) if isinstance(node, ast.Attribute) else None
        if path and path[0] in aliases:
            used.append(".".join([aliases[path[0]], *path[1:]]))
    for dotted in used:
        for entry in banned:
            if _covers(entry, dotted):
                return entry
    return None


def _rename_first_def(code: str, tree: ast.Module, func: ast.FunctionDef) -> str:
    """Rename `func` to `f` in the source text, including its own recursive references, keeping formatting."""
    old = func.name
    if old == "f":
        return code
    parts = code.split("\n")
    lines = [part + "\n" for part in parts[:-1]] + [parts[-1]]
    edits: list[tuple[int, int, int]] = []  # (line index, start byte, end byte)
    def_line = lines[func.lineno - 1].encode()
    start = def_line.find(b"def", func.col_offset)
    name_at = def_line.find(old.encode(), start + 3)
    edits.append((func.lineno - 1, name_at, name_at + len(old.encode())))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == old and node.lineno == node.end_lineno:
            edits.append((node.lineno - 1, node.col_offset, node.end_col_offset or node.col_offset))
    encoded = [line.encode() for line in lines]
    by_line: dict[int, list[tuple[int, int]]] = {}
    for line_no, begin, end in sorted(set(edits)):
        by_line.setdefault(line_no, []).append((begin, end))
    for line_no, spans in by_line.items():  # one pass per line: linear in the text, however many references
        line, pieces, pos = encoded[line_no], [], 0
        for begin, end in spans:
            pieces += [line[pos:begin], b"f"]
            pos = end
        pieces.append(line[pos:])
        encoded[line_no] = b"".join(pieces)
    renamed = b"".join(encoded).decode()
    try:  # positions can be off with exotic line breaks (a lone "\r"): fall back to re-printing the tree
        new_tree = ast.parse(renamed)
        if any(isinstance(n, ast.FunctionDef) and n.name == "f" for n in new_tree.body):
            return renamed
    except SyntaxError:
        pass
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == old:
            node.id = "f"
    func.name = "f"
    return ast.unparse(tree)


def check_program(
    code: str, *, banned: tuple[str, ...] = BANNED_MODULES, forbid_input: bool = True,
    reject_multiple_functions: bool = True, f_replace_location: str = "first",
) -> tuple[str, ProgramProblem | None]:
    """SPEC §3 steps 1–2 and the single-`def` rule: (program with its function renamed `f`, problem).

    Rules, each with its reason code: `syntax_error` (ast.parse fails), `multiple_defs` (more than one `def`,
    nested functions and methods included, when `reject_multiple_functions`), `no_function` (no top-level `def`,
    or the chosen one is not at top level), `no_parameters` (`f` takes none), `banned_module` (import or attribute
    use of `banned`), `uses_input` (the text contains `input(`, as in the reference). The function renamed `f`:
    the first `def` ("first", the reference's default) or, with "any_last" (its Llama and Qwen3 runs), a `def` named
    `f` if there is one, else the last `def` in the text (nested ones and methods count, as in the reference).
    """
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        return code, ProgramProblem("syntax_error", f"program does not parse: {type(exc).__name__}: {exc}")
    defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if reject_multiple_functions and len(defs) > 1:
        names = ", ".join(d.name for d in defs[:5])
        return code, ProgramProblem("multiple_defs", f"program has {len(defs)} defs ({names}); exactly one allowed")
    top = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if not top:
        return code, ProgramProblem("no_function", "program defines no top-level function")
    func = top[0]
    if f_replace_location == "any_last":
        in_text_order = sorted(defs, key=lambda d: (d.lineno, d.col_offset))
        named_f = [d for d in in_text_order if d.name == "f"]
        chosen = named_f[0] if named_f else in_text_order[-1]
        if chosen not in top:
            return code, ProgramProblem("no_function", f"the def chosen as f ({chosen.name!r}, the last in the text) "
                                                       "is not a top-level function")  # fmt: skip
        func = chosen
    args = func.args
    if not (args.posonlyargs or args.args or args.kwonlyargs or args.vararg or args.kwarg):
        return code, ProgramProblem("no_parameters", f"function {func.name!r} takes no parameters")
    hit = banned_use(tree, banned)
    if hit:
        return code, ProgramProblem("banned_module", f"program uses banned module or attribute {hit!r}")
    if forbid_input and "input(" in code:
        return code, ProgramProblem("uses_input", "program contains 'input('")
    return _rename_first_def(code, tree, func), None
