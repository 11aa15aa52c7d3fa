"""The reference self-play trainer (`azr selfplay`): the whole AZR loop on one machine, read top to bottom.

    seeding stage: propose until every buffer holds `seed_buffer_size` tasks (no training)
    each step:   propose (all types, K references) -> validate in the sandbox -> add to buffers
                 -> N solver rollouts per valid proposal (learnability) -> solver batch (new + top-up) -> solve
                 -> rewards (SPEC §4) -> TRR++ advantages (SPEC §6) -> PPO-clipped update -> log, checkpoint

The step itself (seeding, propose, validate, learnability, solve, rewards, metrics) is `azr_env.step`, the same
function the OpenRLHF trainer, the round API and the envs call; this file gives it samplers, turns its records
into training rows, and trains. The math is in `azr_agents.trr` (unit-tested).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import shutil
import socket
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import torch
from azr_agents.checkpoint import (
    latest_checkpoint,
    restore_buffers,
    restore_rng,
    save_checkpoint,
    truncate_jsonl,
)
from azr_agents.config import SelfPlayConfig, to_yaml
from azr_agents.http_rollouts import ExternalRollouts, HTTPRollouts
from azr_agents.policy import Rollout, collate, rollout_from_generation, token_logprobs
from azr_agents.progress import Progress
from azr_agents.reflection import FLAGGED_FILE, response_checks
from azr_agents.tracking import Tracker
from azr_agents.trr import compute_advantages, masked_mean, ppo_clipped_policy_loss

from azr_env import step as step_lib
from azr_env.errors import ConfigError
from azr_env.seeds import seed_run_buffers
from azr_env.step import Samplers, StepPlan, StepResult


# ---- setup helpers ------------------------------------------------------------------------------------------
def seed_everything(seed: int) -> np.random.Generator:
    random.seed(seed)
    torch.manual_seed(seed)
    return np.random.default_rng(seed)


def gen_seed(config: SelfPlayConfig, step: int, phase: int) -> int:
    """A distinct, reproducible sampling seed per (step, phase), so a resumed step replays exactly."""
    return (config.seed * 1_000_003 + (step + 10) * 16 + phase) % (2**31)


def load_policy(config: SelfPlayConfig, start_from: Path | None):
    """The HF agent whose model is trained (from a checkpoint folder when resuming)."""
    from azr_agents.hf import HFAgent
    from azr_agents.models import resolve_model

    path = start_from or resolve_model(config.model, config.cache_dir)
    agent = HFAgent(path, device=config.device, dtype=config.dtype, chat_template=config.chat_template,
                    batch_size=config.generation_batch_size)
    if config.gradient_checkpointing:
        agent.model.gradient_checkpointing_enable()
    return agent


def rollout_agent(config: SelfPlayConfig, policy, run_dir: Path, sampler=None):
    """Who samples: the policy itself (HF), a vLLM engine on the same GPU, an OpenAI-compatible server (HTTP), or
    the user's own agent / callable (`sampler`, off-policy: see ExternalRollouts)."""
    if sampler is not None:
        return ExternalRollouts(sampler, policy)
    if config.rollout_backend == "hf":
        return policy
    if config.rollout_backend == "openai":
        agent = HTTPRollouts(config.rollout_url, config.rollout_model, policy, run_dir / "rollout_weights",
                             weight_sync=config.weight_sync)
        # The server may have started from other weights, or this run resumes: serve ours before the first rollout.
        agent.sync(policy.model, policy.tokenizer)
        return agent
    from azr_agents.vllm_backend import VLLMAgent

    return VLLMAgent(str(policy.model.name_or_path), chat_template=config.chat_template,
                     gpu_memory_utilization=0.4, dtype="bfloat16")


def sync_rollout_weights(agent, policy) -> None:
    """After an update, make the sampler use the new weights: the HF policy already does; vLLM gets them copied in
    process; an HTTP server reloads them from disk (or keeps its own with weight_sync "none": off-policy)."""
    if agent is policy:
        return
    if isinstance(agent, HTTPRollouts):
        agent.sync(policy.model, policy.tokenizer)
    elif not isinstance(agent, ExternalRollouts):  # the user's sampler follows its own weights
        agent.load_weights(policy.model.named_parameters())


