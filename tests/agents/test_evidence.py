"""Evidence that self-play learns (issue 4): a short cpu-micro TRR++ run with the pretrained micro model.

Slow: builds cpu-micro on first use (about 5 CPU minutes, cached) and runs 30 self-play steps (about 3 minutes
on 2 free cores). Asserts what held in every run we measured (docs/trainer.md, "Evidence"): the proposer's
validity rises, the solver's accuracy on the step's tasks rises, and held-out deduction accuracy does not fall.
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
