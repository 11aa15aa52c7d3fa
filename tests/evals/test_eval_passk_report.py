"""pass@k (azr_evals.passk) and the report stage (azr_evals.report)."""

from __future__ import annotations

import json
import math

import pytest
from azr_evals.passk import default_ks, mean_pass_at_k, pass_at_k
from azr_evals.report import averages, benchmark_metrics, build_results, markdown_table, write_reports

from azr_env.errors import ConfigError


def brute_force(n: int, c: int, k: int) -> float:
    return 1 - math.comb(n - c, k) / math.comb(n, k)


@pytest.mark.parametrize(("n", "c", "k"), [(1, 0, 1), (1, 1, 1), (10, 3, 1), (10, 3, 5), (20, 0, 10), (200, 7, 100)])
def test_unbiased_estimator(n, c, k):
    assert pass_at_k(n, c, k) == pytest.approx(brute_force(n, c, k))


def test_pass_at_k_errors_and_defaults():
    with pytest.raises(ConfigError, match="raise --n"):
        pass_at_k(4, 1, 5)
    assert mean_pass_at_k([(2, 1), (2, 2)], 1) == pytest.approx(0.75)
    assert default_ks(1) == [1] and default_ks(16) == [1, 5, 10]


def test_metrics_averages_and_tables(tmp_path):
    rows = [{"problem_id": "a", "correct": True, "reason": "pass", "details": {"base": "pass"}},
            {"problem_id": "b", "correct": False, "reason": "wrong_answer", "details": {"base": "pass"}}]
    metrics = benchmark_metrics(rows)
    assert metrics["score"] == 50.0 and metrics["base_score"] == 100.0
    assert metrics["reasons"] == {"pass": 1, "wrong_answer": 1}
    scores = {"humanevalplus": 80.0, "mbppplus": 70.0, "livecodebench": 30.0, "aime24": 10.0}
    avg = averages(scores)
    assert avg["CAvg"] == (60.0, True) and avg["MAvg"] == (10.0, False) and avg["AVG"] == (35.0, False)
    results = build_results("Qwen2.5-7B-Coder-azr", {b: {"score": s} for b, s in scores.items()}, {})
    assert list(results["paper_rows"]) == ["Qwen2.5-7B-Coder", "AZR-Coder-7B"]
    table = markdown_table(results)
    assert "| HE+ | MBPP+ | LCBv5 | AIME24 | CAvg | MAvg | AVG |" in table
    assert "| AZR-Coder-7B (paper) | 83.5 | 69.6 | 31.7 | 20.0 | 61.6 | 39.1 | 50.4 |" in table
    assert "10.0*" in table
    write_reports(results, tmp_path)
    assert json.loads((tmp_path / "results.json").read_text())["model"] == "Qwen2.5-7B-Coder-azr"
    assert "<table>" in (tmp_path / "results.html").read_text()
