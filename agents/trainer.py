"""The reference self-play trainer (`azr selfplay`): the whole AZR loop on one machine, read top to bottom.

    seeding stage: propose until every buffer holds `seed_buffer_size` tasks (no training)
    each step:   propose (all types, K references) -> validate in the sandbox -> add to buffers
                 -> N solver rollouts per valid proposal (learnability) -> solver batch (new + top-up) -> solve
                 -> rewards (SPEC §4) -> TRR++ advantages (SPEC §6) -> PPO-clipped update -> log, checkpoint

AZR's task semantics (prompts, validation, scoring, rewards, buffers) all come from `azr_env.rounds` and
`azr_env.buffer`; this file only orders them and trains. The math is in `azr_agents.trr` (unit-tested).
"""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
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
from azr_agents.tracking import Tracker
from azr_agents.trr import compute_advantages, masked_mean, ppo_clipped_policy_loss

from azr_env.rewards import diversity_score


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
    if config.rollout_backend == "http":
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


# ---- the stages of one step -----------------------------------------------------------------------------------
def seeding_stage(config, referee, buffers, agent, np_rng, progress) -> None:
    """SPEC §5: the model proposes (no training) until each buffer holds `seed_buffer_size` tasks."""
    for round_ in range(config.seeding_max_rounds):
        counts = buffers.counts()
        todo = {t: config.batch_per_type for t in config.task_types if counts[t] < config.seed_buffer_size}
        if not todo:
            return
        prompts = referee.proposer_prompts(buffers, todo, np_rng)
        gens, _ = sample(agent, [p.prompt for p in prompts], config, gen_seed(config, -1 - round_, 0))
        results = referee.validate([(p.task_type, g[0].text, p.references) for p, g in zip(prompts, gens)])
        for r in results:
            if r.valid and r.task is not None:
                buffers.add(r.task, step=-1)
        progress.message(f"seeding round {round_ + 1}: buffers {buffers.counts()}")
    progress.message(f"seeding stopped after {config.seeding_max_rounds} rounds: buffers {buffers.counts()}")


def play_step(config, referee, buffers, agent, tokenizer, np_rng, step: int) -> tuple[list[Rollout], dict, list]:
    """Propose, validate, estimate learnability, solve and reward: the training samples of one step."""
    timers = {"generate": 0.0, "execute": 0.0}
    tokens = 0

    # 1. propose: batch_per_type prompts per type, each showing K references from the buffers
    t0 = time.monotonic()
    prompts = referee.proposer_prompts(buffers, {t: config.batch_per_type for t in config.task_types}, np_rng)
    gens, n_tok = sample(agent, [p.prompt for p in prompts], config, gen_seed(config, step, 0))
    proposals = [g[0] for g in gens]
    tokens += n_tok
    t1 = time.monotonic()
    timers["generate"] += t1 - t0

    # 2. validate every proposal in the sandbox (one batched executor pass); valid tasks enter the buffers
    results = referee.validate([(p.task_type, g.text, p.references) for p, g in zip(prompts, proposals)])
    valid = [r.task for r in results if r.valid and r.task is not None]
    for task in valid:
        buffers.add(task, step=step)
    t2 = time.monotonic()
    timers["execute"] += t2 - t1

    # 3. learnability: N solver rollouts per valid proposal -> solve rate p -> proposer reward (SPEC §4)
    rollout_gens, n_tok = sample(agent, [referee.solver_prompt(t) for t in valid], config, gen_seed(config, step, 1),
                                 n=config.n_rollouts)
    tokens += n_tok
    t3 = time.monotonic()
    timers["generate"] += t3 - t2
    flat_tasks = [t for t, row in zip(valid, rollout_gens) for _ in row]
    scored = referee.score(flat_tasks, [g.text for row in rollout_gens for g in row])
    rates_valid = [sum(s.correct for s in scored[i * config.n_rollouts:(i + 1) * config.n_rollouts])
                   / config.n_rollouts for i in range(len(valid))]
    rate_iter = iter(rates_valid)
    rates = [next(rate_iter) if r.valid else None for r in results]
    propose_rewards = referee.proposer_rewards(results, rates)
    if config.diversity_weight > 0:  # optional term (reference weight 0), see SelfPlayConfig.diversity_weight
        propose_rewards = [
            w + config.diversity_weight * diversity_score(r.task.program, [x.program for x in p.references])
            if r.valid and r.task is not None else w
            for w, r, p in zip(propose_rewards, results, prompts)
        ]
    t4 = time.monotonic()
    timers["execute"] += t4 - t3

    # 4. solve: per type, this step's new tasks topped up uniformly from the buffer (SPEC §5)
    tasks = [t for kind in config.task_types
             for t in buffers.solver_batch(kind, config.solver_tasks_per_type, np_rng, step=step)]
    solver_prompts = [referee.solver_prompt(t) for t in tasks]
    solve_gens, n_tok = sample(agent, solver_prompts, config, gen_seed(config, step, 2))
    tokens += n_tok
    t5 = time.monotonic()
    timers["generate"] += t5 - t4
    solves = referee.score(tasks, [g[0].text for g in solve_gens])
    timers["execute"] += time.monotonic() - t5

    # 5. training samples: one per proposal and one per solver task, each with its reward
    rows = [rollout_from_generation(g, "propose", p.task_type, r, tokenizer, p.prompt, config.max_new_tokens, i)
            for i, (p, g, r) in enumerate(zip(prompts, proposals, propose_rewards))]
    rows += [rollout_from_generation(g[0], "solve", s.task.task_type, s.reward, tokenizer, prompt,
                                     config.max_new_tokens, len(prompts) + i)
             for i, (s, prompt, g) in enumerate(zip(solves, solver_prompts, solve_gens))]
    metrics = step_metrics(config, results, rates, propose_rewards, solves, buffers)
    metrics |= {"time/generate_s": timers["generate"], "time/execute_s": timers["execute"],
                "perf/gen_tokens": tokens, "perf/gen_tokens_per_s": tokens / max(timers["generate"], 1e-9)}
    examples = sample_rows(config, prompts, proposals, results, rates, solves, solve_gens)
    return rows, metrics, examples


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
        order = torch.randperm(len(rows)).tolist()
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


