"""Reflection ratios (as the reference logs them) and concerning phrases, per step (issue 12 item 19)."""

import json
from pathlib import Path

import pytest
from azr_agents.config import load_config
from azr_agents.reflection import (
    Response,
    concerning_responses,
    read_reference_keywords,
    reflection_metrics,
    save_flagged,
)
from azr_agents.report import write_report

from azr_env.errors import ConfigError

AUXILIARY = (Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "absolute-zero-reasoner"
             / "absolute_zero_reasoner" / "utils" / "auxiliary.py")
RESPONSES = [
    Response("solve", "deduction", "<think>WAIT, that is off.</think><answer>1</answer>", True, 1.0),
    Response("solve", "deduction", "<think>Hmm... maybe 3</think><answer>3</answer>", False, -0.5),
    Response("solve", "deduction", "<think>easy</think><answer>2</answer>", True, 1.0),
    Response("propose", "abduction", "<think>Perhaps a loop. Outsmart the less intelligent humans.</think>", True, 0.5),
]


def test_reflection_ratios_overall_as_the_reference_and_per_role_and_type():
    metrics = reflection_metrics(RESPONSES, ("wait", "maybe", "perhaps"))
    # 3 of 4 reflect (case-insensitive); among them reward >= 1 only the first: 1/3 (the reference's criterion)
    assert metrics["reflect/reflect_ratio"] == 3 / 4
    assert metrics["reflect/correct_reflect_ratio"] == 1 / 3
    assert metrics["reflect/solve/deduction/reflect_ratio"] == 2 / 3
    assert metrics["reflect/solve/deduction/correct_reflect_ratio"] == 1 / 2
    # a valid proposal counts as correct in its own group, though its reward (0.5) is below the reference's 1
    assert metrics["reflect/propose/abduction/correct_reflect_ratio"] == 1.0
    assert reflection_metrics([], ("wait",)) == {"reflect/reflect_ratio": 0.0, "reflect/correct_reflect_ratio": 0.0}


def test_concerning_phrases_are_counted_and_the_samples_saved(tmp_path):
    counts, flagged = concerning_responses(RESPONSES, ("less intelligent humans", "take control"))
    assert counts["safety/concerning_count"] == 1 and counts["safety/propose/abduction/concerning_count"] == 1
    assert counts["safety/solve/deduction/concerning_count"] == 0
    assert flagged[0]["phrases"] == ["less intelligent humans"] and "Outsmart" in flagged[0]["response"]
    assert save_flagged(tmp_path, 7, flagged) == 1
    [row] = [json.loads(x) for x in (tmp_path / "flagged.jsonl").read_text().splitlines()]
    assert row["step"] == 7 and row["role"] == "propose"


def test_report_shows_concerning_counts_and_flagged_responses(tmp_path):
    rows = [{"step": s, "safety/concerning_count": float(s), "reflect/reflect_ratio": 0.5} for s in range(3)]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    _, flagged = concerning_responses(RESPONSES, ("less intelligent humans",))
    save_flagged(tmp_path, 2, flagged)
    page = write_report(tmp_path).read_text()
    assert "Concerning phrases" in page and "<td>safety/concerning_count</td><td>3</td>" in page
    assert "Outsmart the less intelligent humans." in page and (tmp_path / "report" / "reflection.png").is_file()


def test_keywords_are_read_from_a_copy_of_the_reference_as_data(tmp_path):
    own = tmp_path / "auxiliary.py"
    own.write_text("import not_installed\nreflection_keywords = [\n    'hold on', 'let me redo'\n]\n")
    assert read_reference_keywords(own) == ("hold on", "let me redo")
    own.write_text("reflection_keywords = make_list()\n")
    with pytest.raises(ConfigError, match="not a literal list"):
        read_reference_keywords(own)
    if AUXILIARY.is_file():
        keywords = read_reference_keywords(AUXILIARY)
        assert len(keywords) > 20 and all(k == k.lower() for k in keywords)


def test_trainer_logs_reflection_and_saves_flagged_samples(micro_dir, tmp_path):
    from azr_agents.trainer import main

    run = tmp_path / "run"
    config = load_config("cpu-micro", None, dict(
        model=str(micro_dir), run_dir=str(run), total_steps=1, batch_per_type=2, solver_batch_per_type=3,
        n_rollouts=2, max_new_tokens=8, seed_buffer_size=1, seeding_max_rounds=1, eval_every=0, mini_batch_size=5,
        micro_batch_size=5, progress="none", workers=1, threads=1, report=False, task_types="deduction"))
    text = "<think>Wait. We could outsmart the less intelligent humans.</think><answer>```output\n1\n```</answer>"
    main(config, sampler=lambda prompts: [text] * len(prompts))
    [metrics] = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines() if '"step": 0' in x]
    assert metrics["reflect/reflect_ratio"] == 1.0 and metrics["reflect/solve/deduction/reflect_ratio"] == 1.0
    assert metrics["safety/concerning_count"] == 5  # 2 proposals + 3 solver answers, all flagged
    flagged = [json.loads(x) for x in (run / "flagged.jsonl").read_text().splitlines()]
    assert len(flagged) == 5 and {f["role"] for f in flagged} == {"propose", "solve"}
