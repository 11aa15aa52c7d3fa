import pytest

from azr_env.tasks.program_checks import banned_use, check_program


def problem(code, **kw):
    return check_program(code, **kw)[1]


def test_valid_program_is_renamed_to_f_including_recursion():
    code = "def fact(n):\n    # keeps comments\n    return 1 if n < 2 else n * fact(n - 1)"
    program, prob = check_program(code)
    assert prob is None
    assert program == "def f(n):\n    # keeps comments\n    return 1 if n < 2 else n * f(n - 1)"


def test_rename_with_unicode_before_the_name():
    program, prob = check_program("x = 'é'; y = 'ü'\ndef g(a):\n    return (x, g)")
    assert prob is None and "def f(a)" in program and "return (x, f)" in program


@pytest.mark.parametrize(
    "code, reason",
    [
        ("def f(:", "syntax_error"),
        ("def f(a):\n    def g(b):\n        return b\n    return g(a)", "multiple_defs"),
        ("class A:\n    def m(self):\n        return 1\ndef f(a):\n    return a", "multiple_defs"),
        ("x = 1", "no_function"),
        ("def f():\n    return 1", "no_parameters"),
        ("import random\ndef f(a):\n    return a", "banned_module"),
        ("def f(a):\n    return input()", "uses_input"),
        ("def f(a):\n    return a\nz = '\x00'", "syntax_error"),
    ],
)
def test_each_rule_has_its_reason(code, reason):
    assert problem(code).reason == reason


@pytest.mark.parametrize(
    "code, entry",
    [
        ("import time", "time"),
        ("from datetime import date", "datetime"),
        ("import os\nos.path.join('a')", "os.path"),
        ("import os as o\no.environ.get('x')", "os.environ"),
        ("from os import path", "os.path"),
        ("import sys\nsys.exit(1)", "sys.exit"),
        ("from sys import exit", "sys.exit"),
        ("import os.path", "os.path"),
        ("import logging.handlers", "logging"),
        ("__import__('subprocess')", "subprocess"),
        ("import importlib\nimportlib.import_module('threading')", "threading"),
        ("import os\nos.sys.exit()", "os.sys"),
    ],
)
def test_banned_imports_and_attribute_use(code, entry):
    import ast

    assert banned_use(ast.parse(code)) == entry


@pytest.mark.parametrize(
    "code",
    ["import os\nos.getcwd", "import sys\nsys.maxsize", "import collections", "x.path.join", "timeit = 1\ntimeit.x"],
)
def test_allowed_module_use(code):
    import ast

    assert banned_use(ast.parse(code)) is None


def test_options_turn_rules_off():
    assert problem("import random\ndef f(a):\n    return a", banned=()) is None
    assert problem("def f(a):\n    return input(a)", forbid_input=False) is None
