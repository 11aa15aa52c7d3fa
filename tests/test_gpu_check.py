"""`make gpu-check` (scripts/gpu_check.py): its CPU mode runs the same steps so the GPU script cannot rot."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "gpu_check.py"


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA: the real check runs instead")
def test_without_cuda_it_exits_2_with_one_line(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(tmp_path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "no CUDA device" in done.stderr
    assert not (tmp_path / "gpu_check.json").exists()


@pytest.mark.slow
def test_cpu_mode_builds_a_qwen2_model_and_trains_through_the_real_trainer(tmp_path):
    done = subprocess.run([sys.executable, str(SCRIPT), "--device", "cpu", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert report["steps"] >= 1 and report["gen_tokens_per_s"] > 0 and report["train_tokens_per_s"] > 0
    assert json.loads((tmp_path / "model" / "config.json").read_text())["model_type"] == "qwen2"
    assert "generation tokens/s" in done.stdout and "peak GPU memory" in done.stdout
    # The repository was imported in place, through the links the script made (no install needed).
    assert (tmp_path / "import-path" / "azr_agents").resolve() == SCRIPT.parent.parent / "agents"
