"""One AZR self-play step over any rollout function (SPEC §4-5), for the OpenRLHF trainer actor.

AZR needs the proposer's validated tasks of step t to become solver prompts within step t, and N solver
rollouts per valid proposal before the proposer's reward exists. OpenRLHF's engines answer one batch of
(prompt, label) pairs at a time, so a step is three engine phases driven from the trainer:

1. propose: proposer prompts with references drawn from the buffers; the engine agent validates each
   proposal (sandboxed) and returns its verdict in the label; valid tasks enter the buffers (step t);
2. learnability: N solver rollouts (temperature `rollout_temperature`) per valid task; the solve rate p gives
   the proposer reward (`Referee.proposer_rewards`); these rollouts are not training samples (reference);
3. solve: the solver batch of step t (this step's new tasks, topped up from the buffer), scored by the agent.

The proposer and solver samples of phases 1 and 3 are the step's training batch (2 x types x batch_per_type).
`rollout(prompts, labels, n, temperature)` returns, per prompt, n OpenRLHF `Experience`s whose `labels[0]` is
the agent's outcome label. Buffers persist under `buffer_dir`, and draws use `seed` mixed with the step, so a
resumed run continues where it stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from azr_agents.openrlhf.labels import config_to_json, make_label
from azr_agents.openrlhf.options import SelfPlayConfig

from azr_env.buffer import BufferSet
from azr_env.errors import DataError
from azr_env.rounds import ProposalResult, Referee
from azr_env.tasks.base import Task

log = logging.getLogger(__name__)
RolloutFn = Callable[[list[str], list[str], int, float | None], list[list[Any]]]
_PHASES = {"propose": 0, "solve": 1, "seed": 2}


def outcome(experience: Any) -> dict[str, Any]:
    """The agent's verdict carried back in `experience.labels[0]` (see `labels.with_outcome`)."""
    try:
        row = json.loads(experience.labels[0])
        return row["outcome"]
    except (AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        raise DataError(f"sample label {str(getattr(experience, 'labels', None))[:160]!r} has no AZR outcome; is "
                        "--train.agent_func_path the AZR agent?") from exc  # fmt: skip


def set_reward(experience: Any, reward: float) -> None:
    """Replace a single-sample Experience's reward everywhere OpenRLHF reads it."""
    value = torch.tensor([float(reward)])
    experience.rewards = value
    experience.scores = value.clone()
    experience.info["reward"] = value.clone()
    experience.info["score"] = value.clone()


class SelfPlay:
    """Buffers, prompts and rewards of AZR's loop; generation and checking happen in `rollout` (the engines).

    Args:
        config: the run's options.
        rollout: see the module docstring.
        wrap_prompt: applied to every prompt before generation (the chat template when prompt_format="chat").
    """

    def __init__(self, config: SelfPlayConfig, rollout: RolloutFn,
                 wrap_prompt: Callable[[str], str] | None = None) -> None:  # fmt: skip
        self.config = config
        self.rollout = rollout
        self.wrap = wrap_prompt or (lambda text: text)
        # Driver side only: prompts, solver batches and proposer rewards. It never runs code (the engines do).
        self.referee = Referee(config.round)
        self.label_config = config_to_json(config.round)
        self.buffers = BufferSet(config.task_types, directory=config.buffer_dir, capacity=config.buffer_capacity,
                                 policy=config.buffer_policy)  # fmt: skip

    def rng(self, step: int, phase: str) -> np.random.Generator:
        return np.random.default_rng([self.config.seed, step + 1, _PHASES[phase]])

    # ---- phases ----------------------------------------------------------------------------------------------
    def propose(self, step: int, counts: dict[str, int], rng: np.random.Generator) -> tuple[list, list]:
        """Phase 1: one proposal per prompt; valid tasks enter the buffers at `step`."""
        prompts = self.referee.proposer_prompts(self.buffers, counts, rng)
        labels = [make_label("propose", p.task_type, references=p.references, config=self.label_config)
                  for p in prompts]  # fmt: skip
        samples = [group[0] for group in self.rollout([self.wrap(p.prompt) for p in prompts], labels, 1, None)]
        results = []
        for prompt, sample in zip(prompts, samples):
            out = outcome(sample)
            task = Task.from_dict(out["task"]) if out.get("valid") and out.get("task") else None
            results.append(ProposalResult(prompt.task_type, bool(out.get("format_ok")), task is not None, task,
                                          str(out.get("reason", "")), str(out.get("detail", ""))))  # fmt: skip
            if task is not None:
                self.buffers.add(task, step)
        return samples, results

    def solve_rates(self, tasks: Sequence[Task]) -> list[float]:
        """Phase 2: p per task from `n_rollouts` solver rollouts at the rollout temperature."""
        if not tasks:
            return []
        prompts = [self.wrap(self.referee.solver_prompt(t)) for t in tasks]
        labels = [make_label("solve", t.task_type, task=t, config=self.label_config, purpose="rollout")
                  for t in tasks]  # fmt: skip
        groups = self.rollout(prompts, labels, self.config.n_rollouts, self.config.round.rollout_temperature)
        return [sum(bool(outcome(s).get("correct")) for s in g) / len(g) for g in groups]

    def solve(self, step: int) -> tuple[list, list[dict]]:
        """Phase 3: the solver batch of `step` per task type, one answer each."""
        rng = self.rng(step, "solve")
        tasks = [t for kind in self.config.task_types
                 for t in self.buffers.solver_batch(kind, self.config.batch_per_type, rng, step=step)]  # fmt: skip
        prompts = [self.wrap(self.referee.solver_prompt(t)) for t in tasks]
        labels = [make_label("solve", t.task_type, task=t, config=self.label_config) for t in tasks]
        samples = [group[0] for group in self.rollout(prompts, labels, 1, None)]
        return samples, [dict(outcome(s), task_type=t.task_type) for s, t in zip(samples, tasks)]

    # ---- a whole step ----------------------------------------------------------------------------------------
    def step(self, step: int) -> tuple[list, dict[str, float]]:
        """Phases 1-3; returns the step's training samples (proposer then solver) and `propose/...` metrics."""
        counts = {kind: self.config.batch_per_type for kind in self.config.task_types}
        proposer_samples, results = self.propose(step, counts, self.rng(step, "propose"))
        valid = [r.task for r in results if r.task is not None]
        rate_iter = iter(self.solve_rates(valid))
        rates = [next(rate_iter) if r.task is not None else None for r in results]
        for sample, reward in zip(proposer_samples, self.referee.proposer_rewards(results, rates)):
            set_reward(sample, reward)
        solver_samples, solved = self.solve(step)
        return proposer_samples + solver_samples, self.metrics(results, rates, solved)

    def seed_buffers(self) -> int:
        """SPEC §5 seeding: propose (no training) until every buffer holds `seed_tasks_per_type`; rounds used."""
        target = self.config.seed_tasks_per_type
        for round_index in range(self.config.seed_max_rounds):
            missing = {k: target - n for k, n in self.buffers.counts().items() if n < target}
            if not missing:
                return round_index
            counts = {k: min(max(m, 1), self.config.batch_per_type) for k, m in missing.items()}
            self.propose(-1, counts, self.rng(round_index, "seed"))
            log.info("seeding round %d: buffer sizes %s", round_index, self.buffers.counts())
        log.warning("seeding stopped after %d rounds with buffer sizes %s (target %d)", self.config.seed_max_rounds,
                    self.buffers.counts(), target)  # fmt: skip
        return self.config.seed_max_rounds

    def metrics(self, results: list[ProposalResult], rates: list[float | None], solved: list[dict]) -> dict:
        """Per task type: proposal valid/format rates and mean solve rate, solver accuracy, buffer size."""
        out: dict[str, float] = {}
        for kind in self.config.task_types:
            props = [(r, p) for r, p in zip(results, rates) if r.task_type == kind]
            if props:
                out[f"propose/{kind}/valid_rate"] = sum(r.valid for r, _ in props) / len(props)
                out[f"propose/{kind}/format_rate"] = sum(r.format_ok for r, _ in props) / len(props)
                known = [p for _, p in props if p is not None]
                if known:
                    out[f"propose/{kind}/solve_rate"] = sum(known) / len(known)
            answers = [s for s in solved if s["task_type"] == kind]
            if answers:
                out[f"solve/{kind}/accuracy"] = sum(bool(s.get("correct")) for s in answers) / len(answers)
                out[f"solve/{kind}/format_rate"] = sum(bool(s.get("format_ok")) for s in answers) / len(answers)
            out[f"buffer/{kind}/size"] = float(len(self.buffers[kind]))
        return out
