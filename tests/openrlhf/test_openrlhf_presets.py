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
    assert _value(argv, "--logger.wandb.key") == "env:WANDB_API_KEY"  # a placeholder, never the key
    assert argv[-2:] == ["--azr.steps", "3"]
    assert _value(argv, "--ckpt.path") == str((tmp_path / "run" / "ckpt").absolute())


def test_rendered_script_parses_as_shell_and_uses_the_train_environments_ray(tmp_path):
    opts = _opts(tmp_path, wandb_project="p", python="/envs/train/bin/python")
    text = presets.plan(presets.get_preset("qwen2.5-coder-14b-2node"), opts).render()
    assert "/envs/train/bin/python -m ray.scripts.scripts start --head" in text and "env:WANDB_API_KEY" in text
    command = text.split("# Training:\n", 1)[1].split("\n# Afterwards:", 1)[0]
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:5] == ["/envs/train/bin/python", "-m", "ray.scripts.scripts", "job", "submit"]
    assert "azr_agents.openrlhf.entry" in words


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
    assert _value(argv, "--logger.wandb.key") == "env:WANDB_API_KEY"
    monkeypatch.delenv("WANDB_API_KEY")
    assert main(["train-openrlhf", "--preset", "qwen2.5-coder-3b-2gpu", "--python", "/bin/echo",
                 "--wandb-project", "azr", "--output-dir", str(tmp_path / "other")]) == 2
    assert "WANDB_API_KEY is not set" in capfd.readouterr().err


PLANTED_KEY = "planted-wandb-key-0123456789abcdef"


@pytest.mark.parametrize("mode", [[], ["--submit"], ["--dry-run"], ["--dry-run", "--submit"]])
@pytest.mark.parametrize("name", ["qwen2.5-coder-3b-2gpu", "qwen2.5-coder-14b-2node"])
def test_wandb_key_is_never_in_the_printed_or_run_command(name, mode, capfd, tmp_path, monkeypatch):
    """Issue 14 item 4: the key travels in the environment only (OpenRLHF prints all arguments, `ray job submit`
    stores the command line). /bin/echo as the train Python prints every argument the job would get."""
    monkeypatch.setenv("WANDB_API_KEY", PLANTED_KEY)
    monkeypatch.setenv("PATH", f"{_fake_ray_env(tmp_path)}:/usr/bin:/bin")
    code = main(["train-openrlhf", "--preset", name, "--python", "/bin/echo", "--output-dir", str(tmp_path / "run"),
                 "--wandb-project", "azr", *mode])  # fmt: skip
    out, err = capfd.readouterr()
    assert code == 0 and "--logger.wandb.key" in out and "env:WANDB_API_KEY" in out
    assert PLANTED_KEY not in out + err


def _fake_ray_env(tmp_path):
    """A folder with a `ray` that would leak into the test if a bare `ray` from PATH were used."""
    folder = tmp_path / "path"
    folder.mkdir(exist_ok=True)
    (folder / "ray").write_text("#!/bin/sh\necho WRONG-RAY \"$@\"; exit 3\n")
    (folder / "ray").chmod(0o755)
    return folder


def test_submit_uses_the_train_environments_ray_and_attaches_to_a_running_head(tmp_path, capfd, monkeypatch):
    """Issue 14 item 6: `--submit` runs the train environment's `ray` (never a `ray` from PATH), and a second
    submit finds the running head instead of failing on `ray start --head` ("already running")."""
    state, calls = tmp_path / "head-running", tmp_path / "calls"
    python = tmp_path / "train" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f"""#!/bin/sh
# A train-environment Python whose `-m ray.scripts.scripts` behaves like the ray CLI with one head per machine.
echo "$*" >> {calls}
[ "$1 $2" = "-m ray.scripts.scripts" ] || exit 9
case "$3" in
  status) [ -e {state} ] ;;
  start) [ -e {state} ] && {{ echo "ConnectionError: Ray is already running" >&2; exit 1; }}; touch {state} ;;
  job) exit 0 ;;
  *) exit 8 ;;
esac
""")
    python.chmod(0o755)
    monkeypatch.setenv("PATH", f"{_fake_ray_env(tmp_path)}:/usr/bin:/bin")
    for run in ("first", "second"):
        code = main(["train-openrlhf", "--preset", "qwen2.5-coder-3b-2gpu", "--submit", "--python", str(python),
                     "--output-dir", str(tmp_path / run)])  # fmt: skip
        assert code == 0, capfd.readouterr()
    lines = calls.read_text().splitlines()
    assert sum(line.startswith("-m ray.scripts.scripts start --head") for line in lines) == 1
    assert sum(line.startswith("-m ray.scripts.scripts job submit") for line in lines) == 2
    assert "WRONG-RAY" not in capfd.readouterr().out


def test_cli_refuses_a_run_folder_that_is_not_empty_without_resume(tmp_path, capsys):
    """Issue 14 item 2: a fresh run never reuses a folder (its buffers would seed the new run)."""
    run = tmp_path / "run"
    (run / "ckpt" / "azr_buffers").mkdir(parents=True)
    (run / "ckpt" / "azr_buffers" / "deduction.jsonl").write_text('{"task": 1}\n')
    argv = ["train-openrlhf", "--preset", "qwen2.5-coder-3b-2gpu", "--dry-run", "--output-dir", str(run)]
    assert main(argv) == 2
    assert "not empty" in capsys.readouterr().err
    assert main([*argv, "--resume"]) == 0 and "--ckpt.load_enable" in capsys.readouterr().out


def test_default_train_python_is_the_checkouts_whatever_the_directory(tmp_path, capsys, monkeypatch):
    """Issue 14 item 9: not `.venv-train/bin/python` relative to wherever the command was started."""
    from azr_agents.commands import train_openrlhf_cmd

    monkeypatch.delenv("AZR_TRAIN_PYTHON", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["train-openrlhf", "--preset", "qwen2.5-coder-3b-2gpu", "--dry-run", "--output-dir", "run"]) == 0
    expected = str(train_openrlhf_cmd.checkout_root() / ".venv-train" / "bin" / "python")
    assert expected.startswith("/") and f"{expected} -m azr_agents.openrlhf.entry" in capsys.readouterr().out


def test_memory_table_shows_gradients_and_logits_and_matches_the_docs():
    """Issue 14 item 9: the 7B-on-4-GPU estimate counts gradients and logits; the docs show this very table."""
    from pathlib import Path

    from azr_agents.openrlhf import memory

    e = memory.estimate(presets.get_preset("qwen2.5-coder-7b-4gpu"))
    assert e.states_gpu == pytest.approx(7.62 * 16 / 4, rel=1e-3)  # weights + grads + fp32 master/Adam, ZeRO-3
    assert e.logits == pytest.approx(16384 * 152064 * 6 / 1e9, rel=1e-3) and e.train_peak_gpu > e.states_gpu + 14
    offload = memory.estimate(presets.get_preset("qwen2.5-coder-7b-2gpu"))
    assert offload.states_gpu == pytest.approx(7.62 * 4 / 2, rel=1e-3) and offload.adam_cpu_per_node > 90
    docs = (Path(__file__).parents[2] / "docs" / "openrlhf.md").read_text()
    assert memory.table() in docs, "regenerate the table in docs/openrlhf.md: azr train-openrlhf --memory"
