import time

import pytest

from azr_env.tasks.parsing import answer_section, answer_value, fenced_blocks, first_block, is_well_formatted


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
