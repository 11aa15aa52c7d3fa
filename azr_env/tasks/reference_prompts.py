"""`--prompts-from PATH`: the reference's prompt templates, read as data from a user's own copy of its code.

azr-env ships prompts in its own wording. A user reproducing the paper exactly points `template_dir` (or
`azr selfplay --prompts-from`) at their copy of the reference's `absolute_zero_reasoner/data_construction/
prompts.py`; this module turns that file into azr-env templates (`string.Template` text, same names as the
packaged `prompts/*.txt`) so that rendering is byte-identical to the reference's own prompt functions
(tests/tasks/test_reference_prompts.py runs those functions and compares).

The file is parsed with `ast`, never imported or executed: module-level string constants (`code_input_prompt`,
..., `code_suffix`) are str.format templates that are translated, and three f-strings inside the prompt
functions give the numbered reference section, the indexed input/output pair and the banned error-keyword line.
The R1 preamble (`instruction_following`) lives in the sibling `process_data.py`; when that file is absent the
packaged `r1` template is kept (`reference_template_names` says which templates a file provides).

Options that the reference passes at run time are fixed here as its released scripts set them: composite
functions off, `remove_after_return=False`, `remove_input_from_snippet=False` (both switchable).
"""

from __future__ import annotations

import ast
import functools
import string
from dataclasses import dataclass
from pathlib import Path

from azr_env.errors import ConfigError

MAX_FILE_BYTES = 1 << 20
INSTRUCTION_FILE = "process_data.py"

# Our template name -> (reference constant, reference placeholder -> our field).
_CONSTANTS: dict[str, tuple[str, dict[str, str]]] = {
    "propose_abduction": ("code_input_prompt", {}),
    "propose_deduction": ("code_output_prompt", {}),
    "propose_error_type": ("code_error_prompt", {}),
    "propose_induction": ("code_function_prompt", {"num_inputs": "num_inputs"}),
    "solve_abduction": ("code_input_predictor_prompt", {"snippet": "program", "output": "output"}),
    "solve_deduction": ("code_output_predictor_prompt", {"snippet": "program", "input_args": "input"}),
    "solve_error_type": ("code_error_predictor_prompt", {"snippet": "program", "input_args": "input"}),
    "solve_induction": ("code_function_predictor_prompt", {"input_output_pairs": "pairs", "message": "message"}),
}
# f-string expressions (as `ast.unparse` writes them) -> our fields.
_SECTION_FIELDS = {
    "i": "index", "snippet['snippet']": "program", "snippet['input']": "input", "snippet['output']": "output",
    "output_key": "output_block",
}  # fmt: skip
_PAIR_FIELDS = {"i": "index", "input": "input", "output": "output"}
_MARKERS = {"<|BANNED_KEYWORDS|>": "banned_keywords", "<|BANNED_ASSERTION_KEYWORDS|>": "banned_error_keywords_line"}


@dataclass(frozen=True)
class ReferencePromptOptions:
    """Run-time switches of the reference's `get_code_problem_generator_prompt` (its scripts: both False)."""

    remove_after_return: bool = False
    """Show the "variables outside functions will be removed" line instead of a blank line."""
    remove_input_from_snippet: bool = False
    """Show the "do not put the test input in the snippet" line."""


def _escape(text: str) -> str:
    return text.replace("$", "$$")


def _read_module(path: Path) -> ast.Module:
    if not path.is_file():
        raise ConfigError(f"prompts file {path} does not exist; pass your copy of the reference's "
                          "absolute_zero_reasoner/data_construction/prompts.py")  # fmt: skip
    if path.stat().st_size > MAX_FILE_BYTES:
        raise ConfigError(f"prompts file {path} is over {MAX_FILE_BYTES} bytes; is it the reference's prompts.py?")
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"prompts file {path} is not readable Python source: {exc}") from exc


