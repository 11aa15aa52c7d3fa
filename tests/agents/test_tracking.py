"""Metrics logging (agents/tracking.py), the live display (agents/progress.py), checkpoint helpers."""

import importlib.util
import json

import pytest
from azr_agents.checkpoint import latest_checkpoint, truncate_jsonl
from azr_agents.progress import Progress
from azr_agents.tracking import Tracker, read_jsonl

METRICS = {"propose/deduction/valid_rate": 0.5, "solve/deduction/accuracy": 0.25, "time/generate_s": 1.0,
           "time/execute_s": 0.1, "time/update_s": 0.5, "perf/gen_tokens_per_s": 100.0,
           "eval/deduction/accuracy": 0.1}


def test_tracker_writes_jsonl_rows_and_samples(tmp_path):
    tracker = Tracker(tmp_path)
    tracker.log(0, METRICS)
    tracker.log(1, METRICS | {"solve/deduction/accuracy": 0.5})
    tracker.log_samples(1, [{"kind": "proposal", "task_type": "deduction"}])
    tracker.close()
    rows = read_jsonl(tmp_path / "metrics.jsonl")
    assert [r["step"] for r in rows] == [0, 1] and rows[1]["solve/deduction/accuracy"] == 0.5
    assert read_jsonl(tmp_path / "samples.jsonl")[0]["step"] == 1


@pytest.mark.skipif(importlib.util.find_spec("tensorboard") is None, reason="tensorboard not installed")
def test_tracker_mirrors_to_tensorboard(tmp_path):
    tracker = Tracker(tmp_path, tensorboard=True)
    tracker.log(0, METRICS)
    tracker.close()
    assert any((tmp_path / "tb").iterdir())


def test_truncate_drops_rows_after_the_checkpoint_and_torn_lines(tmp_path):
    path = tmp_path / "m.jsonl"
    path.write_text("".join(json.dumps({"step": s}) + "\n" for s in (-1, 0, 1, 2)) + '{"step": 3')
    truncate_jsonl(path, 0)
    assert [r["step"] for r in read_jsonl(path)] == [-1, 0]
    assert latest_checkpoint(tmp_path / "none") is None


@pytest.mark.parametrize("mode", ["rich", "plain", "none"])
def test_progress_modes_render(mode, capsys):
    progress = Progress(5, ("deduction", "abduction"), mode)
    progress.message("seeding")
    progress.update(1, METRICS)
    progress.close()
    out = capsys.readouterr().out
    if mode == "plain":
        assert "step 1/5" in out and "heldout greedy 0.10" in out
    if mode == "rich":
        assert "deduction" in out
