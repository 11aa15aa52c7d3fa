"""Guards every task type applies to model text before parsing it, and the verdicts of sandbox comparisons.

Caps come first (issue D): a whole response over `max_response_chars` is never parsed (−1 / invalid,
`response_too_long`); an extracted answer over `max_answer_chars` or a program over `max_program_chars` is
never parsed either (−0.5 / invalid, `answer_too_long`). Each check is a length comparison, so the cost of a
hostile text is bounded before any regex, `ast` or literal parsing sees it.
"""

from __future__ import annotations

from typing import Any

from azr_env.tasks.base import Job, ParsedAnswer, Rejection, TaskConfig, Verdict
from azr_env.tasks.parsing import is_well_formatted
from azr_env.tasks.values import (
    DATA_PRELUDE,
    SANDBOX_COMPARE,
    compare_literals,
    read_sandbox_bools,
    sandbox_same,
    truncate_repr,
    value_problem,
)

RESPONSE_TOO_LONG = "response_too_long"
ANSWER_TOO_LONG = "answer_too_long"
BAD_FORMAT_DETAIL = "response does not match <think>...</think><answer>...</answer>"


def program_prelude(config: TaskConfig) -> str:
    """Names defined before a task's program (`predefined_names`; the reference defines none)."""
    return DATA_PRELUDE if config.predefined_names else ""


def with_comparer(code: str) -> str:
    """`code` followed by the sandbox comparison helpers (after it, so the program cannot replace them)."""
    return f"{code}\n{SANDBOX_COMPARE}"


def response_too_long(response: str, config: TaskConfig) -> str | None:
    """The detail of a `response_too_long` rejection, or None when the response is within the cap."""
    if len(response) > config.max_response_chars:
        return f"response is {len(response)} characters; the cap is {config.max_response_chars}"
    return None


def proposal_precheck(response: str, config: TaskConfig) -> Rejection | None:
    """Cap, then format: what every proposal must pass before anything inside it is read."""
    too_long = response_too_long(response, config)
    if too_long:
        return Rejection(RESPONSE_TOO_LONG, too_long)
    if not is_well_formatted(response):
        return Rejection("bad_format", BAD_FORMAT_DETAIL)
    return None


def solver_precheck(response: str, config: TaskConfig) -> ParsedAnswer | None:
    """Cap, then format, for a solver response: a failed ParsedAnswer (−1), or None to go on."""
    too_long = response_too_long(response, config)
    if too_long:
        return ParsedAnswer(False, None, RESPONSE_TOO_LONG, too_long)
    if not is_well_formatted(response):
        return ParsedAnswer(False, None, "bad_format", BAD_FORMAT_DETAIL)
    return None


def text_too_long(text: str, limit: int, what: str) -> str | None:
    if len(text) > limit:
        return f"{what} is {len(text)} characters; the cap is {limit}"
    return None


def answer_precheck(answer: str, config: TaskConfig, *, empty_ok: bool = False) -> Verdict | None:
    """A final verdict for an answer that is too long or empty (both −0.5: well formatted, wrong)."""
    too_long = text_too_long(answer, config.max_answer_chars, "the answer")
    if too_long:
        return Verdict(False, ANSWER_TOO_LONG, too_long)
    if not answer.strip() and not empty_ok:
        return Verdict(False, "empty_answer", "the answer is empty")
    return None


def explain(answer: str, problem: str, block: str) -> str:
    """Why an answer is not a value, saying so when it sits in a bare ``` fence instead of ```<block>."""
    if answer.lstrip().startswith("```"):
        return f"the answer is in a bare ``` fence, not a ```{block} block, so the whole fence was read: {problem}"
    return problem


def sandbox_verdicts(result: Any, count: int, what: str) -> list[bool] | Verdict:
    """The booleans a comparison job returned, or the final verdict when it failed or cannot be read."""
    if not result.ok:
        return Verdict(False, "answer_error", f"{what} failed: {result.error or result.status}"[:500])
    flags = read_sandbox_bools(result.value_repr, count)
    if flags is None:
        return Verdict(False, "answer_error", f"{what}: the comparison returned no verdict")
    return flags


# ---- comparing outputs of solver code --------------------------------------------------------------------------
# Where the solver's answer is code (an induction program, an expression-mode value), the process that runs it
# never sees the gold value: it returns a repr, compared here; only plain data that must be evaluated to be
# compared goes to a second process, which runs no solver code.
def states_gold(gold: str, text: str, cut: int = 0) -> bool | None:
    """Whether the repr `text` of a solver's value states the gold value, decided here: the same text (after
    the long-output cut), or both small literals equal with `==`; None when only evaluating `text` can tell
    (a plain data expression such as `Counter({'a': 1})` or `inf`); False when `text` is no data expression."""
    if cut and len(text) > cut:
        return truncate_repr(text, cut) == gold
    if text == gold:
        return True
    decided = compare_literals(gold, text)
    if decided is not None:
        return decided
    return None if value_problem(text, "data") is None else False


def value_comparison(gold: str, text: str) -> Job:
    """The job comparing a solver value's data `text` with `gold` in a process that runs no solver code."""
    return Job(with_comparer(DATA_PRELUDE), sandbox_same(gold, text))