def sample(agent, prompts: list[str], config: SelfPlayConfig, seed: int, n: int = 1, temperature: float | None = None):
    """[len(prompts)][n] generations and the number of generated tokens."""
    if not prompts:
        return [], 0
    gens = agent.generate(prompts, n=n, temperature=config.temperature if temperature is None else temperature,
                          top_p=config.top_p, max_new_tokens=config.max_new_tokens, seed=seed)
    tokens = sum(len(g.token_ids or g.text) for row in gens for g in row)
    return gens, tokens


# ---- the step: azr_env.step, with this trainer's samplers -------------------------------------------------------
def step_samplers(agent, config: SelfPlayConfig, step: int) -> Samplers:
    """The policy as `azr_env.step` sees it: one reproducible sampling seed per (step, phase)."""
    def generate(prompts, n: int, phase: int):
        return sample(agent, [p.prompt for p in prompts], config, gen_seed(config, step, phase), n=n)[0]

    return Samplers(propose=lambda prompts: [g[0] for g in generate(prompts, 1, 0)],
                    rollouts=lambda prompts, n: generate(prompts, n, 1),
                    solve=lambda prompts, n: generate(prompts, n, 2))


def seeding_stage(config, referee, buffers, agent, np_rng, progress) -> None:
    """SPEC §5 (`azr_env.step.seed_buffers`): the model proposes (no training) until each buffer holds
    `seed_buffer_size` tasks; stops the run with a clear message when `seeding_max_rounds` rounds do not suffice."""
    rounds = itertools.count()  # one sampling seed per seeding round

    def propose(prompts):
        return [g[0] for g in sample(agent, [p.prompt for p in prompts], config,
                                     gen_seed(config, -1 - next(rounds), 0))[0]]  # fmt: skip

    step_lib.seed_buffers(referee, buffers, propose, np_rng, target=config.seed_buffer_size,
                          task_types=config.task_types, batch=config.batch_per_type,
                          max_rounds=config.seeding_max_rounds,
                          on_round=lambda r, counts: progress.message(f"seeding round {r + 1}: buffers {counts}"))


def play_step(config, referee, buffers, agent, tokenizer, np_rng, step: int) -> tuple[list[Rollout], dict, list]:
    """One `azr_env.step.play_step` with this trainer's samplers, turned into training rows, metrics, examples."""
    def fits(prompt: str) -> bool:  # the reference's max_prompt_length, in the policy's tokens (bytes bound them)
        limit = config.max_prompt_length
        return len(prompt.encode()) <= limit or len(tokenizer(prompt, add_special_tokens=False)["input_ids"]) <= limit

    plan = StepPlan(config.task_types, config.batch_per_type, config.solver_tasks_per_type, config.n_rollouts,
                    keep_prompt=fits)
    result = step_lib.play_step(referee, buffers, step_samplers(agent, config, step), np_rng, step=step, plan=plan)
    # training samples: one per proposal and one per solver task, each with its reward (records as sampled)
    rows = [rollout_from_generation(p.record, "propose", p.prompt.task_type, p.reward, tokenizer, p.prompt.prompt,
                                    config.max_new_tokens, i) for i, p in enumerate(result.proposals)]
    rows += [rollout_from_generation(s.record, "solve", s.prompt.task_type, s.reward, tokenizer, s.prompt.prompt,
                                     config.max_new_tokens, len(result.proposals) + i)
             for i, s in enumerate(result.solutions)]
    tokens = sum(len(g.token_ids or g.text) for g in result.records())
    generate_s = result.timings["generate_s"]
    metrics = dict(result.metrics) | response_checks(result, config.run_dir, step, keywords=config.reflection_keywords,
                                                     phrases=config.concerning_phrases)  # fmt: skip
    metrics |= {"time/generate_s": generate_s, "time/execute_s": result.timings["execute_s"],
                "perf/gen_tokens": tokens, "perf/gen_tokens_per_s": tokens / max(generate_s, 1e-9)}
    return rows, metrics, sample_rows(config, result)


