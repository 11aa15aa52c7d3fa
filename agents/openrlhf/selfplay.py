"""The OpenRLHF trainer's adapter to the one AZR self-play step (`azr_env.step`, SPEC §4-5).

AZR needs the proposer's validated tasks of step t to become solver prompts within step t, and N solver
rollouts per valid proposal before the proposer's reward exists. OpenRLHF's engines answer one batch of
(prompt, label) pairs at a time, so a step is three engine phases driven from the trainer:

1. propose: proposer prompts with references drawn from the buffers; the engine agent validates each
   proposal (sandboxed) and returns its verdict in the label; valid tasks enter the buffers (step t);
2. learnability: N solver rollouts (temperature `rollout_temperature`) per valid task; the solve rate p gives
   the proposer reward (`Referee.proposer_rewards`); these rollouts are not training samples (reference);
3. solve: the solver batch of step t (this step's new tasks, topped up from the buffer), scored by the agent.

The phases, seeding and metrics are `azr_env.step`'s (the function `azr selfplay` and the round API run too);
this module only supplies its samplers (labelled engine rollouts) and a judge that reads the engines' verdicts.
The proposer and solver samples of phases 1 and 3 are the step's training batch (2 x types x batch_per_type).
`rollout(prompts, labels, n, temperature)` returns, per prompt, n OpenRLHF `Experience`s whose `labels[0]` is
the agent's outcome label. Buffers persist under `buffer_dir`, and draws use `seed` mixed with the step, so a
resumed run continues where it stopped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from azr_agents.openrlhf.labels import config_to_json, make_label
from azr_agents.openrlhf.options import OpenRLHFSelfPlayConfig
from azr_agents.reflection import Response, concerning_responses, reflection_metrics, save_flagged

from azr_env import step as step_lib
from azr_env.buffer import BufferSet
from azr_env.errors import DataError
from azr_env.rounds import ProposalResult, ProposerPrompt, Referee, SolveResult
from azr_env.step import Samplers, SolverPrompt, StepPlan
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


class OutcomeJudge:
    """`azr_env.step`'s judge for records the engines already judged: reads the verdict in each sample's label."""

    def validate(self, prompts: Sequence[ProposerPrompt], records: Sequence[Any]) -> list[ProposalResult]:
        results = []
        for prompt, sample in zip(prompts, records):
            out = outcome(sample)
            task = Task.from_dict(out["task"]) if out.get("valid") and out.get("task") else None
            results.append(ProposalResult(prompt.task_type, bool(out.get("format_ok")), task is not None, task,
                                          str(out.get("reason", "")), str(out.get("detail", ""))))  # fmt: skip
        return results

    def score(self, prompts: Sequence[SolverPrompt], records: Sequence[Any], *,
              purpose: str = "train") -> list[SolveResult]:  # fmt: skip
        results = []
        for prompt, sample in zip(prompts, records):
            out = outcome(sample)
            reward = out.get("reward")
            reward = float(reward) if reward is not None else float(sample.rewards.reshape(-1)[0])
            results.append(SolveResult(prompt.task, bool(out.get("format_ok")), bool(out.get("correct")), reward,
                                       out.get("answer"), str(out.get("reason", ""))))  # fmt: skip
        return results


class SelfPlay:
    """Buffers, prompts and rewards of AZR's loop; generation and checking happen in `rollout` (the engines).

    Args:
        config: the run's options.
        rollout: see the module docstring.
        wrap_prompt: applied to every prompt before generation (the chat template when prompt_format="chat").
        tokenizer: the policy's; proposer prompts are capped at `max_prompt_tokens` of it, as the reference
            (None: `max_prompt_chars` characters).
    """

    def __init__(self, config: OpenRLHFSelfPlayConfig, rollout: RolloutFn,
                 wrap_prompt: Callable[[str], str] | None = None, tokenizer: Any = None) -> None:  # fmt: skip
        self.config = config
        self.rollout = rollout
        self.wrap = wrap_prompt or (lambda text: text)
        # Driver side only: prompts, solver batches and proposer rewards. It never runs code (the engines do).
        self.referee = Referee(config.round, tokenizer=tokenizer)
        self.judge = OutcomeJudge()
        self.label_config = config_to_json(config.round)
        self.buffers = BufferSet(config.task_types, directory=config.buffer_dir, capacity=config.buffer_capacity,
                                 policy=config.buffer_policy, dedup=config.buffer_dedup)  # fmt: skip
        self.samplers = Samplers(propose=self._propose_samples, solve=self._solve_samples,
                                 rollouts=self._rollout_samples)  # fmt: skip

    def rng(self, step: int, phase: str) -> np.random.Generator:
        return np.random.default_rng([self.config.seed, step + 1, _PHASES[phase]])

    # ---- samplers: labelled engine rollouts -----------------------------------------------------------------
    def _propose_samples(self, prompts: list[ProposerPrompt]) -> list[Any]:
        labels = [make_label("propose", p.task_type, references=p.references, config=self.label_config)
                  for p in prompts]  # fmt: skip
        return [group[0] for group in self.rollout([self.wrap(p.prompt) for p in prompts], labels, 1, None)]

    def _solve_samples(self, prompts: list[SolverPrompt], n: int, purpose: str = "train",
                       temperature: float | None = None) -> list[list[Any]]:  # fmt: skip
        labels = [make_label("solve", p.task_type, task=p.task, config=self.label_config, purpose=purpose)
                  for p in prompts]  # fmt: skip
        return self.rollout([self.wrap(p.prompt) for p in prompts], labels, n, temperature)

    def _rollout_samples(self, prompts: list[SolverPrompt], n: int) -> list[list[Any]]:
        return self._solve_samples(prompts, n, "rollout", self.config.round.rollout_temperature)

    # ---- phases ----------------------------------------------------------------------------------------------
    def propose(self, step: int, counts: dict[str, int], rng: np.random.Generator) -> tuple[list, list]:
        """Phase 1 alone: one proposal per prompt; valid tasks enter the buffers at `step`."""
        _, samples, results = step_lib.propose_and_validate(self.referee, self.buffers, self.samplers, self.judge,
                                                            rng, counts)  # fmt: skip
        step_lib.admit(self.buffers, results, step)
        return samples, results

    # ---- a whole step ----------------------------------------------------------------------------------------
    def step(self, step: int) -> tuple[list, dict[str, float]]:
        """`azr_env.step.play_step`; returns the step's training samples (proposer then solver) and metrics."""
        plan = StepPlan(tuple(self.config.task_types), self.config.batch_per_type, 0, self.config.n_rollouts)
        result = step_lib.play_step(self.referee, self.buffers, self.samplers, self.rng(step, "propose"), step=step,
                                    plan=plan, judge=self.judge, solve_rng=self.rng(step, "solve"))  # fmt: skip
        for proposal in result.proposals:
            set_reward(proposal.record, proposal.reward)
        samples = [p.record for p in result.proposals] + [s.record for s in result.solutions]
        return samples, result.metrics | self.response_checks(result, step)

    def response_checks(self, result: Any, step: int) -> dict[str, float]:
        """The reference's reflection ratios and the concerning-phrase counts (as `azr selfplay` logs them), from
        the checks the engines put in each sample's outcome; flagged samples go to `<ckpt>/flagged.jsonl`."""
        responses = [Response("propose", p.prompt.task_type, "", bool(p.result.valid), float(p.reward),
                              outcome(p.record).get("checks")) for p in result.proposals]  # fmt: skip
        responses += [Response("solve", s.prompt.task_type, "", bool(s.result.correct), float(s.reward),
                               outcome(s.record).get("checks")) for s in result.solutions]  # fmt: skip
        counts, flagged = concerning_responses(responses)
        if self.config.buffer_dir:
            save_flagged(Path(self.config.buffer_dir).parent, step, flagged)
        return reflection_metrics(responses) | counts

    def load_seed_files(self, paths: Sequence[str], limit: int | None = None) -> str:
        """The reference's released seed files into the buffers at step -1 (`azr_env.seeds`), at most `limit`
        tasks per type; rows are parsed here, not executed (the driver runs no code). Returns a summary."""
        from azr_env.seeds import seed_buffers_from_files

        loads = seed_buffers_from_files(self.buffers, paths, limit=limit)
        return "; ".join(f"{path}: {load.summary()}" for path, load in loads.items())

    def seed_buffers(self) -> int:
        """SPEC §5 seeding (`azr_env.step.seed_buffers`): propose (no training) until every buffer holds
        `seed_tasks_per_type`; returns the rounds used, raises `SeedingError` when `seed_max_rounds` do not do."""
        rounds = [0]

        def on_round(round_index: int, counts: dict[str, int]) -> None:
            rounds[0] = round_index + 1
            log.info("seeding round %d: buffer sizes %s", round_index, counts)

        step_lib.seed_buffers(self.referee, self.buffers, self._propose_samples, self.rng(-1, "seed"),
                              target=self.config.seed_tasks_per_type, task_types=self.config.task_types,
                              batch=self.config.batch_per_type, max_rounds=self.config.seed_max_rounds,
                              judge=self.judge, on_round=on_round)  # fmt: skip
        return rounds[0]