def _string_value(node: ast.AST) -> str | None:
    """A str constant or a `+` chain of them (how `composite_requirements_prompt` is written), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _string_value(node.left), _string_value(node.right)
        return None if left is None or right is None else left + right
    return None


def _constants(module: ast.Module) -> dict[str, str]:
    out: dict[str, str] = {}
    for node in module.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _string_value(node.value)
            if value is not None:
                out[node.targets[0].id] = value
    return out


def _format_to_template(text: str, fields: dict[str, str], literals: dict[str, str], where: str) -> str:
    """A str.format template -> a string.Template: `{name}` becomes `${field}` (or a fixed literal)."""
    out = []
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        raise ConfigError(f"{where}: not a format string ({exc})") from exc
    for literal, name, spec, conversion in parsed:
        out.append(_escape(literal))
        if name is None:
            continue
        if spec or conversion:
            raise ConfigError(f"{where}: placeholder {{{name}}} has a format spec; not a reference prompt")
        if name in literals:
            out.append(_escape(literals[name]))
        elif name in fields:
            out.append("${" + fields[name] + "}")
        else:
            raise ConfigError(f"{where}: unknown placeholder {{{name}}}; known: {', '.join(sorted(fields | literals))}")
    return "".join(out)


def _replace_markers(template: str, markers: tuple[str, ...]) -> str:
    for marker in markers:
        template = template.replace(_escape(marker), "${" + _MARKERS[marker] + "}")
    return template


def _fstring_to_template(node: ast.JoinedStr, fields: dict[str, str], where: str) -> str:
    out = []
    for part in node.values:
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            out.append(_escape(part.value))
        elif isinstance(part, ast.FormattedValue) and part.format_spec is None and part.conversion == -1:
            expression = ast.unparse(part.value)
            if expression not in fields:
                raise ConfigError(f"{where}: f-string field {{{expression}}} is not one of {sorted(fields)}")
            out.append("${" + fields[expression] + "}")
        else:
            raise ConfigError(f"{where}: unsupported f-string part {ast.unparse(part)[:60]!r}")
    return "".join(out)


def _function(module: ast.Module, name: str, path: Path) -> ast.FunctionDef:
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return node
    raise ConfigError(f"{path} has no function {name}(); is it the reference's prompts.py?")


def _fstring_containing(function: ast.FunctionDef, marker: str, path: Path) -> ast.JoinedStr:
    for node in ast.walk(function):
        if isinstance(node, ast.JoinedStr) and any(
            isinstance(p, ast.Constant) and isinstance(p.value, str) and marker in p.value for p in node.values
        ):
            return node
    raise ConfigError(f"{path}: {function.name}() has no f-string containing {marker!r}")


def _assertion_line(function: ast.FunctionDef, path: Path) -> tuple[str, str]:
    """(line with `${keywords}`, line without keywords) from the two `assertion_keywords_string = ...`."""
    with_keywords = without = None
    for node in ast.walk(function):
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id == "assertion_keywords_string"):  # fmt: skip
            continue
        constant = _string_value(node.value)
        if constant is not None:
            without = _escape(constant)
            continue
        parts: list[str] = []
        stack: list[ast.AST] = [node.value]
        while stack:  # flatten the `a + b + c` chain, left to right
            item = stack.pop()
            if isinstance(item, ast.BinOp) and isinstance(item.op, ast.Add):
                stack += [item.right, item.left]
            elif _string_value(item) is not None:
                parts.append(_escape(_string_value(item) or ""))
            elif isinstance(item, ast.Call) and ast.unparse(item) == "', '.join(banned_assertion_keywords)":
                parts.append("${keywords}")
            else:
                raise ConfigError(f"{path}: unexpected part {ast.unparse(item)[:60]!r} in assertion_keywords_string")
        with_keywords = "".join(parts)
    if with_keywords is None or without is None:
        raise ConfigError(f"{path}: {function.name}() lacks the two assertion_keywords_string assignments")
    return with_keywords, without


def _instruction(path: Path) -> str | None:
    """The R1 preamble from the sibling process_data.py as a template, or None when that file is absent."""
    sibling = path.with_name(INSTRUCTION_FILE)
    if not sibling.is_file():
        return None
    text = _constants(_read_module(sibling)).get("instruction_following")
    if text is None:
        raise ConfigError(f"{sibling} has no instruction_following string")
    return _format_to_template(text, {"": "prompt"}, {}, f"{sibling}: instruction_following")


def parse_reference_prompts(path: str | Path, options: ReferencePromptOptions | None = None) -> dict[str, str]:
    """Template name -> `string.Template` text, read from the reference's prompts.py at `path` (as data).

    Raises ConfigError naming what is missing when the file does not have the reference's shape.
    """
    path = Path(path)
    options = options or ReferencePromptOptions()
    module = _read_module(path)
    constants = _constants(module)
    missing = [c for c, _ in _CONSTANTS.values() if c not in constants] + [
        c for c in ("code_suffix", "remove_input_from_snippet_prompt", "remove_singleton_variables_prompt")
        if c not in constants
    ]  # fmt: skip
    if missing:
        raise ConfigError(f"{path} lacks {', '.join(missing)}; is it the reference's prompts.py?")
    literals = {
        "remove_after_return_prompt": constants["remove_singleton_variables_prompt"] if options.remove_after_return
        else "\n",
        "remove_input_from_snippet_prompt": constants["remove_input_from_snippet_prompt"]
        if options.remove_input_from_snippet else "",
    }  # fmt: skip
    templates: dict[str, str] = {}
    for name, (constant, fields) in _CONSTANTS.items():
        where = f"{path}: {constant}"
        if name == "propose_induction":  # the snippet is shown with the call suffix appended
            text = constants[constant].replace("{snippet}", "{snippet}{code_suffix}")
            template = _format_to_template(text, fields | {"snippet": "program"},
                                           {"code_suffix": constants["code_suffix"]}, where)  # fmt: skip
        elif name.startswith("propose_"):  # header, then the numbered sections, then "\n" (no composites)
            markers = tuple(_MARKERS) if name == "propose_error_type" else ("<|BANNED_KEYWORDS|>",)
            template = _replace_markers(_format_to_template(constants[constant], fields, literals, where), markers)
            template += "${references}\n"
        else:
            template = _format_to_template(constants[constant], fields, {}, where)
        templates[name] = template
    generator = _function(module, "get_code_problem_generator_prompt", path)
    predictor = _function(module, "get_code_problem_predictor_prompt", path)
    templates["reference"] = _fstring_to_template(_fstring_containing(generator, "<snippet_", path),
                                                  _SECTION_FIELDS, f"{path}: reference section")  # fmt: skip
    templates["pair"] = _fstring_to_template(_fstring_containing(predictor, "```input_", path), _PAIR_FIELDS,
                                             f"{path}: input/output pair")  # fmt: skip
    templates["banned_error_keywords_line"], templates["no_banned_error_keywords_line"] = _assertion_line(
        generator, path
    )
    templates["reference_separator"] = templates["pair_separator"] = templates["no_references"] = ""
    instruction = _instruction(path)
    if instruction is not None:
        templates["r1"] = instruction
    return templates


@functools.lru_cache(maxsize=8)
def _cached(path: str, mtime_ns: int, size: int) -> dict[str, str]:
    return parse_reference_prompts(path)


def reference_templates(path: str | Path) -> dict[str, str]:
    """`parse_reference_prompts` with the default options, cached per file version."""
    p = Path(path)
    if not p.is_file():
        raise ConfigError(f"prompts file {p} does not exist; pass your copy of the reference's prompts.py")
    stat = p.stat()
    sibling = p.with_name(INSTRUCTION_FILE)
    extra = sibling.stat().st_mtime_ns if sibling.is_file() else 0
    return _cached(str(p.resolve()), stat.st_mtime_ns + extra, stat.st_size)


def reference_template_names(path: str | Path) -> list[str]:
    """Which templates the file provides (the others stay the packaged ones)."""
    return sorted(reference_templates(path))


def is_prompts_file(template_dir: str | Path | None) -> bool:
    """`template_dir` names a reference-format prompts.py (rather than a folder of `<name>.txt`)."""
    return template_dir is not None and str(template_dir).endswith(".py")


__all__ = [
    "ReferencePromptOptions", "is_prompts_file", "parse_reference_prompts", "reference_template_names",
    "reference_templates",
]  # fmt: skip
