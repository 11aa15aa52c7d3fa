"""Math answer checking: extraction, exact numbers, math-verify under our own timeout (azr_evals.score.math_*)."""

from __future__ import annotations

import time

import pytest
from azr_evals.score.math_answer import as_number, extract_answer, last_boxed, numbers_equal
from azr_evals.score.math_grader import MathGrader


@pytest.fixture(scope="module")
def grader():
    with MathGrader(workers=2, timeout_s=4.0) as g:
        yield g


@pytest.mark.parametrize(("text", "expected"), [
    ("so \\boxed{\\frac{1}{2}}.", "\\frac{1}{2}"),
    ("first \\boxed{1} then \\boxed{\\{a, b\\}}", "\\{a, b\\}"),
    ("nested \\boxed{\\sqrt{\\frac{a}{b}}}", "\\sqrt{\\frac{a}{b}}"),
    ("bare \\boxed 5 done", "5"),
    ("unclosed \\boxed{12", None),
])
def test_last_boxed(text, expected):
    assert last_boxed(text) == expected


def test_extraction_prefers_the_answer_tag_then_falls_back():
    assert extract_answer("<think>\\boxed{1}</think><answer>\\boxed{2}</answer>") == ("2", "boxed")
    assert extract_answer("reasoning... The final answer is $42$.") == ("42", "phrase")
    assert extract_answer("<think>x</think><answer>17</answer>") == ("17", "answer_tag")
    assert extract_answer("we get 3 apples and then 7") == ("7", "last_number")
    assert extract_answer("no idea") == (None, "none")


@pytest.mark.parametrize(("gold", "pred", "equal"), [
    ("025", "25", True),          # AIME answers carry leading zeros
    ("27", "27.0", True),         # AMC answers are floats in the data
    ("\\frac{1}{2}", "0.5", True),
    ("\\dfrac{3}{4}", "3/4", True),
    ("1,000", "1000", True),
    ("5 \\text{ cm}", "5", True),  # units
    ("50\\%", "50", True),
    ("3.83 \\times 10^{35}", "3.83e35", True),
    ("7", "8", False),
    ("10^{10^{10}}", "5", None),  # never evaluated here: left to the sandboxed symbolic check
])
def test_numbers_compare_as_numbers(gold, pred, equal):
    assert numbers_equal(gold, pred) is equal


def test_as_number_does_not_evaluate_powers():
    assert as_number("10^{10^{10^{10}}}") is None
    assert as_number("3i") is None


def test_symbolic_cases(grader):
    cases = [
        ("\\left( 3, \\frac{\\pi}{2} \\right)", "(3, \\frac{\\pi}{2})", True),
        ("(1, 2]", "(1,2]", True),       # intervals
        ("[1,2]", "(1,2)", False),
        ("x^2+2x+1", "(x+1)^2", True),
        ("\\sqrt{2}/2", "\\frac{\\sqrt2}{2}", True),
        ("2\\sqrt{3}", "\\sqrt{12}", True),
        ("3", "\\frac{1}{", False),      # malformed latex: wrong, not an exception
        ("3", "}{)(\\\\", False),
    ]
    results = grader.equivalent_many([(g, p) for g, p, _ in cases])
    assert [ok for ok, _ in results] == [want for _, _, want in cases]


def test_pathological_input_times_out_and_the_grader_survives(grader):
    started = time.monotonic()
    results = grader.equivalent_many([("5", "10^{10^{10^{10^{10}}}}"), ("\\frac{1}{3}", "1/3"), ("x+1", "1+x")])
    assert results[0] == (False, "grader_timeout")
    assert results[1] == (True, "pass") and results[2] == (True, "pass")
    assert time.monotonic() - started < 4.0 + 8.0
    # the replaced worker keeps working
    assert grader.equivalent_many([("x^2", "x*x")]) == [(True, "pass")]


def test_grade_many_reasons(grader):
    verdicts = grader.grade_many([("025", "so \\boxed{25}"), ("7", "\\boxed{8}"), ("7", "I give up")])
    assert [(v.correct, v.reason) for v in verdicts] == [(True, "pass"), (False, "wrong_answer"),
                                                         (False, "no_answer")]
    assert verdicts[0].extracted == "25"
