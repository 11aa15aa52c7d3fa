import pytest

from azr_env.tasks.values import (
    argument_list_problem,
    literal_arguments,
    parse_literal,
    same_value,
    truncate_repr,
    value_problem,
)


def test_parse_literal_never_executes_or_raises():
    assert parse_literal("[1, (2, 'a')]") == (True, [1, (2, "a")])
    assert parse_literal("__import__('os').system('x')") == (False, None)
    assert parse_literal("(" * 5000) == (False, None)
    assert parse_literal("9" * 10_000) == (False, None)  # int() digit limit
    assert parse_literal("\x00") == (False, None)


@pytest.mark.parametrize(
    "gold, answer, expected",
    [
        ("(1, 2)", "(1,\n 2)", True),
        ("{1, 2}", "{2, 1}", True),
        ("'a'", '"a"', True),
        ("1.0", "1", True),  # reference `eval(gold) == eval(answer)` semantics
        ("[1, 2]", "[2, 1]", False),
        ("inf", "inf", True),  # gold repr that does not round-trip: exact text decides
        ("deque([1, 2])", "deque([1, 2])", True),
        ("deque([1, 2])", "[1, 2]", False),
        ("defaultdict(<class 'int'>, {'a': 1})", "defaultdict(<class 'int'>, {'a': 1})", True),
        ("dict_keys(['a'])", "['a']", False),
        ("3", "x", False),
    ],
)
def test_same_value(gold, answer, expected):
    assert same_value(gold, answer) is expected


@pytest.mark.parametrize(
    "text, ok",
    [
        ("1, 'a', [2]", True),
        ("x=1", True),
        ("*[1, 2]", True),
        ("deque([1]), Counter('ab')", True),
        ("'a' * 3", True),
        ("'abc') or (1", False),
        ("1), f(2", False),
        ("__import__('os')", False),
        ("(lambda: 1)()", False),
        ("[].__class__", False),
        ("open('x')", False),
        ("", False),
        ("1, # comment", True),
    ],
)
def test_argument_list_problem(text, ok):
    assert (argument_list_problem(text) is None) is ok


def test_value_problem():
    assert value_problem("[1, 2]") is None
    assert value_problem("float('inf')") is None
    assert "not a Python expression" in value_problem("1 +")
    assert value_problem("type('A', (), {})()") is not None
    assert value_problem("") == "empty value"


def test_literal_arguments_and_truncation():
    assert literal_arguments("1, 'a'") == (True, (1, "a"))
    assert literal_arguments("x=1")[0] is False
    assert truncate_repr("a" * 500, 400) == "a" * 200 + "..." + "a" * 200
    assert truncate_repr("short") == "short"
