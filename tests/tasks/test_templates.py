import pytest

from azr_env.errors import ConfigError
from azr_env.tasks import Task, TaskConfig, format_prompt, get_task_type, render


def test_r1_wraps_and_raw_does_not():
    wrapped = format_prompt("Solve {this}")
    assert "<think>" in wrapped and "<answer>" in wrapped
    assert wrapped.endswith("User: Solve {this}\nAssistant: <think>")
    assert format_prompt("Solve", "raw") == "Solve"
    with pytest.raises(ConfigError, match="prompt_format"):
        format_prompt("x", "chatml")


def test_user_templates_override_packaged_ones(tmp_path):
    (tmp_path / "solve_deduction.txt").write_text("PROGRAM=$program INPUT=$input\n")
    task = Task("deduction", "def f(a):\n    return a", ("1",), ("1",))
    text = get_task_type("deduction").solver_prompt(task, TaskConfig(template_dir=str(tmp_path)))
    assert text == "PROGRAM=def f(a):\n    return a INPUT=1"


def test_missing_template_or_field_names_it():
    with pytest.raises(ConfigError, match="known templates"):
        render("nope")
    with pytest.raises(ConfigError, match="needs a value"):
        render("solve_deduction", program="x")


def test_config_checks_name_the_value():
    with pytest.raises(ConfigError, match="long_output='cut'"):
        TaskConfig(long_output="cut")


def test_prompt_formats_are_defined_once_and_chat_leaves_the_text_to_the_chat_template():
    import azr_evals.prompts
    from azr_agents.openrlhf import options

    from azr_env.tasks import base, format_prompt

    assert azr_evals.prompts.PROMPT_FORMATS is base.PROMPT_FORMATS is options.PROMPT_FORMATS
    assert format_prompt("Solve it.", "chat") == format_prompt("Solve it.", "raw") == "Solve it."
    assert format_prompt("Solve it.", "r1") != "Solve it."
    assert base.TaskConfig(prompt_format="chat").prompt_format == "chat"
