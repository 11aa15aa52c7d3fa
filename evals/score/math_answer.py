"""Final-answer extraction and the cheap, exact part of math answer checking (no sympy, cannot hang).

Extraction order (SPEC §7: the answer is asked for in `\\boxed{}`): the last `\\boxed{...}` (or `\\fbox{...}`) of
the last `<answer>` block, else of the whole response; then "the (final) answer is X"; then a short `<answer>`
body; then the last number of the response. Numbers are compared as numbers, so AIME's "025" equals "25" and
AMC's "27.0" equals "27"; anything that is not a plain number is left to math-verify (see `math_grader`).
"""

from __future__ import annotations

import re
from fractions import Fraction

_BOX = re.compile(r"\\(?:boxed|fbox)\s*\{")
_ANSWER_PHRASE = re.compile(r"(?:final answer|the answer)\s*(?:is|:)\s*:?\s*(.+?)(?:\n|$)", re.IGNORECASE)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?|-?\.\d+")
_TEXT = re.compile(r"\\(?:text|textbf|mathrm|mbox|operatorname)\s*\{([^{}]*)\}")


def _balanced(text: str, start: int) -> str | None:
    """The text inside the brace group opening just before `start`, or None if it never closes."""
    depth = 1
    for pos in range(start, len(text)):
        if text[pos] == "{":
            depth += 1
        elif text[pos] == "}":
            depth -= 1
            if depth == 0:
                return text[start:pos]
    return None


def last_boxed(text: str) -> str | None:
    """Content of the last complete `\\boxed{...}` / `\\fbox{...}` in `text`, or of `\\boxed 5`; else None."""
    for match in reversed(list(_BOX.finditer(text))):
        inner = _balanced(text, match.end())
        if inner is not None:
            return inner.strip()
    bare = re.findall(r"\\boxed\s+([^\s$]+)", text)
    return bare[-1].strip() if bare else None


def extract_answer(response: str) -> tuple[str | None, str]:
    """The final answer of a model response and how it was found ("boxed", "phrase", "answer_tag", "last_number",
    or "none")."""
    answers = re.findall(r"<answer>(.*?)(?:</answer>|$)", response, flags=re.DOTALL)
    body = answers[-1] if answers else response.split("</think>")[-1]
    for scope in (body, response):
        boxed = last_boxed(scope)
        if boxed is not None:
            return boxed, "boxed"
    phrases = _ANSWER_PHRASE.findall(body)
    if phrases:
        return phrases[-1].strip().rstrip(".").strip("$ ").strip(), "phrase"
    if answers and 0 < len(answers[-1].strip()) <= 100:
        return answers[-1].strip().strip("$").strip(), "answer_tag"
    numbers = _NUMBER.findall(body)
    if numbers:
        return numbers[-1].replace(",", ""), "last_number"
    return None, "none"


def strip_decorations(answer: str) -> str:
    """Remove what never changes a value: `$`, `\\left`/`\\right`, spacing commands, trailing units in `\\text`,
    degree signs, percent signs, `x =` prefixes and thousands separators."""
    s = answer.strip().strip("$").strip()
    s = re.sub(r"\\[,;:! ]|\\quad|\\qquad|\\left|\\right|\\displaystyle|\\\$|\\%|%", "", s)
    s = re.sub(r"\^\s*\{?\\circ\}?|°", "", s)
    s = _TEXT.sub(lambda m: m.group(1), s)
    s = re.sub(r"^[a-zA-Z]\s*=\s*", "", s)
    s = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", s)
    return s.strip().rstrip(".").strip()


def as_number(answer: str) -> Fraction | None:
    """A plain number (integer, decimal, `a/b`, `\\frac{a}{b}`, `\\dfrac`), optionally followed by a unit word;
    None for anything else. Never evaluates powers or expressions, so it cannot hang."""
    s = strip_decorations(answer)
    s = re.sub(r"\s+[a-zA-Z]{2,}(?:\s*[a-zA-Z/^0-9]+)*$", "", s) if re.match(r"^-?[\d.]", s) else s
    frac = re.fullmatch(r"(-?)\\[dt]?frac\{(-?\d+)\}\{(-?\d+)\}", s) or re.fullmatch(r"(-?)(-?\d+)\s*/\s*(-?\d+)", s)
    sci = re.fullmatch(r"(-?\d+(?:\.\d+)?)\s*(?:\\times|\\cdot|\*)\s*10\s*\^\s*\{?\s*([-+]?\d{1,3})\s*\}?", s)
    try:
        if sci:
            return Fraction(sci.group(1)) * Fraction(10) ** int(sci.group(2))
        if frac:
            value = Fraction(int(frac.group(2)), int(frac.group(3)))
            return -value if frac.group(1) else value
        if re.fullmatch(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?", s):
            return Fraction(s)
    except (ValueError, ZeroDivisionError):
        return None
    return None


def numbers_equal(gold: str, pred: str, rel_tol: float = 1e-4) -> bool | None:
    """True/False when both answers are plain numbers (exact for integers and fractions, relative tolerance for
    decimals: 1e-4, as in the Qwen2.5-Math grader the reference uses); None when either is not a plain number
    and a symbolic check is needed."""
    a, b = as_number(gold), as_number(pred)
    if a is None or b is None:
        return None
    if a == b:
        return True
    return abs(a - b) <= rel_tol * max(abs(a), abs(b))
