"""`azr selfplay --seed-files`: the reference's released seed files fill the buffers before the seeding stage."""

import importlib.util
import json

from azr_agents.config import load_config
from azr_agents.trainer import main


def test_seed_files_fill_the_buffers_so_seeding_needs_no_proposals(micro_dir, tmp_path):
    rows = [{"snippet": f"def f(a):\n    return a * {k}", "input": "2", "output": repr(2 * k), "imports": [],
             "original_snippet": "", "composite_functions": []} for k in range(3, 6)]
    rows.append({"snippet": "def f(a):\n    return a", "input": "1", "output": "2", "imports": []})  # wrong output
    seeds = tmp_path / "m_seed_io.jsonl"
    seeds.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = tmp_path / "run"
    config = load_config("cpu-micro", None, dict(
        model=str(micro_dir), run_dir=str(run), total_steps=1, batch_per_type=2, n_rollouts=2, max_new_tokens=8,
        seed_buffer_size=3, seeding_max_rounds=1, eval_every=0, mini_batch_size=4, micro_batch_size=4,
        progress="none", workers=1, threads=1, report=False, task_types="deduction", seed_files=str(seeds)))
    main(config, sampler=lambda prompts: ["no answer"] * len(prompts))  # nothing valid: seeding alone would fail
    stored = [json.loads(x) for x in (run / "buffers" / "deduction.jsonl").read_text().splitlines()]
    text = json.dumps(stored)
    assert text.count("return a * ") == 3 and "seed_file:m_seed_io.jsonl" in text
    if importlib.util.find_spec("azr_env.tasks.user_tasks"):  # the user-task validation (integrity issue)
        assert '"outputs": ["2"]' not in text  # the row whose output f does not reproduce was dropped
