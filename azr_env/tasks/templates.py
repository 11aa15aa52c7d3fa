"""Prompt templates: packaged `prompts/<name>.txt` files that users can override (CONTRACTS.md).

Templates use `string.Template` placeholders (`$program`), so code with braces needs no escaping. Pass
`template_dir` (or `TaskConfig.template_dir`) to replace any subset of them, e.g. with the reference prompts.
"""

from __future__ import annotations

import functools
import string
from importlib import resources
from pathlib import Path

from azr_env.errors import ConfigError

PROMPT_FORMATS = ("r1", "raw")


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
    """Raw text of template `name` (from `template_dir` if it has `<name>.txt`, else the packaged one)."""
    return _read(name, None if template_dir is None else str(template_dir))


def render(name: str, template_dir: str | None = None, **fields: object) -> str:
    """Fill template `name`; a placeholder without a value raises ConfigError naming it."""
    try:
        return string.Template(load_template(name, template_dir)).substitute({k: str(v) for k, v in fields.items()})
    except (KeyError, ValueError) as exc:
        raise ConfigError(f"prompt template {name!r} needs a value for {exc}; given {sorted(fields)}") from exc


def format_prompt(user_prompt: str, prompt_format: str = "r1", template_dir: str | None = None) -> str:
    """Wrap a task prompt for the model: "r1" (SPEC §1 preamble, `User:`, `Assistant: <think>`) or "raw"."""
    if prompt_format == "raw":
        return user_prompt
    if prompt_format == "r1":
        return render("r1", template_dir, prompt=user_prompt)
    raise ConfigError(f"prompt_format={prompt_format!r}; choose one of {PROMPT_FORMATS}")
