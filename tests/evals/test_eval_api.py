"""The public Python API (`azr_evals.evaluate`) and the snippet of docs/evals.md that shows it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from azr_evals import EvalResults, evaluate

from azr_env.errors import ConfigError

DOCS = Path(__file__).resolve().parents[2] / "docs" / "evals.md"


def _snippet(marker: str) -> str:
    """The ```python block that follows `<!-- marker -->` in docs/evals.md."""
    text = DOCS.read_text()
    match = re.search(rf"<!-- {re.escape(marker)} -->\s*```python\n(.*?)```", text, re.S)
    assert match, f"docs/evals.md has no python block after <!-- {marker} -->"
    return match.group(1)


def test_docs_snippet_runs_as_pasted(shared_data, tmp_path, monkeypatch, capsys):
    code = _snippet("snippet: evaluate a Python function")
    assert '"../shared/data"' in code
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code.replace('"../shared/data"', repr(str(shared_data))), "docs/evals.md", "exec"), namespace)
    results = namespace["results"]
    assert isinstance(results, EvalResults)
    printed = capsys.readouterr().out
    assert "| my-model |" in printed and "AIME24" in printed
    assert (tmp_path / "runs" / "eval" / "my-model" / "results.json").exists()


def test_evaluate_returns_the_typed_table(shared_data, tmp_path):
    rows = [json.loads(line) for line in (shared_data / "amc23" / "test.jsonl").read_text().splitlines()]

    def solver(prompts: list[str]) -> list[str]:  # right on the first problem only
        return ["\\boxed{%s}" % (rows[0]["answer"] if rows[0]["problem"].strip() in p else "-1") for p in prompts]

    results = evaluate(solver, "amc23,aime24", data_dir=shared_data, limit=2, out_dir=tmp_path, model_name="s")
    assert results.scores["amc23"] == 50.0 and results.scores["aime24"] == 0.0
    assert results.averages["MAvg"] == 25.0 and results.averages["CAvg"] is None
    assert results.metrics["amc23"]["problems"] == 2 and results.model == "s"
    assert results.table.startswith("| Model |") and str(results) == results.table
    assert json.loads((tmp_path / "results.json").read_text())["benchmarks"]["amc23"]["score"] == 50.0


def test_evaluate_refuses_the_oracle_agent(tmp_path):
    from azr_agents.scripted import OracleAgent

    with pytest.raises(ConfigError, match="oracle"):
        evaluate(OracleAgent(), ["aime24"], out_dir=tmp_path)
