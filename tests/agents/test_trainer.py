"""The self-play trainer (agents/trainer.py) on a tiny random model: update direction, loop, resume, report."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from azr_agents.config import load_config
from azr_agents.policy import Rollout, collate, token_logprobs
from azr_agents.trainer import main, ppo_update

VOLATILE = ("time/", "perf/")


def tiny_options(micro_dir, run_dir, **over) -> dict:
    return dict(model=str(micro_dir), run_dir=str(run_dir), total_steps=2, batch_per_type=2, n_rollouts=2,
                max_new_tokens=16, seed_buffer_size=1, seeding_max_rounds=1, eval_tasks=4, eval_every=1,
                entropy_coef=0.01, lr=1e-3, mini_batch_size=12, micro_batch_size=6, save_every=1,
                progress="none", workers=1, threads=1, generation_batch_size=16) | over


def tiny_config(micro_dir, run_dir, **over):
    return load_config("cpu-micro", None, tiny_options(micro_dir, run_dir, **over))


def stable_rows(run_dir):
    rows = [json.loads(x) for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [{k: v for k, v in r.items() if k != "time" and not k.startswith(VOLATILE)} for r in rows]


def test_ppo_update_moves_probability_towards_the_rewarded_response(hf_agent):
    model = hf_agent.model
    prompt = list(b"q: ")
    good, bad = list(b"yes"), list(b"no!")
    rows = [Rollout("solve", "deduction", prompt, good, 1.0), Rollout("solve", "deduction", prompt, bad, -1.0)]
    config = load_config("cpu-micro", None, {"lr": 1e-2, "mini_batch_size": 2, "micro_batch_size": 1})
    batch = collate(rows, 0, torch.device("cpu"))
    state = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
        with torch.no_grad():
            before = (token_logprobs(model, batch["input_ids"], batch["attention_mask"])[0]
                      * batch["response_mask"]).sum(1)
        stats = ppo_update(config, model, optimizer, rows, torch.device("cpu"))
        with torch.no_grad():
            after = (token_logprobs(model, batch["input_ids"], batch["attention_mask"])[0]
                     * batch["response_mask"]).sum(1)
        assert after[0] > before[0] and after[1] < before[1]
        assert {"losses/policy", "losses/clipfrac", "losses/approx_kl", "losses/grad_norm"} <= set(stats)
    finally:
        model.load_state_dict(state)


def test_selfplay_runs_checkpoints_resumes_and_reports(micro_dir, tmp_path):
    from safetensors.torch import load_file

    run = tmp_path / "run"
    last = main(tiny_config(micro_dir, run))
    steps = [r["step"] for r in stable_rows(run)]
    assert steps == [-1, 0, 1]
    assert "eval/deduction/accuracy" in last and "propose/deduction/valid_rate" in last
    assert (run / "checkpoints" / "LATEST").read_text() == "step-000001"
    assert (run / "report" / "index.html").exists() and (run / "report" / "validity.png").exists()
    start = load_file(micro_dir / "model.safetensors")
    trained = load_file(run / "checkpoints" / "step-000001" / "model.safetensors")
    assert any(not torch.equal(start[k], trained[k]) for k in start)
    samples = [json.loads(x) for x in (run / "samples.jsonl").read_text().splitlines()]
    assert {s["kind"] for s in samples} == {"proposal", "solution"}
    main(tiny_config(micro_dir, run, total_steps=3))  # resume: only step 2 runs
    assert [r["step"] for r in stable_rows(run)] == [-1, 0, 1, 2]
    # A run folder made before the options were nested: its config.yaml has the flat names; it still resumes.
    import yaml

    nested = yaml.safe_load((run / "config.yaml").read_text())
    flat = {k: v for k, v in nested.items() if k not in ("task", "rewards", "step")}
    flat |= {k: nested["task"][k] for k in ("num_references", "induction_num_inputs", "max_prompt_chars",
                                            "template_dir")}  # fmt: skip
    flat |= {"zero_learnability_reward": nested["rewards"]["zero_learnability_reward"],
             "diversity_weight": nested["rewards"]["diversity_weight"], "exec_timeout_s": nested["task"]["timeout_s"]}
    (run / "config.yaml").write_text(yaml.safe_dump(flat))
    old = load_config(None, str(run / "config.yaml"), {"total_steps": "4"})
    assert old.task == tiny_config(micro_dir, run).task and old.rewards == tiny_config(micro_dir, run).rewards
    main(old)
    assert [r["step"] for r in stable_rows(run)] == [-1, 0, 1, 2, 3]


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_matches_an_uninterrupted_run(micro_dir, tmp_path):
    main(tiny_config(micro_dir, tmp_path / "ref", total_steps=3, report=False))
    killed = tmp_path / "killed"
    launch = (
        "import sys; from azr_agents.config import load_config; from azr_agents.trainer import main\n"
        "main(load_config('cpu-micro', None, dict(a.split('=', 1) for a in sys.argv[1:])))\n"
    )
    options = {k: str(v) for k, v in tiny_options(micro_dir, killed, total_steps=3, report=False).items()}
    proc = subprocess.Popen([sys.executable, "-c", launch, *[f"{k}={v}" for k, v in options.items()]],
                            start_new_session=True)
    latest = killed / "checkpoints" / "LATEST"
    deadline = time.time() + 300
    while time.time() < deadline and proc.poll() is None:
        if latest.exists() and latest.read_text() == "step-000000":
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    main(tiny_config(micro_dir, killed, total_steps=3, report=False))
    assert stable_rows(killed) == stable_rows(tmp_path / "ref")


def test_chunked_token_logprobs_equal_a_full_forward(hf_agent):
    model = hf_agent.model
    ids = torch.randint(0, 250, (2, 23))
    attn = torch.ones_like(ids)
    logp, entropy = token_logprobs(model, ids, attn, 0.7, with_entropy=True, chunk=5)
    with torch.no_grad():
        logits = model(input_ids=ids, attention_mask=attn).logits[:, :-1].float() / 0.7
    expected = torch.log_softmax(logits, -1).gather(-1, ids[:, 1:, None]).squeeze(-1)
    assert torch.allclose(logp[:, 1:], expected, atol=1e-5) and logp[:, 0].abs().sum() == 0
    assert entropy.shape == logp.shape and (entropy[:, 1:] > 0).all()


def test_a_users_callable_samples_and_the_local_model_is_trained(micro_dir, tmp_path):
    """`main(config, sampler=fn)`: a plain list[str] -> list[str] function writes every rollout (here: one gold
    deduction proposal and answers of `'Hello world'`), the local micro model is trained on its re-tokenised texts."""
    import torch
    from azr_agents.responses import propose_response, solve_response
    from azr_agents.trainer import main
    from safetensors.torch import load_file

    from azr_env.tasks.base import Task

    task = Task("deduction", "def f(a):\n    return a[::-1]", ("'Hello world'",), ("'dlrow olleH'",))
    seen: list[str] = []

    def sampler(prompts: list[str]) -> list[str]:
        seen.extend(prompts)
        return [propose_response(task) if "New deduction task" in p else solve_response(task) for p in prompts]

    run = tmp_path / "run"
    config = tiny_config(micro_dir, run, total_steps=1, report=False, task_types=("deduction",))
    last = main(config, sampler=sampler)
    assert seen and "eval/deduction/accuracy" in last
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 0 and rows[-1]["propose/deduction/valid_rate"] > 0
    before = load_file(micro_dir / "model.safetensors")
    after = load_file(run / "checkpoints" / "step-000000" / "model.safetensors")
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_seeding_short_of_its_target_stops_the_run_with_a_clear_message(micro_dir, tmp_path):
    """One seeding behaviour (azr_env.step.seed_buffers): a random model cannot fill the buffers in one round, and
    the run says so instead of training on whatever the buffers hold."""
    from azr_env.step import SeedingError

    with pytest.raises(SeedingError, match=r"seeding stopped after 1 rounds .* short of the target 50"):
        main(tiny_config(micro_dir, tmp_path / "run", seed_buffer_size=50, seeding_max_rounds=1))
