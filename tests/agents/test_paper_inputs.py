"""Paper inputs for `azr selfplay`: the released seed files (`--seed-files`), its prompts (`--prompts-from`)."""

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


def test_prompts_from_reaches_the_trainers_prompts(tmp_path):
    """`--prompts-from` sets the TaskConfig's template source: the referee then renders the file's prompts."""
    import numpy as np

    from azr_env.buffer import BufferSet
    from azr_env.rounds import Referee, RoundConfig

    prompts_py = tmp_path / "prompts.py"
    prompts_py.write_text(
        "code_input_prompt = 'I {remove_input_from_snippet_prompt}{remove_after_return_prompt}<|BANNED_KEYWORDS|>'\n"
        "code_output_prompt = 'O {remove_input_from_snippet_prompt}{remove_after_return_prompt}<|BANNED_KEYWORDS|>'\n"
        "code_error_prompt = 'E {remove_after_return_prompt}<|BANNED_KEYWORDS|><|BANNED_ASSERTION_KEYWORDS|>'\n"
        "code_function_prompt = 'F {num_inputs} {snippet}'\n"
        "code_input_predictor_prompt = 'PI {snippet} {output}'\n"
        "code_output_predictor_prompt = 'PO {snippet} {input_args}'\n"
        "code_error_predictor_prompt = 'PE {snippet} {input_args}'\n"
        "code_function_predictor_prompt = 'PF {input_output_pairs} {message}'\n"
        "code_suffix = '<suffix>'\nremove_input_from_snippet_prompt = ''\nremove_singleton_variables_prompt = ''\n"
        "def get_code_problem_generator_prompt(banned_assertion_keywords):\n"
        "    s = f\"<snippet_{i}>{snippet['snippet']}|{snippet['input']}|{output_key}|{snippet['output']}\"\n"
        "    if banned_assertion_keywords:\n"
        "        assertion_keywords_string = 'no: ' + ', '.join(banned_assertion_keywords) + '\\n'\n"
        "    else:\n"
        "        assertion_keywords_string = '\\n'\n"
        "def get_code_problem_predictor_prompt():\n"
        "    s = f\"```input_{i}={input}->{output}\"\n"
    )
    (tmp_path / "process_data.py").write_text("instruction_following = 'R1 {}!'\n")
    config = load_config("none", None, {"prompts_from": str(prompts_py), "template_dir": "/nonexistent"})
    buffers = BufferSet(("deduction", "abduction", "induction"))
    with Referee(RoundConfig(task=config.task_config())) as referee:
        prompt = referee.proposer_prompt(buffers, "deduction", np.random.default_rng(0)).prompt
    assert prompt.startswith("R1 O \n") and "<snippet_0>def f(a):\n    return a|'Hello world'|output|" in prompt


def test_openrlhf_options_carry_the_paper_inputs():
    """`azr train-openrlhf` follows the same options: --azr.seed_files, --azr.prompts_from, --azr.max_prompt_tokens."""
    import argparse
    from types import SimpleNamespace

    from azr_agents.openrlhf.options import add_azr_args, config_from_args

    parser = argparse.ArgumentParser()
    add_azr_args(parser)
    parsed = parser.parse_args(["--azr.seed_files", "7b_seed_io.jsonl", "7b_code_f_seed_io.jsonl",
                                "--azr.prompts_from", "prompts.py", "--azr.max_prompt_tokens", "4000"])
    azr = SimpleNamespace(**{key.split(".", 1)[1]: value for key, value in vars(parsed).items()})
    config = config_from_args(SimpleNamespace(azr=azr, train=SimpleNamespace(seed=1), rollout=SimpleNamespace()))
    assert config.seed_files == ("7b_seed_io.jsonl", "7b_code_f_seed_io.jsonl")
    assert config.round.task.template_dir == "prompts.py" and config.round.task.max_prompt_tokens == 4000