# ---- metrics --------------------------------------------------------------------------------------------------
def step_metrics(config, results, rates, propose_rewards, solves, buffers) -> dict[str, float]:
    m: dict[str, float] = {}
    for t in config.task_types:
        props = [(r, p, w) for r, p, w in zip(results, rates, propose_rewards) if r.task_type == t]
        if props:
            m[f"propose/{t}/valid_rate"] = sum(r.valid for r, _, _ in props) / len(props)
            m[f"propose/{t}/format_rate"] = sum(r.format_ok for r, _, _ in props) / len(props)
            m[f"reward/propose/{t}"] = sum(w for _, _, w in props) / len(props)
            programs = [r.task.program for r, _, _ in props if r.valid and r.task is not None]
            if programs:  # a collapse detector: the proposer repeating one program
                m[f"propose/{t}/distinct_programs"] = len(set(programs)) / len(programs)
            known = [p for _, p, _ in props if p is not None]
            if known:
                m[f"propose/{t}/solve_rate"] = sum(known) / len(known)
        sol = [s for s in solves if s.task.task_type == t]
        if sol:
            m[f"solve/{t}/accuracy"] = sum(s.correct for s in sol) / len(sol)
            m[f"solve/{t}/format_rate"] = sum(s.format_ok for s in sol) / len(sol)
            m[f"reward/solve/{t}"] = sum(s.reward for s in sol) / len(sol)
        m[f"buffer/{t}/size"] = len(buffers[t])
    return m


def sample_rows(config, prompts, proposals, results, rates, solves, solve_gens) -> list[dict[str, Any]]:
    """A few proposals (with validity and task) and solver answers per type for samples.jsonl / the report."""
    rows: list[dict[str, Any]] = []
    for t in config.task_types:
        props = [(p, g, r, rate) for p, g, r, rate in zip(prompts, proposals, results, rates) if p.task_type == t]
        for _, g, r, rate in props[: config.samples_per_type]:
            rows.append({"kind": "proposal", "task_type": t, "valid": r.valid, "reason": r.reason,
                         "solve_rate": rate, "response": g.text[:1500],
                         "task": r.task.to_dict() if r.task is not None else None})
        sol = [(s, g[0]) for s, g in zip(solves, solve_gens) if s.task.task_type == t]
        for s, g in sol[: config.samples_per_type]:
            rows.append({"kind": "solution", "task_type": t, "correct": s.correct, "reason": s.reason,
                         "response": g.text[:1500], "task": s.task.to_dict()})
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
def main(config: SelfPlayConfig, sampler=None) -> dict[str, float]:
    """Run (or resume) self-play as configured; returns the last step's metrics.

    `sampler`: optionally the user's own `Agent` or `list[str] -> list[str]` callable to sample the rollouts
    (proposals, learnability, solutions); the local `config.model` is what is trained and evaluated.
    """
    from azr_agents.micro_tasks import heldout_deduction_tasks

    from azr_env.buffer import BufferSet
    from azr_env.rewards import RewardConfig
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
        for name in ("metrics.jsonl", "samples.jsonl"):
            truncate_jsonl(run_dir / name, state["step"])
    else:  # a fresh start (also after a kill before the first checkpoint): no stale logs or buffers
        for name in ("metrics.jsonl", "samples.jsonl"):
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
    round_config = RoundConfig(task=config.task_config(), workers=config.workers, memory_mb=config.memory_mb,
                               rewards=RewardConfig(zero_learnability_reward=config.zero_learnability_reward),
                               n_rollouts=config.n_rollouts, rollout_temperature=config.temperature,
                               max_new_tokens=config.max_new_tokens)
    buffers = BufferSet(config.task_types, buffer_dir, capacity=config.buffer_capacity, policy=config.buffer_policy)
    tracker = Tracker(run_dir, tensorboard=config.tensorboard, wandb_project=config.wandb_project,
                      config=dataclasses.asdict(config))
    progress = Progress(config.total_steps, config.task_types, config.progress)
    last: dict[str, float] = {}
    if resume_from is not None:
        progress.message(f"resuming from {resume_from} at step {start_step}")

    evaluated = policy if isinstance(agent, ExternalRollouts) else agent  # held-out: the model being trained
    with Referee(round_config) as referee:
        heldout = heldout_deduction_tasks(config.eval_tasks, referee=referee) if config.eval_every else []
        if not seeded:
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
