"""Write docs/options.md: every option of `azr selfplay`, generated from the config fields and their docstrings.

One row per option (the trainer's own and the nested `task.*`, `rewards.*`, `step.*` ones): our default, the
`paper` preset's value where it sets one, what the reference does and why ours is what it is — the last two read
from the field's docstring (its sentences that name the reference, and the rest). Nothing here is written by
hand: change a docstring or add a field, then run

    python scripts/gen_options_table.py          # rewrite docs/options.md
    python scripts/gen_options_table.py --check  # exit 1 if docs/options.md is out of date (tests run this)
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "docs" / "options.md"
SENTENCE = re.compile(r"(?<=[.;])\s+(?=[A-Z(\"`])")


def split_reference(doc: str) -> tuple[str, str]:
    """(what the reference does, the rest) from a docstring: the sentences or parentheses naming the reference."""
    text = " ".join(doc.split())
    reference: list[str] = []
    for paren in re.findall(r"\(([^()]*\breference\b[^()]*)\)", text, flags=re.IGNORECASE):
        reference.append(paren)
        text = text.replace(f"({paren})", "").replace("  ", " ")
    text = re.sub(r"\s+([.;,])", r"\1", text)
    rest = []
    for sentence in SENTENCE.split(text):
        (reference if re.search(r"\breference\b", sentence, re.IGNORECASE) else rest).append(sentence.strip())
    return "; ".join(r for r in reference if r) or "—", " ".join(r for r in rest if r) or "—"


def cell(value: Any) -> str:
    if isinstance(value, tuple | list):
        value = ", ".join(map(str, value)) if len(value) <= 4 else f"{len(value)} items"
    text = "`" + repr(value) + "`" if not isinstance(value, str) or value in ("", "—") else f"`{value}`"
    return text.replace("|", "\\|")


def render() -> str:
    from azr_agents.config import PRESETS, SECTIONS, option_default, option_docs, option_fields

    paper = PRESETS["paper"]
    docs = option_docs()
    lines = [
        "# Options of `azr selfplay` (generated: `python scripts/gen_options_table.py`; do not edit by hand)",
        "",
        "Every option, from the config fields and their docstrings: `agents/config.py` (`SelfPlayConfig`), and the",
        "environment's sections documented where they live — " + ", ".join(
            f"`{name}.*` ({cls.__module__}.{cls.__name__})" for name, cls in SECTIONS.items()) + ".",
        "Flags: `--name` / `--task.name` (dashes or underscores); YAML: the same names, sections nested or dotted.",
        "**Our default** is the reference's behaviour unless the reference column says otherwise; the `paper`",
        "column shows what `--preset paper` sets (blank: the default).",
        "",
        "| option | our default | `paper` | reference | why / what |",
        "|---|---|---|---|---|",
    ]
    for name in option_fields():
        if name == "preset":
            continue
        reference, why = split_reference(docs.get(name, ""))
        preset = cell(paper[name]) if name in paper else ""
        lines.append(f"| `{name}` | {cell(option_default(name))} | {preset} | {reference.replace('|', '/')} | "
                     f"{why.replace('|', '/')} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/options.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        if not OUT.exists() or OUT.read_text() != text:
            print(f"{OUT} is out of date: run python scripts/gen_options_table.py", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
