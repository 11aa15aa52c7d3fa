"""Reading model responses: the `<think>/<answer>` format check and fenced-block extraction (SPEC §1–2).

Everything here is linear in the response length (plain `str.find` scans and literal-marker regexes, no
backtracking patterns over model text), never raises on any string, and never executes anything. Callers
check the size caps of `azr_env.tasks.limits` before calling in here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"
FENCE = "```"


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


@dataclass(frozen=True)
class Fence:
    """One closed fenced block: `tag` (lower-cased language word, "" for a bare fence) and the raw `body`
    between the fences with the tag still in it."""

    tag: str
    body: str

    @property
    def content(self) -> str:
        """The body without its tag; the tag need not be followed by a newline (```` ```input 4``` ````)."""
        return _strip_newlines(self.body.lstrip()[len(self.tag) :].lstrip(" \t\r").removeprefix("\n"))


def _strip_newlines(text: str) -> str:
    return text.strip("\r\n")


_TAG = re.compile(r"[ \t]*([A-Za-z0-9_+-]*)")


def fences(text: str) -> list[Fence]:
    """Every closed fenced block of `text`, in order: consecutive ``` markers pair up, as a lazy regex would."""
    out = []
    start = text.find(FENCE)
    while start >= 0:
        end = text.find(FENCE, start + len(FENCE))
        if end < 0:
            break
        body = text[start + len(FENCE) : end]
        match = _TAG.match(body)
        word = match.group(1) if match else ""
        after = body[match.end() :] if match else body
        # A word is a tag when something separates it from the content (or it is all there is).
        tag = word.lower() if word and (not after or after[0] in " \t\r\n") else ""
        out.append(Fence(tag, body))
        start = text.find(FENCE, end + len(FENCE))
    return out


def fenced_blocks(text: str, lang: str | None = None) -> list[str]:
    """Contents of the closed ```lang blocks in `text`, in order (`lang=None`: any language)."""
    return [f.content for f in fences(text) if lang is None or f.tag == lang]


def first_block(text: str, lang: str) -> str | None:
    blocks = fenced_blocks(text, lang)
    return blocks[0] if blocks else None


def last_block(text: str, lang: str) -> str | None:
    blocks = fenced_blocks(text, lang)
    return blocks[-1] if blocks else None


def code_blocks(text: str) -> list[str]:
    """Program text of every fenced block, whatever its tag (the reference's code pattern): a `python` tag
    is dropped; any other tag word stays in the text, as it does in the reference (where it then fails)."""
    out = []
    for fence in fences(text):
        body = fence.body
        if fence.tag == "python":
            body = body.lstrip()[len("python") :]
        out.append(body.strip())
    return out


def bare_fence_content(text: str) -> str | None:
    """The content of the last untagged ``` fence, for messages that say where an answer went wrong."""
    bare = [f.content for f in fences(text) if not f.tag]
    return bare[-1] if bare else None


def _markers(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _last_marked_span(text: str, marker: re.Pattern[str], closer: str | None) -> str | None:
    """Text after the last non-overlapping `marker` match up to `closer` (or the end), scanning once."""
    found = None
    pos = 0
    while True:
        match = marker.search(text, pos)
        if match is None:
            return found
        begin = match.end()
        end = text.find(closer, begin) if closer else -1
        stop = end if end >= 0 else len(text)
        found = text[begin:stop]
        pos = stop + (len(closer) if closer and end >= 0 else 0)
        if stop >= len(text):
            return found


def _last_call_argument(text: str, marker: re.Pattern[str]) -> str | None:
    """`word(...)` fallback: the text between the last `word(` match and the next `)` (non-overlapping)."""
    found = None
    pos = 0
    while True:
        match = marker.search(text, pos)
        if match is None:
            return found
        close = text.find(")", match.end())
        if close < 0:  # no later match can close either
            return found
        found = text[match.end() : close]
        pos = close + 1


def _fallback_patterns(lang: str) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    word = re.escape(lang)
    return (
        _markers(rf"# {word}:\s*"),
        _markers(rf"{word}\s*\("),
        _markers(rf"<{word}>\s*"),
        _markers(rf"the {word} is\s*"),
    )


_PATTERNS = {lang: _fallback_patterns(lang) for lang in ("input", "output")}


def fallback_value(answer: str, lang: str) -> str | None:
    """The reference's fallbacks when there is no ```lang block, in its order (SPEC §2, solver parsing):
    `# Input:` up to the next fence line, `input(...)`, `<input>...</input>`, "the input is ..." to the end
    (a final period dropped); `output` likewise. None when none applies."""
    hash_line, call, tag, phrase = _PATTERNS.get(lang) or _fallback_patterns(lang)
    found = _last_marked_span(answer, hash_line, "\n" + FENCE)
    if found is None:
        found = _last_call_argument(answer, call)
    if found is None:
        found = _last_marked_span(answer, tag, f"</{lang}>")
    if found is None:
        match = phrase.search(answer)  # the reference's lazy `.*?\.?$` runs to the end of the text
        if match is not None:
            rest = answer[match.end() :].rstrip("\n")
            found = rest[:-1] if rest.endswith(".") else rest
    return found


def answer_value(answer: str, lang: str, *, fallbacks: bool = True) -> str:
    """The answer text for a value-valued answer (an output or an input), as the reference reads it.

    The last ```lang block wins; with `fallbacks`, then the reference's fallbacks for `lang` (an abduction
    answer looks for *input* patterns), and finally the whole answer text.
    """
    block = last_block(answer, lang)
    if block is not None:
        return block.strip()
    if fallbacks:
        found = fallback_value(answer, lang)
        if found is not None:
            return found.strip()
    return answer.strip()


def message_text(answer: str) -> str | None:
    """Induction message as the reference reads it: the first ```message block, else `<message>...</message>`,
    else `# Message:` up to the next fence line; None when there is none."""
    block = first_block(answer, "message")
    if block is not None:
        return block.strip()
    open_ = _markers(r"<message>").search(answer)
    if open_ is not None:
        close = answer.find("</message>", open_.end())
        if close >= 0:
            return answer[open_.end() : close].strip()
    match = _markers(r"# message:").search(answer)
    if match is not None:
        end = answer.find("\n" + FENCE, match.end())
        return answer[match.end() : end if end >= 0 else len(answer)].strip()
    return None
