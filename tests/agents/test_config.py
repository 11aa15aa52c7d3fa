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


def test_environment_options_are_nested_and_old_spellings_still_work(tmp_path):
    old = tmp_path / "old.yaml"  # a config.yaml as runs made before the nesting wrote it (flat names)
    old.write_text("num_references: 3\nmax_prompt_chars: 900\nzero_learnability_reward: 0.0\nexec_timeout_s: 4.0\n"
                   "template_dir: null\ndiversity_weight: 0.25\nrollout_backend: http\n"
                   "rollout_url: http://127.0.0.1:9/v1\n")
    c = load_config("none", str(old), {"task.long_output": "truncate", "step.solver_batch_source": "current"})
    assert (c.task.num_references, c.task.max_prompt_chars, c.task.timeout_s) == (3, 900, 4.0)
    assert (c.rewards.zero_learnability_reward, c.rewards.diversity_weight) == (0.0, 0.25)
    assert c.task.long_output == "truncate" and c.step.solver_batch_source == "current"
    assert c.rollout_backend == "openai" and c.num_references == 3  # one backend name; old attribute reads
    again = tmp_path / "again.yaml"
    again.write_text(to_yaml(c))
    assert "task:\n" in again.read_text() and load_config(None, str(again)) == c
    with pytest.raises(ConfigError, match=r"did you mean 'task\.long_output'"):
        load_config("none", None, {"task.long_outptu": "x"})


def test_cli_flags_come_from_the_docstrings_of_every_section(capsys):
    from azr_env.cli import main as azr

    code = azr(["selfplay", "--preset", "none", "--task.long-output", "truncate", "--num-references", "2",
                "--rewards.zero_learnability_reward", "0", "--step.rollout-format-check", "true",
                "--exec-timeout-s", "3", "--print-config"])
    out = capsys.readouterr().out
    assert code == 0 and "long_output: truncate" in out and "num_references: 2" in out and "timeout_s: 3.0" in out
    assert "zero_learnability_reward: 0.0" in out and "rollout_format_check: true" in out
    import argparse

    from azr_agents.config import add_config_arguments, option_docs

    parser = argparse.ArgumentParser()
    add_config_arguments(parser)
    text = parser.format_help()
    docs = option_docs()
    for name in ("task.long_output", "rewards.diversity_weight", "step.solver_batch_source", "buffer_dedup"):
        assert f"--{name.replace('_', '-')}" in text and docs[name].split()[0] in text


def test_cross_field_errors_say_the_fix():
    with pytest.raises(ConfigError, match="use --n-rollouts 2 or more"):
        SelfPlayConfig(n_rollouts=1)
    with pytest.raises(ConfigError, match="add --rollout-backend openai or drop them"):
        SelfPlayConfig(rollout_url="http://127.0.0.1:8000/v1")
    with pytest.raises(ConfigError, match="lower --seed-buffer-size or raise --buffer-capacity"):
        SelfPlayConfig(seed_buffer_size=10, buffer_capacity=5)
    with pytest.raises(ConfigError, match="minibatch_order='random'"):
        SelfPlayConfig(minibatch_order="random")
    assert SelfPlayConfig(chat_template=True).task.prompt_format == "raw"


def test_paper_preset_prints_the_reference_switches(capsys):
    from azr_env.cli import main as azr

    assert azr(["selfplay", "--preset", "paper", "--print-config"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# preset paper: ")
    for line in ("entropy_coef: 0.001", "weight_decay: 0.01", "max_prompt_length: 6144", "answer_mode: expression",
                 "predefined_names: false", "solver_batch_source: previous", "rollout_format_check: false",
                 "seed_shared_pool: true", "buffer_dedup: seeding", "minibatch_order: by_type"):
        assert line in out, line
    from azr_agents.config import PRESET_DESCRIPTIONS

    for name in ("qwen2.5-coder-3b", "qwen2.5-coder-7b"):  # presets that shrink the reference's batch say so
        assert PRESETS[name]["batch_per_type"] < 64 and "scales the batch DOWN" in PRESET_DESCRIPTIONS[name]


def test_minibatches_follow_the_reference_order_by_type():
    from azr_agents.policy import Rollout
    from azr_agents.trainer import minibatch_order

    rows = [Rollout(role, kind, [1], [2], 0.0) for kind in ("induction", "deduction", "abduction")
            for role in ("solve", "propose") for _ in range(2)]  # fmt: skip
    order = minibatch_order(SelfPlayConfig(), rows)
    assert [(rows[i].task_type, rows[i].role) for i in order[:4]] == [("deduction", "propose")] * 2 + [
        ("deduction", "solve")] * 2
    assert [rows[i].task_type for i in order] == ["deduction"] * 4 + ["abduction"] * 4 + ["induction"] * 4
    assert sorted(minibatch_order(SelfPlayConfig(minibatch_order="shuffle"), rows)) == list(range(12))
