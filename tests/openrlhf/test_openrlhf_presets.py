"""Presets and `azr train-openrlhf` command lines (agents/openrlhf/presets.py); pure, runs everywhere.

The same command lines are parsed by OpenRLHF's real parser in test_openrlhf_launch.py (train environment).
"""

from __future__ import annotations

import shlex

import pytest
from azr_agents.openrlhf import presets

from azr_env.cli import main
from azr_env.errors import ConfigError


def _opts(tmp_path, **kw):
    return presets.LaunchOptions(output_dir=str(tmp_path / "run"), agent_file="/x/agent_func.py", **kw)


def _value(argv: list[str], option: str) -> str:
    return argv[len(argv) - 1 - argv[::-1].index(option) + 1]


def test_presets_cover_the_layouts_and_models():
    gpus = {(p.nodes, p.gpus_per_node) for p in presets.PRESETS.values()}
    assert {(1, 1), (1, 2), (1, 4), (1, 8), (2, 8)} <= gpus
    models = {p.model for p in presets.PRESETS.values()}
    assert models == {"Qwen/Qwen2.5-Coder-3B", "Qwen/Qwen2.5-Coder-7B", "Qwen/Qwen2.5-Coder-14B",
                      "Qwen/Qwen2.5-7B", "meta-llama/Llama-3.1-8B"}


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_every_preset_has_spec_hyperparameters_and_a_consistent_layout(name, tmp_path):
    preset = presets.PRESETS[name]
    argv = presets.train_args(preset, _opts(tmp_path))
    expected = {"--algo.advantage.estimator": "trr++", "--algo.kl.init_coef": "0", "--actor.adam.lr": "1e-6",
                "--actor.adam.weight_decay": "0.01", "--actor.max_norm": "1.0", "--actor.eps_clip": "0.2",
                "--train.batch_size": "128", "--rollout.temperature": "1.0", "--rollout.top_p": "1.0",
                "--rollout.max_new_tokens": "8096", "--data.max_len": str(6144 + 8096),
                "--actor.lr_scheduler": "constant", "--azr.batch_per_type": "64", "--azr.n_rollouts": "8",
                "--azr.steps": "500", "--actor.model_name_or_path": preset.model}
    assert {k: _value(argv, k) for k in expected} == expected
    engines, tp = int(_value(argv, "--vllm.num_engines")), int(_value(argv, "--vllm.tensor_parallel_size"))
    nodes, per_node = int(_value(argv, "--actor.num_nodes")), int(_value(argv, "--actor.num_gpus_per_node"))
    assert engines * tp == nodes * per_node == preset.gpus  # OpenRLHF's colocate_all invariant
    assert {"--train.colocate_all", "--vllm.enable_sleep", "--ds.enable_sleep", "--ckpt.save_hf"} <= set(argv)


def test_options_model_resume_wandb_and_extra(tmp_path):
    preset = presets.get_preset("qwen2.5-coder-7b-4gpu")
    argv = presets.train_args(preset, _opts(tmp_path, model="/models/mine", resume=True, wandb_project="azr",
                                            extra=("--azr.steps", "3")))
    assert _value(argv, "--actor.model_name_or_path") == "/models/mine"
    assert "--ckpt.load_enable" in argv and _value(argv, "--logger.wandb.project") == "azr"
    assert _value(argv, "--logger.wandb.key") == "$WANDB_API_KEY"
    assert argv[-2:] == ["--azr.steps", "3"]
    assert _value(argv, "--ckpt.path") == str((tmp_path / "run" / "ckpt").absolute())


def test_rendered_script_keeps_secrets_as_variables_and_parses_as_shell(tmp_path):
    job = presets.plan(presets.get_preset("qwen2.5-coder-14b-2node"), _opts(tmp_path, wandb_project="p"))
    text = job.render()
    assert '"$WANDB_API_KEY"' in text and "ray start --head" in text and "ray job submit" in text
    command = text.split("# Training:\n", 1)[1].split("\n# Afterwards:", 1)[0]
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:3] == ["ray", "job", "submit"] and "azr_agents.openrlhf.entry" in words


def test_resolve_env_vars(monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "k123")
    assert presets.resolve_env_vars(["a", "$WANDB_API_KEY"]) == ["a", "k123"]
    monkeypatch.delenv("WANDB_API_KEY")
    with pytest.raises(ConfigError, match="WANDB_API_KEY is not set"):
        presets.resolve_env_vars(["$WANDB_API_KEY"])


def test_unknown_preset_suggests_a_name():
    with pytest.raises(ConfigError, match=r"Did you mean .qwen2\.5-coder-7b-8gpu."):
        presets.get_preset("qwen2.5-coder-7b-8gpus")


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_cli_dry_run_prints_every_preset(name, capsys, tmp_path):
    assert main(["train-openrlhf", "--preset", name, "--dry-run", "--output-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("#!/usr/bin/env bash") and "azr_agents.openrlhf.entry" in out
    assert "agents/openrlhf/agent_func.py" in out and presets.PRESETS[name].model in out


def test_cli_list_and_errors(capsys):
    assert main(["train-openrlhf", "--list"]) == 0
    assert "qwen2.5-coder-3b-1gpu" in capsys.readouterr().out
    assert main(["train-openrlhf", "--dry-run"]) == 2
    assert "--preset NAME is required" in capsys.readouterr().err
    assert main(["train-openrlhf", "--preset", "nope", "--dry-run"]) == 2


def test_cli_runs_the_command_with_the_train_python(capfd, tmp_path, monkeypatch):
    """Without --dry-run the job runs; /bin/echo as the 'train Python' shows the exact argv it gets."""
    monkeypatch.setenv("WANDB_API_KEY", "secret-key")
    code = main(["train-openrlhf", "--preset", "qwen2.5-coder-3b-2gpu", "--python", "/bin/echo", "--output-dir",
                 str(tmp_path), "--wandb-project", "azr", "--", "--azr.steps", "3"])
    assert code == 0
    argv = capfd.readouterr().out.split()
    assert argv[:2] == ["-m", "azr_agents.openrlhf.entry"] and argv[-2:] == ["--azr.steps", "3"]
    assert _value(argv, "--logger.wandb.key") == "secret-key"  # resolved for the run, never printed by --dry-run
    monkeypatch.delenv("WANDB_API_KEY")
    assert main(["train-openrlhf", "--preset", "qwen2.5-coder-3b-2gpu", "--python", "/bin/echo",
                 "--wandb-project", "azr"]) == 2