def minibatch_order(config, rows: list[Rollout]) -> list[int]:
    """Row order before the cut into mini-batches: "by_type" (reference: per task type, proposer then solver rows,
    split in order) or "shuffle"."""
    if config.minibatch_order == "shuffle":
        return torch.randperm(len(rows)).tolist()
    kinds = list(dict.fromkeys([*config.task_types, *(r.task_type for r in rows)]))
    return sorted(range(len(rows)), key=lambda i: (kinds.index(rows[i].task_type), rows[i].role != "propose", i))


def ppo_update(config, model, optimizer, rows: list[Rollout], device) -> dict[str, float]:
    """TRR++ advantages over the step's samples, then PPO-clipped updates in mini-batches (SPEC §6)."""
    batch = collate(rows, 0, device)  # pad id 0: padded positions are masked out everywhere
    # Old log-probs: the policy that sampled, recomputed in the training forward's numerics (no grad).
    model.eval()
    with torch.no_grad():
        old = torch.cat([token_logprobs(model, batch["input_ids"][i:i + config.micro_batch_size],
                                        batch["attention_mask"][i:i + config.micro_batch_size], config.temperature)[0]
                         for i in range(0, len(rows), config.micro_batch_size)])
    advantages = compute_advantages(config.estimator, batch["rewards"], batch["response_mask"],
                                    task_types=[r.task_type for r in rows], roles=[r.role for r in rows],
                                    group_ids=[r.group for r in rows])
    model.train()
    stats: dict[str, list[float]] = {"policy": [], "entropy": [], "clipfrac": [], "approx_kl": [], "grad_norm": []}
    for _ in range(config.ppo_epochs):
        order = minibatch_order(config, rows)
        for start in range(0, len(order), config.mini_batch_size):
            mini = order[start:start + config.mini_batch_size]
            mini_tokens = batch["response_mask"][mini].sum().clamp(min=1)
            optimizer.zero_grad(set_to_none=True)
            for m0 in range(0, len(mini), config.micro_batch_size):
                idx = torch.tensor(mini[m0:m0 + config.micro_batch_size], device=device)
                width = int(batch["attention_mask"][idx].sum(1).max())  # right padding: trim columns
                ids, attn = batch["input_ids"][idx, :width], batch["attention_mask"][idx, :width]
                mask = batch["response_mask"][idx, :width]
                logp, entropy = token_logprobs(model, ids, attn, config.temperature,
                                               with_entropy=config.entropy_coef > 0)
                loss, info = ppo_clipped_policy_loss(logp, old[idx, :width], advantages[idx, :width], mask,
                                                     clip_eps=config.clip_eps)
                share = mask.sum() / mini_tokens  # token-mean over the whole mini-batch
                total = loss * share
                if entropy is not None:
                    ent = masked_mean(entropy, mask)
                    total = total - config.entropy_coef * ent * share
                    stats["entropy"].append(ent.item())
                total.backward()
                stats["policy"].append(loss.item())
                stats["clipfrac"].append(info["clipfrac"])
                stats["approx_kl"].append(info["approx_kl"])
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            stats["grad_norm"].append(float(grad_norm))
            optimizer.step()
    return {f"losses/{k}": sum(v) / len(v) for k, v in stats.items() if v}


# ---- samples ----------------------------------------------------------------------------------------------------
def sample_rows(config, result: StepResult) -> list[dict[str, Any]]:
    """A few proposals (with validity and task) and solver answers per type for samples.jsonl / the report."""
    rows: list[dict[str, Any]] = []
    for t in config.task_types:
        props = [p for p in result.proposals if p.prompt.task_type == t]
        for p in props[: config.samples_per_type]:
            rows.append({"kind": "proposal", "task_type": t, "valid": p.result.valid, "reason": p.result.reason,
                         "solve_rate": p.solve_rate, "response": p.record.text[:1500],
                         "task": p.result.task.to_dict() if p.result.task is not None else None})
        sols = [s for s in result.solutions if s.prompt.task_type == t]
        for s in sols[: config.samples_per_type]:
            rows.append({"kind": "solution", "task_type": t, "correct": s.result.correct, "reason": s.result.reason,
                         "response": s.record.text[:1500], "task": s.result.task.to_dict()})
    return rows


