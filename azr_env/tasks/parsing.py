"""Reading model responses: the `<think>/<answer>` format check and fenced-block extraction (SPEC §1–2).

Everything here is linear in the response length (no backtracking regexes over model text), never raises on
any string, and never executes anything.
"""

from __future__ import annotations

import re

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"


def _think_prefixed(response: str) -> str:
    """The R1 prompt ends with `Assistant: <think>`, so a response may legitimately omit the opening tag."""
    return response if response.lstrip().startswith(THINK_OPEN) else THINK_OPEN + response


def is_well_formatted(response: str) -> bool:
    """True iff `re.match(r"<think>.*?</think>\\s*<answer>.*?</answer>", response, re.DOTALL)` would match.

    Leading whitespace is allowed and a missing opening `<think>` is supplied (the prompt already ends with
    it). Implemented with `str.find` so that adversarial responses cannot trigger regex backtracking.
    """
    text = _think_prefixed(response).lstrip()
    last_close = text.rfind(ANSWER_CLOSE)
    if last_close < 0:
        return False
    pos = len(THINK_OPEN)
    while True:
        end_think = text.find(THINK_CLOSE, pos)
        if end_think < 0:
            return False
        after = end_think + len(THINK_CLOSE)
        rest_start = after
        while rest_start < len(text) and text[rest_start].isspace():
            rest_start += 1
        if text.startswith(ANSWER_OPEN, rest_start):
            return rest_start + len(ANSWER_OPEN) <= last_close
        pos = after


def answer_section(response: str) -> str | None:
    """Text inside the last complete `<answer>...</answer>` pair, or None when there is none."""
    close = response.rfind(ANSWER_CLOSE)
    while close >= 0:
        open_ = response.rfind(ANSWER_OPEN, 0, close)
        if open_ >= 0:
            return response[open_ + len(ANSWER_OPEN) : close]
        close = response.rfind(ANSWER_CLOSE, 0, close)
    return None


_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\r?\n(.*?)```", re.DOTALL)


def fenced_blocks(text: str, lang: str | None = None) -> list[str]:
    """Contents of the closed ```lang blocks in `text`, in order (`lang=None`: any language)."""
    blocks = []
    for match in _FENCE.finditer(text):
        if lang is None or match.group(1).lower() == lang:
            blocks.append(match.group(2).strip("\r\n"))
    return blocks


def first_block(text: str, lang: str) -> str | None:
    blocks = fenced_blocks(text, lang)
    return blocks[0] if blocks else None


def last_block(text: str, lang: str) -> str | None:
    blocks = fenced_blocks(text, lang)
    return blocks[-1] if blocks else None


_OUTPUT_LINE = re.compile(r"#\s*output\s*:[ \t]*([^\n]+)", re.IGNORECASE)
_OUTPUT_IS = re.compile(r"the output is[ \t:]*([^\n]+)", re.IGNORECASE)


def answer_value(answer: str, lang: str, *, fallbacks: bool = True) -> str:
    """The answer text for a value-valued answer (an output or an input), as the reference reads it.

    The last ```lang block wins; with `fallbacks`, then `<output>...</output>`, `# Output: ...`,
    "the output is ...", and finally the whole answer text (SPEC §2, solver parsing).
    """
    block = last_block(answer, lang)
    if block is not None:
        return block.strip()
    if fallbacks:
        close = answer.rfind("</output>")
        open_ = answer.rfind("<output>", 0, max(close, 0))
        if close >= 0 and open_ >= 0:
            return answer[open_ + len("<output>") : close].strip()
        for pattern in (_OUTPUT_LINE, _OUTPUT_IS):
            found = pattern.findall(answer)
            if found:
                return found[-1].strip().rstrip(".").strip()
    return answer.strip()
