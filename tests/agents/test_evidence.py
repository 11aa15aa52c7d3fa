"""Evidence that self-play learns (issue 4): short cpu-micro TRR++ runs (docs/trainer.md, "Evidence").

Slow: builds cpu-micro on first use (about 5 CPU minutes, cached) and cpu-micro-habit from it (about 1 minute),
then runs 30 self-play steps with each (1-3 minutes each on 2 free cores). Asserts what held in every run we
measured: with cpu-micro the proposer's validity and the solver's accuracy on its own tasks rise and held-out
deduction accuracy does not fall; with cpu-micro-habit (the positive control) the loop unlearns the planted
habit and held-out deduction accuracy rises.
"""

import json

import pytest


def mean(rows, key):
    values = [r[key] for r in rows if key in r]
    return sum(values) / len(values)


@pytest.mark.slow
def test_cpu_micro_selfplay_learns(tmp_path):
    from azr_agents.config import load_config
    from azr_agents.trainer import main

    run = tmp_path / "run"
    config = load_config("cpu-micro", None, {"run_dir": str(run), "total_steps": 30, "eval_every": 30,
                                             "progress": "none", "report": False})
    main(config)
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    start, end = rows[0], rows[-1]
    steps = [r for r in rows if r["step"] >= 0]
    first, last = steps[:10], steps[-10:]
    types = config.task_types
    validity = [(mean(first, f"propose/{t}/valid_rate"), mean(last, f"propose/{t}/valid_rate")) for t in types]
    accuracy = [(mean(first, f"solve/{t}/accuracy"), mean(last, f"solve/{t}/accuracy")) for t in types]
    report = f"validity {validity}, accuracy {accuracy}, held-out {start} -> {end}"
    assert sum(b for _, b in validity) > sum(a for a, _ in validity), report
    assert sum(b for _, b in accuracy) > sum(a for a, _ in accuracy) + 0.15, report
    assert end["eval/deduction/accuracy_sampled"] >= start["eval/deduction/accuracy_sampled"] - 0.02, report


@pytest.mark.slow
def test_selfplay_unlearns_a_planted_habit_and_heldout_accuracy_rises(tmp_path):
    """cpu-micro-habit answers `0` to most held-out tasks; self-play, rewarded by the executor alone, must stop."""
    from azr_agents.config import load_config
    from azr_agents.trainer import main

    run = tmp_path / "run"
    config = load_config("cpu-micro", None, {"model": "cpu-micro-habit", "run_dir": str(run), "total_steps": 30,
                                             "eval_every": 10, "progress": "none", "report": False})
    main(config)
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if "eval/deduction/accuracy" in r]
    assert [r["step"] for r in evals] == [-1, 9, 19, 29]
    start, later = evals[0], evals[2:]
    report = [(r["step"], r["eval/deduction/accuracy"], r["eval/deduction/top_answer_share"]) for r in evals]
    assert start["eval/deduction/top_answer_share"] > 0.5, report  # the habit is there at the start
    assert evals[-1]["eval/deduction/top_answer_share"] < start["eval/deduction/top_answer_share"] - 0.3, report
    assert mean(later, "eval/deduction/accuracy") >= start["eval/deduction/accuracy"] + 0.03, report
