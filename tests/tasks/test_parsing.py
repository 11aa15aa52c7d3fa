import time

import pytest

from azr_env.tasks.parsing import (
    answer_section,
    answer_value,
    code_blocks,
    fenced_blocks,
    first_block,
    is_well_formatted,
    message_text,
)


@pytest.mark.parametrize(
    "text, ok",
    [
        ("<think>a</think><answer>b</answer>", True),
        ("<think>a</think>\n\n <answer>b</answer> trailing", True),
        ("  <think>\nmulti\nline</think><answer>\nx\n</answer>", True),
        ("a</think><answer>b</answer>", True),  # the R1 prompt already opened <think>
        ("<think>a</think>b<answer>c</answer>", False),
        ("<think>a</think><answer>b", False),
        ("<answer>b</answer>", False),
        ("", False),
        ("<think>a</think> x </think><answer>b</answer>", True),  # lazy match reaches the later </think>
        ("<think>a</think><answer></answer>", True),
    ],
)
def test_format_check_matches_reference_regex(text, ok):
    assert is_well_formatted(text) is ok


def test_format_check_is_linear_on_adversarial_input():
    evil = "<think>" + "</think><answer>" * 50_000
    start = time.perf_counter()
    assert not is_well_formatted(evil)
    assert time.perf_counter() - start < 1.0


def test_answer_section_is_the_last_complete_pair():
    assert answer_section("<answer>a</answer> <answer>b</answer>") == "b"
    assert answer_section("<answer>a</answer> <answer>unclosed") == "a"
    assert answer_section("no tags") is None


def test_fenced_blocks_by_language():
    text = "```python\ndef f(a):\n    return a\n```\n```input\n1\n```\n```input\n2\n```\n```output\n3\n```"
    assert fenced_blocks(text, "input") == ["1", "2"]
    assert first_block(text, "python") == "def f(a):\n    return a"
    assert fenced_blocks(text) == ["def f(a):\n    return a", "1", "2", "3"]
    assert fenced_blocks("```python\nunclosed", "python") == []


@pytest.mark.parametrize(
    "answer, value",
    [
        ("```output\n[1, 2]\n```", "[1, 2]"),
        ("```output\n1\n```\n```output\n2\n```", "2"),
        ("<output>5</output>", "5"),
        ("blah\n# Output: 7", "7"),
        ("So the output is 42.", "42"),
        ("  'raw'  ", "'raw'"),
    ],
)
def test_answer_value_fallbacks(answer, value):
    assert answer_value(answer, "output") == value


def test_answer_value_without_fallbacks_is_raw_text():
    assert answer_value("the output is 3", "output", fallbacks=False) == "the output is 3"


# ---- issue 12 items 11-13, 15: the reference's reading of answers ----------------------------------------------
@pytest.mark.parametrize(
    "answer, value",
    [
        ("the input is 4", "4"),  # item 11: abduction looks for input patterns
        ("So the input is 'ab'.", "'ab'"),
        ("<input>4</input>", "4"),
        ("<output>5</output>", "<output>5</output>"),  # an output pattern is not an input: the raw text
        ("# Input: [1, 2]\n```\nnote\n```", "[1, 2]"),
        ("call input(3) then", "3"),
        ("```input 4```", "4"),  # item 12: the tag need not be followed by a newline
        ("```input\n1\n```\n```input\n2\n```", "2"),
    ],
)
def test_abduction_answers_use_input_patterns(answer, value):
    assert answer_value(answer, "input") == value


def test_output_patterns_follow_the_reference():
    assert answer_value("```output [1, 2]```", "output") == "[1, 2]"
    assert answer_value("the output is 4", "output") == "4"
    assert answer_value("the input is 4", "output") == "the input is 4"


def test_fence_tags_need_no_newline_but_must_end():
    assert fenced_blocks("```input 4```", "input") == ["4"]
    assert fenced_blocks("```input4```", "input") == []  # "input4" is not the input tag
    assert fenced_blocks("```\n4\n```", "input") == []


def test_program_blocks_of_any_tag():
    text = "```py\nprint(1)\n```\n```python\ndef f(a):\n    return a\n```"
    assert code_blocks(text) == ["py\nprint(1)", "def f(a):\n    return a"]  # other tags stay in the text


def test_message_fallbacks():
    assert message_text("```message\nfirst\n```\n```message\nsecond\n```") == "first"
    assert message_text("<message> a hint </message>") == "a hint"
    assert message_text("# Message: add one\n```input\n1\n```") == "add one"
    assert message_text("```message\n```") == ""
    assert message_text("nothing") is None

