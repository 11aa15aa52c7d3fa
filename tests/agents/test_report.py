"""`azr report` (agents/report.py) on a synthetic run folder, and the CLI registration of the agent commands."""

import json

import pytest
from azr_agents.report import write_report

from azr_env.errors import DataError


def test_report_writes_plots_and_html(tmp_path):
    rows = [{"step": s, "propose/deduction/valid_rate": 0.5 + 0.1 * s, "solve/deduction/accuracy": 0.1 * s,
             "eval/deduction/accuracy": 0.2, "reward/solve/deduction": -0.5, "buffer/deduction/size": 10 + s,
             "time/generate_s": 1.0, "time/execute_s": 0.1, "time/update_s": 0.5, "losses/policy": 0.01}
            for s in range(3)]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"torn')
    task = {"task_type": "deduction", "program": "def f(a):\n    return a", "inputs": ["1"], "outputs": ["1"],
            "message": ""}
    samples = [{"step": 2, "kind": "proposal", "task_type": "deduction", "valid": True, "reason": "valid",
                "solve_rate": 0.5, "response": "...", "task": task},
               {"step": 2, "kind": "proposal", "task_type": "deduction", "valid": False, "reason": "syntax_error",
                "solve_rate": None, "response": "<bad & ugly>", "task": None}]
    (tmp_path / "samples.jsonl").write_text("".join(json.dumps(s) + "\n" for s in samples))
    page = write_report(tmp_path)
    html = page.read_text()
    assert (tmp_path / "report" / "validity.png").stat().st_size > 1000
    assert "validity.png" in html and "def f(a):" in html and "solve rate 0.50" in html
    with pytest.raises(DataError, match=r"metrics\.jsonl"):
        write_report(tmp_path / "nothing")


def test_agent_commands_are_registered():
    from azr_env.cli import build_parser

    parser = build_parser()
    for argv in (["selfplay", "--lr", "1e-4"], ["pretrain-micro"], ["serve"], ["report", "x"]):
        assert callable(parser.parse_args(argv).func)
