"""Pull the program out of a model response (code benchmarks).

Responses in the R1 format carry reasoning in `<think>` and the answer in `<answer>` (SPEC §1); instruction-tuned
models answer with fenced blocks. We read the last `<answer>` body when there is one (else what follows the last
`</think>`, else everything), then take the last fenced block that defines the entry point (else the last fenced
block, else the text itself). evalplus-style sanitizing (keep the entry point and what it needs) is applied by the
evalplus scorer, with evalplus's own `sanitize`.
"""

from __future__ import annotations

import re

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|$)", re.DOTALL)


def answer_body(response: str) -> str:
    """The part of a response that holds the answer: the last `<answer>` body, or what follows `</think>`."""
    answers = re.findall(r"<answer>(.*?)(?:</answer>|$)", response, flags=re.DOTALL)
    if answers:
        return answers[-1]
    return response.split("</think>")[-1] if "</think>" in response else response


def tagged_fenced_blocks(text: str) -> list[tuple[str, str]]:
    """(language, body) of every fenced block, in order; an unclosed final fence runs to the end."""
    return [(lang.lower(), body) for lang, body in _FENCE.findall(text)]


def extract_program(response: str, entry_point: str | None = None) -> str:
    """The program in `response`; prefers a block defining `entry_point` (a function or a class)."""
    for scope in (answer_body(response), response):
        blocks = [body for lang, body in tagged_fenced_blocks(scope) if lang in ("", "python", "py", "python3")]
        if entry_point:
            pattern = re.compile(rf"^\s*(?:async\s+)?(?:def|class)\s+{re.escape(entry_point)}\b", re.MULTILINE)
            defining = [b for b in blocks if pattern.search(b)]
            if defining:
                return defining[-1]
        if blocks:
            return blocks[-1]
    return answer_body(response).strip()


def prompt_import_lines(prompt: str) -> str:
    """The top-level import lines of a benchmark prompt (e.g. `from typing import List`), to prepend to a
    solution that uses the prompt's names without importing them."""
    return "".join(line + "\n" for line in prompt.splitlines() if re.match(r"(?:from\s+\S+\s+)?import\s", line))
