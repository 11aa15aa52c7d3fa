"""`azr selfplay` start-up rules shared with the OpenRLHF trainer (issue 14 items 2 and 3): a fresh run never
discards a previous run's folder, and training refuses the executor's weaker fallback sandbox unless allowed."""

from __future__ import annotations

import json

import pytest

from azr_env.cli import main


@pytest.fixture
def trained(monkeypatch):
    """Stands in for the training loop itself (agents/trainer.py `train`, which `main` runs after its start-up
    checks), recording the config it would get."""
    import azr_agents.trainer as trainer

    runs = []
    monkeypatch.setattr(trainer, "train", lambda config, sampler=None: runs.append(config))
    return runs


def test_a_fresh_run_refuses_a_folder_holding_a_previous_run(tmp_path, trained, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 0}\n')
    assert main(["selfplay", "--preset", "cpu-micro", "--run-dir", str(run), "--resume", "false"]) == 2
    assert "is not empty and --resume is false" in capsys.readouterr().err
    assert trained == [] and (run / "metrics.jsonl").read_text() == '{"step": 0}\n'
    assert main(["selfplay", "--preset", "cpu-micro", "--run-dir", str(run)]) == 0  # default: resume it
    assert main(["selfplay", "--preset", "cpu-micro", "--run-dir", str(tmp_path / "new"), "--resume", "false"]) == 0
    assert len(trained) == 2


def test_training_refuses_the_fallback_sandbox_unless_allowed_and_records_the_mode(tmp_path, trained, capsys,
                                                                                   monkeypatch):  # fmt: skip
    from azr_env.sandbox import isolation

    monkeypatch.setattr(isolation, "bwrap_works", lambda: False)
    argv = ["selfplay", "--preset", "cpu-micro", "--run-dir", str(tmp_path / "a")]
    assert main(argv) == 2 and "bubblewrap is not usable" in capsys.readouterr().err and trained == []
    assert main([*argv, "--allow-weak-sandbox"]) == 0
    assert json.loads((tmp_path / "a" / "sandbox.json").read_text())["isolation"] == "fallback"
    assert "sandbox isolation: fallback" in capsys.readouterr().out
    monkeypatch.setattr(isolation, "bwrap_works", lambda: True)
    assert main(["selfplay", "--preset", "cpu-micro", "--run-dir", str(tmp_path / "b")]) == 0
    assert json.loads((tmp_path / "b" / "sandbox.json").read_text())["isolation"] == "bwrap"


def test_the_python_api_keeps_the_same_start_rules(tmp_path, trained, monkeypatch):
    """`azr_agents.trainer.main(config)` called from Python refuses what the command refuses (no bypass)."""
    from azr_agents.config import load_config
    from azr_agents.trainer import main as train_main

    from azr_env.errors import ConfigError
    from azr_env.sandbox import isolation

    run = tmp_path / "run"
    run.mkdir()
    (run / "metrics.jsonl").write_text('{"step": 0}\n')
    with pytest.raises(ConfigError, match="is not empty and --resume is false"):
        train_main(load_config("cpu-micro", None, {"run_dir": str(run), "resume": False}))
    assert (run / "metrics.jsonl").read_text() == '{"step": 0}\n'  # nothing discarded
    monkeypatch.setattr(isolation, "bwrap_works", lambda: False)
    with pytest.raises(ConfigError, match="bubblewrap is not usable"):
        train_main(load_config("cpu-micro", None, {"run_dir": str(tmp_path / "new")}))
    train_main(load_config("cpu-micro", None, {"run_dir": str(tmp_path / "new"), "allow_weak_sandbox": True}))
    assert len(trained) == 1
