"""The label protocol and TRR++ group ids (agents/openrlhf/labels.py); pure Python, runs everywhere."""

from __future__ import annotations

import json

import pytest
from azr_agents.openrlhf import labels

from azr_env.errors import ConfigError, DataError
from azr_env.rewards import RewardConfig
from azr_env.rounds import RoundConfig
from azr_env.tasks.base import Task, TaskConfig

TASK = Task("deduction", "def f(a):\n    return a * 2", ("3",), ("6",))


def test_group_ids_are_distinct_and_invertible():
    ids = labels.default_group_ids()
    assert len(ids) == len(set(ids)) == 6
    for role in labels.ROLES:
        for kind in ("deduction", "abduction", "induction"):
            assert labels.group_name(labels.group_id(role, kind)) == (role, kind)


def test_group_id_names_bad_values():
    with pytest.raises(ConfigError, match="role='judge'"):
        labels.group_id("judge", "deduction")
    with pytest.raises(ConfigError, match="unknown task type 'sorting'"):
        labels.group_id("solve", "sorting")
    with pytest.raises(DataError):
        labels.group_name(999)


def test_label_round_trip_and_outcome():
    text = labels.make_label("propose", "deduction", references=[TASK], config={"workers": 3})
    row = labels.parse_label(text)
    assert row["role"] == "propose" and labels.label_references(row) == [TASK]
    back = json.loads(labels.with_outcome(row, {"valid": True, "task": TASK.to_dict()}))
    assert back["outcome"]["valid"] and "references" not in back and "config" not in back
    solve = labels.parse_label(labels.make_label("solve", "deduction", task=TASK))
    assert labels.label_task(solve) == TASK


def test_bad_labels_are_data_errors():
    for bad in ("not json", json.dumps({"v": 99, "role": "solve"}), json.dumps([1])):
        with pytest.raises(DataError):
            labels.parse_label(bad)
    with pytest.raises(ConfigError, match="needs the task"):
        labels.make_label("solve", "deduction")


def test_config_round_trip_keeps_only_differences():
    assert labels.config_to_json(RoundConfig()) == {}
    cfg = RoundConfig(task=TaskConfig(hash_seed_check=False, banned_modules=("os",), timeout_s=3.0),
                      rewards=RewardConfig(zero_learnability_reward=0.0), workers=7)
    data = json.loads(json.dumps(labels.config_to_json(cfg)))
    assert labels.config_from_json(data) == cfg
    with pytest.raises(DataError, match="unknown option"):
        labels.config_from_json({"warp_drive": 1})


def test_the_step_switches_reach_the_engines_and_the_flags():
    """Both trainers take the same step switches: `--azr.step_*` flags build RoundConfig.step, and the label
    carries what the engines need (how learnability rollouts are scored)."""
    import argparse
    from types import SimpleNamespace

    from azr_agents.openrlhf.options import add_azr_args, config_from_args

    from azr_env.step import StepConfig

    parser = argparse.ArgumentParser()
    add_azr_args(parser)
    ns = parser.parse_args(["--azr.step_rollout_format_check", "1", "--azr.step_solver_batch_source", "current",
                            "--azr.buffer_dedup", "always"])
    azr = SimpleNamespace(**{k.split(".", 1)[1]: v for k, v in vars(ns).items()})
    config = config_from_args(SimpleNamespace(azr=azr, train=SimpleNamespace(seed=0), rollout=SimpleNamespace()))
    assert config.round.step == StepConfig(rollout_format_check=True, solver_batch_source="current")
    assert config.buffer_dedup == "always"
    sent = labels.config_to_json(config.round)
    assert sent["step"] == {"rollout_format_check": True, "solver_batch_source": "current"}
    assert labels.config_from_json(sent).step == config.round.step
    assert "step" not in labels.config_to_json(RoundConfig())  # defaults (the reference's) travel as nothing


def test_every_task_and_reward_option_has_an_azr_flag_and_reaches_the_engines():
    """Both trainers follow the same options: each TaskConfig / RewardConfig field is a `--azr.task_*` /
    `--azr.rewards_*` flag (or keeps its older `--azr.*` spelling), and the label carries it to the engines."""
    import argparse
    from dataclasses import fields
    from types import SimpleNamespace

    from azr_agents.openrlhf.options import _SPELLED_ELSEWHERE, add_azr_args, config_from_args

    from azr_env.rewards import RewardConfig
    from azr_env.tasks.base import TaskConfig

    parser = argparse.ArgumentParser()
    add_azr_args(parser)
    flags = {a.dest for a in parser._actions}
    for prefix, cls in (("task", TaskConfig), ("rewards", RewardConfig)):
        missing = [f.name for f in fields(cls) if f.name not in _SPELLED_ELSEWHERE
                   and f"azr.{prefix}_{f.name}" not in flags]  # fmt: skip
        assert not missing, f"{cls.__name__} fields without an --azr.{prefix}_* flag: {missing}"
    ns = parser.parse_args(["--azr.task_answer_mode", "expression", "--azr.task_reject_multiple_functions", "0",
                            "--azr.task_f_replace_location", "any_last", "--azr.task_predefined_names", "0",
                            "--azr.task_prompt_banned_keywords", "time", "time", "--azr.rewards_diversity_weight",
                            "0.25", "--azr.long_output", "truncate"])
    azr = SimpleNamespace(**{k.split(".", 1)[1]: v for k, v in vars(ns).items()})
    config = config_from_args(SimpleNamespace(azr=azr, train=SimpleNamespace(seed=0), rollout=SimpleNamespace()))
    task = config.round.task
    assert (task.answer_mode, task.reject_multiple_functions, task.f_replace_location, task.predefined_names,
            task.prompt_banned_keywords, task.long_output) == ("expression", False, "any_last", False,
                                                               ("time", "time"), "truncate")  # fmt: skip
    assert config.round.rewards.diversity_weight == 0.25
    assert labels.config_from_json(labels.config_to_json(config.round)) == config.round
