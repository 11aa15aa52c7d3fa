"""The lm-eval bridge (azr_evals.lm_eval_bridge): the `azr` model and our task YAMLs, run by lm-eval itself on
local data."""

from __future__ import annotations

import pytest

lm_eval = pytest.importorskip("lm_eval")

from azr_evals.lm_eval_bridge import register, write_local_tasks  # noqa: E402
from azr_evals.lm_eval_bridge.tasks.utils import gold_answer  # noqa: E402


class BoxedGold:
    """Answers every prompt with the gold answer of the problem it contains."""

    def __init__(self, answers: dict[str, str]):
        self.answers, self.prompts = answers, []

    def generate(self, prompts, *, n=1, temperature=1.0, top_p=1.0, max_new_tokens=512, stop=None, seed=None):
        self.prompts += prompts
        out = []
        for prompt in prompts:
            answer = next((a for q, a in self.answers.items() if q in prompt), "0")
            out.append([f"<think>...</think><answer>\\boxed{{{answer}}}</answer>"])
        return out


def test_azr_model_is_registered():
    from lm_eval.api.registry import get_model

    cls = register()
    assert get_model("azr") is cls


def test_tasks_run_with_lm_eval_on_local_data(shared_data, tmp_path):
    """AMC23, OlympiadBench and Minerva-OCW through lm-eval's own evaluator, 3 problems each, gold answers."""
    import json

    from azr_evals.lm_eval_bridge import LOCAL_FILES
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    answers = {}
    for relative in LOCAL_FILES.values():
        for line in (shared_data / relative).read_text().splitlines()[:3]:
            doc = json.loads(line)
            answers[(doc.get("problem") or doc.get("question")).strip()[:200]] = gold_answer(doc)
    agent = BoxedGold(answers)
    include = write_local_tasks(shared_data, tmp_path)
    manager = TaskManager(include_path=str(include), include_defaults=False)
    names = [f"{name}_local" for name in LOCAL_FILES]
    out = simple_evaluate(model=register()(agent=agent), tasks=names, limit=3, task_manager=manager)
    assert {name: out["results"][name]["exact_match,none"] for name in names} == dict.fromkeys(names, 1.0)
    assert all(p.endswith("Assistant: <think>") for p in agent.prompts)  # R1-wrapped like `azr eval`


@pytest.mark.slow
def test_lm_eval_cli_with_the_azr_model(shared_data, tmp_path):
    """`python -m azr_evals.lm_eval_bridge run --model azr ...` runs lm-eval's own CLI end to end."""
    import json
    import subprocess
    import sys

    include = write_local_tasks(shared_data, tmp_path / "tasks")
    proc = subprocess.run(
        [sys.executable, "-m", "azr_evals.lm_eval_bridge", "run", "--model", "azr", "--model_args",
         "backend=random", "--tasks", "amc23_local", "--include_path", str(include), "--limit", "2",
         "--output_path", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    (result,) = list((tmp_path / "out").rglob("results_*.json"))
    assert "amc23_local" in json.loads(result.read_text())["results"]