def evaluate_heldout(config, referee, agent, tasks, samples: int = 4) -> dict[str, float]:
    """Accuracy on the fixed held-out deduction set: greedy pass@1, and mean over `samples` samples at T."""
    prompts = [referee.solver_prompt(t) for t in tasks]
    greedy, _ = sample(agent, prompts, config, 0, temperature=0.0)
    scored = referee.score(tasks, [g[0].text for g in greedy], mode="eval")
    sampled, _ = sample(agent, prompts, config, 1, n=samples)
    scored_t = referee.score([t for t in tasks for _ in range(samples)], [g.text for row in sampled for g in row],
                             mode="eval")
    answers = Counter(s.parsed_answer for s in scored if s.parsed_answer is not None)
    return {"eval/deduction/accuracy": sum(s.correct for s in scored) / len(scored),
            "eval/deduction/format_rate": sum(s.format_ok for s in scored) / len(scored),
            "eval/deduction/accuracy_sampled": sum(s.correct for s in scored_t) / len(scored_t),
            # share of tasks given the single most common answer: a solver stuck on one habitual answer
            "eval/deduction/top_answer_share": max(answers.values(), default=0) / len(scored)}


# ---- main -----------------------------------------------------------------------------------------------------
def check_start(config: SelfPlayConfig) -> str:
    """Refuse to discard a previous run or to run model code without the full sandbox; returns the isolation.

    Here, not in the command, so that `main()` called from Python keeps the same rules. The isolation mode is
    recorded in `<run_dir>/sandbox.json` (with the host) for the run's record.
    """
    from azr_env.sandbox.isolation import bwrap_works, training_isolation

    folder = Path(config.run_dir)
    if not config.resume and folder.is_dir() and any(folder.iterdir()):
        raise ConfigError(f"--run-dir {folder} is not empty and --resume is false: starting fresh would discard that "
                          "run; use a new --run-dir, or --resume true to continue it")  # fmt: skip
    isolation = training_isolation(bwrap_works(), config.allow_weak_sandbox, where="this machine")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sandbox.json").write_text(json.dumps({"isolation": isolation, "host": socket.gethostname()}) + "\n")
    return isolation


def main(config: SelfPlayConfig, sampler=None) -> dict[str, float]:
    """Run (or resume) self-play as configured; returns the last step's metrics.

    `sampler`: optionally the user's own `Agent` or `list[str] -> list[str]` callable to sample the rollouts
    (proposals, learnability, solutions); the local `config.model` is what is trained and evaluated.
    Raises `ConfigError` before touching anything when `check_start` refuses the run.
    """
    isolation = check_start(config)
    if config.progress != "none":
        print(f"sandbox isolation: {isolation}", flush=True)
    return train(config, sampler)


