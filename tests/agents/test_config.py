"""SelfPlayConfig (agents/config.py): presets, YAML, overrides and checks."""

import pytest
from azr_agents.config import PRESETS, SelfPlayConfig, field_docs, load_config, to_yaml

from azr_env.errors import ConfigError


def test_defaults_are_the_reference_values():
    c = SelfPlayConfig()
    assert (c.lr, c.clip_eps, c.batch_per_type, c.n_rollouts, c.mini_batch_size) == (1e-6, 0.2, 64, 8, 128)
    assert c.samples_per_step == 384


def test_precedence_preset_then_yaml_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("lr: 0.001\ntotal_steps: 7\ntask_types: [deduction]\n")
    c = load_config("cpu-micro", str(path), {"total_steps": "9", "resume": "false"})
    assert c.lr == 0.001 and c.total_steps == 9 and c.resume is False and c.task_types == ("deduction",)
    assert c.batch_per_type == PRESETS["cpu-micro"]["batch_per_type"]
    assert c.template_dir and c.template_dir.endswith("micro_prompts")
    assert load_config("cpu-micro", None, {"task_types": "deduction, induction"}).task_types == (
        "deduction", "induction")
    again = tmp_path / "again.yaml"
    again.write_text(to_yaml(c))
    assert load_config(None, str(again)) == c


def test_errors_name_the_value_and_fix():
    with pytest.raises(ConfigError, match="did you mean 'lr'"):
        load_config("cpu-micro", None, {"lrr": "1"})
    with pytest.raises(ConfigError, match="known: none, cpu-micro"):
        load_config("gpu-huge")
    with pytest.raises(ConfigError, match="micro_batch_size=64 exceeds"):
        SelfPlayConfig(micro_batch_size=64, mini_batch_size=32)
    with pytest.raises(ConfigError, match="task_types"):
        SelfPlayConfig(task_types=("poetry",))
    with pytest.raises(ConfigError, match="expected true or false"):
        load_config("none", None, {"resume": "maybe"})


def test_every_field_is_documented():
    import dataclasses

    docs = field_docs()
    assert {f.name for f in dataclasses.fields(SelfPlayConfig)} == set(docs)
