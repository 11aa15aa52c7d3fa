import pytest

from azr_env.errors import ConfigError
from azr_env.tasks import get_task_type, register_task_type, task_type_names
from azr_env.tasks.registry import _ENTRY_POINTS, _INSTANCES


def test_builtin_types_and_reference_aliases():
    assert {"deduction", "abduction", "induction", "error_type"} <= set(task_type_names())
    assert get_task_type("code_o") is get_task_type("deduction")
    assert get_task_type("code_f").name == "induction"


def test_unknown_name_lists_known_ones_and_suggests():
    with pytest.raises(ConfigError, match=r"deduction.*Did you mean 'deduction'"):
        get_task_type("deducton")


def test_register_a_plug_in_and_refuse_silent_overwrite():
    class Echo(type(get_task_type("deduction"))):
        name = "echo"

    try:
        register_task_type("echo", Echo())
        assert get_task_type("echo").name == "echo"
        with pytest.raises(ConfigError, match="already registered"):
            register_task_type("echo", "x:Y")
    finally:
        _ENTRY_POINTS.pop("echo", None)
        _INSTANCES.pop("echo", None)