def train(config: SelfPlayConfig, sampler=None) -> dict[str, float]:
    """The training loop itself (`main` after its start-up checks)."""
    from azr_agents.micro_tasks import heldout_deduction_tasks

    from azr_env.buffer import BufferSet
    from azr_env.rounds import Referee, RoundConfig

    # Seeding, run folder, resume point
    if config.threads:
        torch.set_num_threads(config.threads)
    np_rng = seed_everything(config.seed)
    run_dir = Path(config.run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt_root, buffer_dir = run_dir / "checkpoints", run_dir / "buffers"
    resume_from = latest_checkpoint(ckpt_root) if config.resume else None
    start_step, seeded = 0, False
    if resume_from is not None:
        state = json.loads((resume_from / "state.json").read_text())
        start_step, seeded = state["step"] + 1, True
        restore_buffers(resume_from, buffer_dir)
        for name in ("metrics.jsonl", "samples.jsonl", FLAGGED_FILE):
            truncate_jsonl(run_dir / name, state["step"])
    else:  # a fresh start (also after a kill before the first checkpoint): no stale logs or buffers
        for name in ("metrics.jsonl", "samples.jsonl", FLAGGED_FILE):
            (run_dir / name).unlink(missing_ok=True)
        shutil.rmtree(buffer_dir, ignore_errors=True)
        shutil.rmtree(ckpt_root, ignore_errors=True)
    (run_dir / "config.yaml").write_text(to_yaml(config))

    # Model, optimizer, referee (executor), buffers, logging
    policy = load_policy(config, resume_from)
    model, tokenizer, device = policy.model, policy.tokenizer, policy.device
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    if resume_from is not None:
        optimizer.load_state_dict(torch.load(resume_from / "optimizer.pt", weights_only=False))
        np_rng.bit_generator.state = restore_rng(resume_from)
    agent = rollout_agent(config, policy, run_dir, sampler)
    round_config = RoundConfig(task=config.task, rewards=config.rewards, step=config.step, workers=config.workers,
                               memory_mb=config.memory_mb, n_rollouts=config.n_rollouts,
                               rollout_temperature=config.temperature, max_new_tokens=config.max_new_tokens)
    buffers = BufferSet(config.task_types, buffer_dir, capacity=config.buffer_capacity, policy=config.buffer_policy,
                        dedup=config.buffer_dedup)
    tracker = Tracker(run_dir, tensorboard=config.tensorboard, wandb_project=config.wandb_project,
                      config=dataclasses.asdict(config))
    progress = Progress(config.total_steps, config.task_types, config.progress)
    last: dict[str, float] = {}
    if resume_from is not None:
        progress.message(f"resuming from {resume_from} at step {start_step}")

    evaluated = policy if isinstance(agent, ExternalRollouts) else agent  # held-out: the model being trained
    with Referee(round_config, tokenizer=tokenizer) as referee:  # prompt cap in the policy's tokens (SPEC §5)
        heldout = heldout_deduction_tasks(config.eval_tasks, referee=referee) if config.eval_every else []
        if not seeded:
            if config.seed_files:  # the reference's released seed files (azr_env.seeds)
                progress.message("seed files: " + seed_run_buffers(buffers, config.seed_files, referee,
                                                                   limit=config.seed_buffer_size))  # fmt: skip
            seeding_stage(config, referee, buffers, agent, np_rng, progress)
            if heldout:
                last = evaluate_heldout(config, referee, evaluated, heldout)
                tracker.log(-1, last | {f"buffer/{t}/size": len(buffers[t]) for t in config.task_types})
            save_checkpoint(ckpt_root, -1, model, tokenizer, optimizer, np_rng, {"seeded": True}, buffer_dir)

        for step in range(start_step, config.total_steps):
            t_step = time.monotonic()
            rows, metrics, examples = play_step(config, referee, buffers, agent, tokenizer, np_rng, step)
            t_update = time.monotonic()
            metrics |= ppo_update(config, model, optimizer, rows, device)
            sync_rollout_weights(agent, policy)
            metrics["time/update_s"] = time.monotonic() - t_update
            train_tokens = sum(len(r.prompt_ids) + len(r.response_ids) for r in rows)
            metrics["perf/train_tokens_per_s"] = train_tokens / max(metrics["time/update_s"], 1e-9)
            if heldout and ((step + 1) % config.eval_every == 0 or step + 1 == config.total_steps):
                metrics |= evaluate_heldout(config, referee, evaluated, heldout)
            metrics["time/step_s"] = time.monotonic() - t_step
            tracker.log(step, metrics)
            tracker.log_samples(step, examples)
            last = {k: v for k, v in last.items() if k.startswith("eval/")} | metrics
            progress.update(step + 1, last)
            if (step + 1) % config.save_every == 0 or step + 1 == config.total_steps:
                save_checkpoint(ckpt_root, step, model, tokenizer, optimizer, np_rng, {"metrics": metrics}, buffer_dir)
    if isinstance(agent, HTTPRollouts):
        agent.close()
    progress.close()
    tracker.close()
    if config.report:
        from azr_agents.report import write_report

        path = write_report(run_dir)
        print(f"report: {path}", flush=True)
    return last
