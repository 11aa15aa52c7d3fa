"""The OpenRLHF version and private names the extension relies on (agents/openrlhf/compat.py, issue 14 item 8),
and `entry --check` in the CPU train environment (item 9)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("openrlhf.utils.agent", reason="OpenRLHF is not installed in this interpreter; run "
                    "`make test-openrlhf` (it uses the training environment .venv-train)")

from azr_agents.openrlhf import compat, entry, presets

from azr_env.errors import ConfigError

ROOT = Path(__file__).parents[2]


def test_installed_openrlhf_passes_the_start_up_check():
    compat.check_openrlhf()


def test_one_pinned_version_everywhere():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r'^openrlhf = \["openrlhf(==[0-9.]+)"\]', pyproject, re.M).group(1) == compat.OPENRLHF_SPEC
    script = (ROOT / "scripts" / "install_train_env.sh").read_text()
    assert "==" + re.search(r"^OPENRLHF_VERSION=([0-9.]+)$", script, re.M).group(1) == compat.OPENRLHF_SPEC
    assert compat.installed_version() in compat.OPENRLHF_SPEC


def test_another_version_is_refused_in_one_line(monkeypatch):
    monkeypatch.setattr(compat.importlib.metadata, "version", lambda name: "0.12.0")
    with pytest.raises(ConfigError) as err:
        compat.check_openrlhf()
    message = str(err.value)
    assert "OpenRLHF 0.12.0 is installed" in message and "openrlhf==0.11.2" in message and "\n" not in message


@pytest.mark.parametrize("owner, name", [("SamplesGenerator", "_dispatch_prompts_to_vllm"),
                                         ("SamplesGenerator", "_process_response_into_experience")])
def test_a_renamed_private_method_is_named(owner, name, monkeypatch):
    from openrlhf.trainer.ppo_utils import samples_generator

    monkeypatch.delattr(getattr(samples_generator, owner), name)
    with pytest.raises(ConfigError, match=rf"has no openrlhf\.trainer\.ppo_utils\.samples_generator\.{owner}\.{name}"):
        compat.check_openrlhf()


def test_an_eager_trainer_import_is_detected(monkeypatch):
    import openrlhf.cli.train_ppo_ray as train_ppo_ray

    monkeypatch.setattr(train_ppo_ray, "train", lambda args: None)  # a train() without the lazy PPOTrainer import
    with pytest.raises(ConfigError, match="no longer imports PPOTrainer inside the function"):
        compat.check_openrlhf()


def test_the_check_runs_before_openrlhfs_main_block(tmp_path, monkeypatch):
    """Before Ray, vLLM engines or DeepSpeed actors: nothing of OpenRLHF's launch code runs."""
    ran = []
    monkeypatch.setattr(compat.importlib.metadata, "version", lambda name: "0.10.0")
    monkeypatch.setattr(entry.runpy, "run_module", lambda *a, **k: ran.append(a))
    opts = presets.LaunchOptions(output_dir=str(tmp_path / "run"), agent_file=entry.agent_func_path())
    argv = presets.train_args(presets.get_preset("qwen2.5-coder-3b-2gpu"), opts)
    for call in (lambda: entry.main(argv), lambda: entry.check_args(argv), lambda: entry.main(["--check", *argv])):
        with pytest.raises(ConfigError, match=r"OpenRLHF 0\.10\.0 is installed"):
            call()
    assert ran == []


@pytest.mark.slow
def test_check_mode_works_in_the_cpu_train_environment(tmp_path):
    """`python -m azr_agents.openrlhf.entry --check` as the docs say, in a fresh interpreter (no test stand-ins):
    on a machine without flash-attn's CUDA module it still checks the command line."""
    opts = presets.LaunchOptions(output_dir=str(tmp_path / "run"), agent_file=entry.agent_func_path())
    argv = presets.train_args(presets.get_preset("qwen2.5-coder-7b-8gpu"), opts)
    proc = subprocess.run([sys.executable, "-m", "azr_agents.openrlhf.entry", "--check", *argv,
                           "--azr.batch_per_type", "16", "--train.batch_size", "32"],
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "OpenRLHFSelfPlayConfig(steps=500, batch_per_type=16" in proc.stdout
