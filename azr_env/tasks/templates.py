"""Prompt templates: packaged `prompts/<name>.txt` files that users can override (CONTRACTS.md).

Templates use `string.Template` placeholders (`$program`), so code with braces needs no escaping. Pass
`template_dir` (or `TaskConfig.template_dir`) to replace any subset of them: a folder of `<name>.txt` files
(one final newline of each file is dropped), or the path of a user's copy of the reference's `prompts.py`,
read as data by `azr_env.tasks.reference_prompts` (`--prompts-from`), which renders the reference's prompts
byte for byte.

Repeated parts are templates too, so that any layout can be expressed: each reference task of a proposer prompt
is one `reference` (fields `index` from 0, `program`, `input`, `output`, `output_block` = "output" or "error")
and the sections are joined with `reference_separator` (`no_references` when there are none); each shown
induction pair is one `pair` (`index`, `input`, `output`) joined with `pair_separator`. Proposer templates also
get `banned_keywords` (the banned list, comma-separated) and `banned_error_keywords_line`.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from azr_env.errors import ConfigError
from azr_env.tasks.base import PROMPT_FORMATS  # defined once, beside TaskConfig.prompt_format
from azr_env.tasks.reference_prompts import is_prompts_file, reference_templates


@functools.lru_cache(maxsize=256)
def _read(name: str, template_dir: str | None) -> str:
    if template_dir is not None:
        path = Path(template_dir) / f"{name}.txt"
        if path.is_file():
            return _strip_final_newline(path.read_text(encoding="utf-8"))
    packaged = resources.files("azr_env.tasks").joinpath("prompts", f"{name}.txt")
    if not packaged.is_file():
        known = sorted(p.name[:-4] for p in resources.files("azr_env.tasks").joinpath("prompts").iterdir())
        raise ConfigError(f"no prompt template {name!r}; known templates: {', '.join(known)}")
    return _strip_final_newline(packaged.read_text(encoding="utf-8"))


def _strip_final_newline(text: str) -> str:
    return text[:-1] if text.endswith("\n") else text


def load_template(name: str, template_dir: str | None = None) -> str:
    """Raw text of template `name`: from `template_dir` (a folder with `<name>.txt`, or a reference prompts.py
    that provides `name`), else the packaged one."""
    if is_prompts_file(template_dir):
        provided = reference_templates(str(template_dir))
        if name in provided:
            return provided[name]
        template_dir = None
    return _read(name, None if template_dir is None else str(template_dir))


def render(name: str, template_dir: str | None = None, **fields: object) -> str:
    """Fill template `name`; a placeholder without a value raises ConfigError naming it."""
    try:
        return string.Template(load_template(name, template_dir)).substitute({k: str(v) for k, v in fields.items()})
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"prompt template {name!r} needs a value for {exc}; given {sorted(fields)}") from exc


def joined(name: str, rows: Sequence[Mapping[str, object]], template_dir: str | None = None) -> str:
    """Template `name` rendered once per row, joined with `<name>_separator` (`no_<name>s` if no rows)."""
    if not rows:
        return load_template(f"no_{name}s", template_dir)
    separator = load_template(f"{name}_separator", template_dir)
    return separator.join(render(name, template_dir, **row) for row in rows)


def reference_sections(references: Sequence[Any], template_dir: str | None = None, *,
                       output_block: str = "output") -> str:  # fmt: skip
    """The proposer prompt's reference tasks: one numbered `reference` section per task (index from 0)."""
    rows = [
        {"index": i, "program": t.program, "input": t.input, "output": t.output, "output_block": output_block}
        for i, t in enumerate(references)
    ]
    return joined("reference", rows, template_dir)


def pair_sections(pairs: Sequence[tuple[str, str]], template_dir: str | None = None) -> str:
    """The induction solver prompt's shown (input, output) pairs: one indexed `pair` each (index from 0)."""
    return joined("pair", [{"index": i, "input": x, "output": y} for i, (x, y) in enumerate(pairs)], template_dir)


def banned_keyword_fields(banned: Sequence[str], banned_error: Sequence[str], template_dir: str | None = None) -> dict:
    """`banned_keywords` (comma-separated) and `banned_error_keywords_line` for proposer templates."""
    if banned_error:
        line = render("banned_error_keywords_line", template_dir, keywords=", ".join(banned_error))
    else:
        line = load_template("no_banned_error_keywords_line", template_dir)
    return {"banned_keywords": ", ".join(banned), "banned_error_keywords_line": line}


def format_prompt(user_prompt: str, prompt_format: str = "r1", template_dir: str | None = None) -> str:
    """Wrap a task prompt for the model: "r1" (SPEC §1 preamble, `User:`, `Assistant: <think>`), "raw", or "chat"
    (unchanged here: the backend applies the model's chat template)."""
    if prompt_format in ("raw", "chat"):
        return user_prompt
    if prompt_format == "r1":
        return render("r1", template_dir, prompt=user_prompt)
    raise ConfigError(f"prompt_format={prompt_format!r}; choose one of {PROMPT_FORMATS}")
