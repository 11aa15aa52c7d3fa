"""End to end: `azr eval` on a few problems of every benchmark (azr_evals.runner, azr_evals.commands.eval_cmd).

A scripted agent that answers with the gold solutions checks that every stage is wired correctly (all scores
100); the tiny CPU model (random weights, a few tokens) checks the real backend path (scores near zero).
"""

from __future__ import annotations

import json

import pytest
from azr_evals.data import load_problems
from azr_evals.prompts import build_prompt
from azr_evals.registry import BENCHMARKS, resolve_benchmarks
from azr_evals.runner import EvalConfig, run
from azr_evals.score.cruxeval_score import referee
from azr_evals.scoring import ScoringConfig

from azr_env.cli import main

LIMIT = 2


def gold_response(problem, lcb_solutions: dict[str, str]) -> str:
    family = BENCHMARKS[problem.benchmark].family
    if family == "evalplus":
        code = problem.meta["prompt"] + problem.meta["canonical_solution"]
    elif family == "livecodebench":
        code = lcb_solutions[problem.problem_id]
    elif family == "math":
        return f"<think>easy</think><answer>The answer is \\boxed{{{problem.answer}}}</answer>"
    else:
        block = "output" if problem.benchmark == "cruxeval_o" else "input"
        return f"<think>easy</think>\n<answer>\n```{block}\n{problem.answer}\n```\n</answer>"
    return f"<think>easy</think><answer>\n```python\n{code}\n```\n</answer>"


class GoldAgent:
    """Answers each known prompt with its gold solution."""

    def __init__(self, answers: dict[str, str]):
        self.answers = answers

    def generate(self, prompts, *, n=1, temperature=1.0, top_p=1.0, max_new_tokens=512, stop=None, seed=None):
        return [[self.answers[p]] * n for p in prompts]


def test_gold_agent_scores_everything(eval_data_dir, lcb_solutions, tmp_path):
    specs = resolve_benchmarks("all")
    answers = {}
    with referee("r1") as ref:
        for spec in specs:
            for problem in load_problems(spec.name, data_dir=eval_data_dir, limit=LIMIT):
                answers[build_prompt(problem, spec.family, "r1", referee=ref)] = gold_response(problem, lcb_solutions)
    config = EvalConfig(benchmarks=specs, out_dir=tmp_path, model_id="gold", data_dir=eval_data_dir, limit=LIMIT,
                        scoring=ScoringConfig(), progress=False)
    results = run(GoldAgent(answers), config, log=lambda *_: None)
    scores = {name: m["score"] for name, m in results["benchmarks"].items()}
    assert scores == {spec.name: 100.0 for spec in specs}
    rows = [json.loads(line) for line in (tmp_path / "scored" / "aime24.jsonl").read_text().splitlines()]
    assert {"prompt", "response", "extracted", "correct", "reason"} <= set(rows[0])
    assert (tmp_path / "results.md").exists() and (tmp_path / "results.html").exists()


@pytest.mark.slow
def test_azr_eval_with_the_tiny_cpu_model(eval_data_dir, tmp_path, capsys):
    pytest.importorskip("torch")
    from azr_agents.micro import build_micro_model

    model = build_micro_model(tmp_path / "micro")
    out = tmp_path / "out"
    code = main(["eval", "--model", str(model), "--backend", "hf", "--benchmarks", "all", "--limit", "1",
                 "--data-dir", str(eval_data_dir), "--max-new-tokens", "4", "--out", str(out), "--no-progress"])
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert set(results["benchmarks"]) == set(BENCHMARKS)
    assert all(0.0 <= m["score"] <= 100.0 for m in results["benchmarks"].values())
    assert "CAvg" in capsys.readouterr().out
    # a second run resumes from the generation cache and re-scores only
    assert main(["eval", "--out", str(out), "--benchmarks", "aime24", "--limit", "1", "--data-dir",
                 str(eval_data_dir), "--stage", "score", "--stage", "report", "--no-progress"]) == 0


def test_eval_list(capsys):
    assert main(["eval", "--list"]) == 0
    listing = capsys.readouterr().out
    assert all(name in listing for name in BENCHMARKS)
