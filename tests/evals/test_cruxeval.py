"""CRUXEval-I/O through the env's checkers (azr_evals.data.cruxeval, azr_evals.score.cruxeval_score), on rows of
the upstream shape (no copy of cruxeval.jsonl is available offline)."""

from __future__ import annotations

import json

import pytest
from azr_evals.data import load_problems
from azr_evals.prompts import build_prompt
from azr_evals.score import cruxeval_score

ROWS = [
    {"code": "def f(text):\n    return text.upper() + '!'", "input": "'abc'", "output": "'ABC!'", "id": "sample_0"},
    {"code": "def f(a, b):\n    return [a] * b", "input": "3, 2", "output": "[3, 3]", "id": "sample_1"},
]


@pytest.fixture
def data_dir(tmp_path):
    (tmp_path / "cruxeval").mkdir()
    (tmp_path / "cruxeval" / "cruxeval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return tmp_path


def answer(block: str, text: str) -> str:
    return f"<think>thinking</think>\n<answer>\n```{block}\n{text}\n```\n</answer>"


def test_output_and_input_prediction(data_dir):
    out_problems = load_problems("cruxeval_o", data_dir=data_dir)
    in_problems = load_problems("cruxeval_i", data_dir=data_dir)
    with cruxeval_score.referee("r1") as ref:
        prompt = build_prompt(out_problems[0], "cruxeval", "r1", referee=ref)
        assert "def f(text)" in prompt and "'abc'" in prompt and prompt.rstrip().endswith("<think>")
        verdicts = cruxeval_score.score([
            (out_problems[0], answer("output", "'ABC!'")),
            (out_problems[1], answer("output", "[3,\n 3]")),   # values, not text (SPEC §2)
            (out_problems[1], answer("output", "[3]")),
            (in_problems[0], answer("input", "'abc'")),
            (in_problems[1], answer("input", "1, 2")),          # wrong input
            (in_problems[1], answer("input", "3, 2")),
            (in_problems[0], "no tags at all"),
        ], ref)
    assert [v.correct for v in verdicts] == [True, True, False, True, False, True, False]
    assert verdicts[0].reason == "pass" and verdicts[2].reason != "pass"


def test_cruxeval_i_gold_inputs_of_every_shape_score_correct(tmp_path):
    # Issue 10 E: lambdas, expressions, names the program defines and empty argument lists are CRUXEval-I gold
    # inputs; scoring them under the training default (data answers) under-reported CRUXEval-I by ~1.75 %.
    rows = [
        {"code": "def f(nums, pred):\n    return [x for x in nums if pred(x)]",
         "input": "[0, 3, 0, 1], lambda x: x < 2", "output": "[0, 0, 1]", "id": "sample_0"},
        {"code": "def f(text):\n    return text.lower()", "input": "''.join(['A'] * 20)", "output": repr("a" * 20),
         "id": "sample_1"},
        {"code": "thigh_o_two = [1, 2]\ndef f(a, b, c, d):\n    return a + [b, c, d]",
         "input": "thigh_o_two[:], 3, 3, 2", "output": "[1, 2, 3, 3, 2]", "id": "sample_2"},
        {"code": "def f():\n    return 'x'", "input": "", "output": "'x'", "id": "sample_3"},
    ]  # fmt: skip
    (tmp_path / "cruxeval").mkdir()
    (tmp_path / "cruxeval" / "cruxeval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    problems = load_problems("cruxeval_i", data_dir=tmp_path)
    with cruxeval_score.referee("r1") as ref:
        verdicts = cruxeval_score.score([(p, answer("input", p.meta["input"])) for p in problems], ref)
    assert [v.correct for v in verdicts] == [True] * 4
