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


LLAMA_STYLE = "def helper(x):\n    return x * 2\n\ndef solve(a):\n    return helper(a) + 1"


def test_multiple_functions_are_rejected_by_default_as_in_the_reference():
    _, problem = check_program(LLAMA_STYLE)
    assert problem is not None and problem.reason == "multiple_defs"


def test_llama_qwen3_settings_keep_helpers_and_rename_the_last_def():
    """The reference's Llama/Qwen3 scripts: reject_multiple_functions=False, f_replace_location=any_last."""
    program, problem = check_program(LLAMA_STYLE, reject_multiple_functions=False, f_replace_location="any_last")
    assert problem is None
    namespace: dict = {}
    exec(program, namespace)
    assert namespace["f"](3) == 7 and namespace["helper"](3) == 6
    first, problem = check_program(LLAMA_STYLE, reject_multiple_functions=False)  # "first": helper becomes f
    assert problem is None and "def f(x)" in first
    with_f = "def f(a):\n    return g(a)\n\ndef g(x):\n    return -x"
    kept, problem = check_program(with_f, reject_multiple_functions=False, f_replace_location="any_last")
    assert problem is None and kept == with_f  # a def named f is kept as the entry point


def test_any_last_refuses_a_last_def_that_is_a_method():
    code = "def f0(a):\n    return a\n\nclass K:\n    def m(self):\n        return 1"
    _, problem = check_program(code, reject_multiple_functions=False, f_replace_location="any_last")
    assert problem is not None and problem.reason == "no_function"


def test_the_task_config_carries_both_switches_to_proposal_validation():
    from azr_env.errors import ConfigError
    from azr_env.tasks import TaskConfig
    from azr_env.tasks.program_task import parse_program_proposal

    response = f"<think>x</think>\n<answer>```python\n{LLAMA_STYLE}\n```\n```input\n3\n```</answer>"
    rejected = parse_program_proposal(response, TaskConfig())
    assert getattr(rejected, "reason", None) == "multiple_defs"
    program, arguments = parse_program_proposal(
        response, TaskConfig(reject_multiple_functions=False, f_replace_location="any_last"))
    assert "def f(a)" in program and arguments == "3"
    with pytest.raises(ConfigError, match="f_replace_location"):
        TaskConfig(f_replace_location="last")
