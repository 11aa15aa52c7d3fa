"""One AZR self-play step, written once (SPEC §4–5): seeding, then propose → validate → learnability rollouts →
solve → rewards, and the step's metrics.

Every driver is a thin adapter over these functions: `azr selfplay` (`azr_agents.trainer`), the OpenRLHF trainer
(`azr_agents.openrlhf.selfplay`), the round API (`Referee.play_round` / `Referee.seed_buffers`) and
`AZR-SelfPlay-v0` (which plays the stages one env step at a time: `admit`, `solve_rates`, `proposer_rewards`).

The model enters only through sampler callables, which return *generation records*:

    propose(prompts: list[ProposerPrompt]) -> list[record]              one record per prompt
    solve(prompts: list[SolverPrompt], n: int) -> list[list[record]]   n records per prompt
    rollouts(prompts, n)                                                the learnability rollouts (default: solve)

A record is whatever the backend produced (an `azr_env.generation.Generation` with text, token ids, log-probs
and finish reason; an OpenRLHF `Experience`); the step hands it back untouched, so nothing is re-tokenized.
Only the `Judge` reads records: `TextJudge` (the default) validates and scores `record.text` with the referee's
sandbox; a backend that judged in place (OpenRLHF's engines) brings its own judge that reads the verdicts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from azr_env.buffer import BufferSet
from azr_env.errors import ConfigError
from azr_env.generation import as_agent
from azr_env.rewards import solve_rate
from azr_env.tasks.base import Task
from azr_env.tasks.registry import AZR_TASK_TYPES

if TYPE_CHECKING:
    from azr_env.rounds import ProposalResult, ProposerPrompt, Referee, SolveResult

log = logging.getLogger(__name__)

PURPOSES = ("train", "rollout")
"""Why a solver answer is scored: a training sample ("train") or a learnability rollout ("rollout")."""


# ---- what flows through a step --------------------------------------------------------------------------------
@dataclass(frozen=True)
class SolverPrompt:
    """A solver prompt: the complete `prompt` text (wrapped per `prompt_format`) for `task`."""

    task: Task
    prompt: str

    @property
    def task_type(self) -> str:
        return self.task.task_type


ProposeFn = Callable[[list[Any]], list[Any]]
SolveFn = Callable[[list[Any], int], list[list[Any]]]


@dataclass
class Samplers:
    """The model, as the step sees it (see the module docstring). `rollouts` defaults to `solve`."""

    propose: ProposeFn
    solve: SolveFn
    rollouts: SolveFn | None = None

    def rollout(self, prompts: list[SolverPrompt], n: int) -> list[list[Any]]:
        return (self.rollouts or self.solve)(prompts, n)


def agent_samplers(agent: Any, *, rollout_kwargs: Mapping[str, Any] | None = None,
                   **generate_kwargs: Any) -> Samplers:  # fmt: skip
    """Samplers over an `Agent` (or a `list[str] -> list[str]` callable); records are its `Generation`s.

    `generate_kwargs` go to every `agent.generate` call; `rollout_kwargs` replace them for the learnability
    rollouts (e.g. the rollout temperature).
    """
    model = as_agent(agent)

    def generate(prompts: list[Any], n: int, kwargs: Mapping[str, Any]) -> list[list[Any]]:
        if not prompts:
            return []
        return model.generate([p.prompt for p in prompts], n=n, **kwargs)

    rollout = dict(generate_kwargs if rollout_kwargs is None else rollout_kwargs)
    return Samplers(
        propose=lambda prompts: [g[0] for g in generate(prompts, 1, generate_kwargs)],
        solve=lambda prompts, n: generate(prompts, n, generate_kwargs),
        rollouts=lambda prompts, n: generate(prompts, n, rollout),
    )


def record_text(record: Any) -> str:
    """The response text of a record (`.text`, or the record itself when it is a str; "" otherwise)."""
    if isinstance(record, str):
        return record
    text = getattr(record, "text", "")
    return text if isinstance(text, str) else ""


class Judge(Protocol):
    """Turns records into verdicts: proposals into `ProposalResult`s, answers into `SolveResult`s."""

    def validate(self, prompts: Sequence[ProposerPrompt], records: Sequence[Any]) -> list[ProposalResult]: ...

    def score(self, prompts: Sequence[SolverPrompt], records: Sequence[Any], *,
              purpose: str = "train") -> list[SolveResult]: ...  # fmt: skip


class TextJudge:
    """The default judge: the referee validates and scores each record's text in its sandbox."""

    def __init__(self, referee: Referee) -> None:
        self.referee = referee

    def validate(self, prompts: Sequence[ProposerPrompt], records: Sequence[Any]) -> list[ProposalResult]:
        return self.referee.validate([(p.task_type, record_text(r), p.references) for p, r in zip(prompts, records)])

    def score(self, prompts: Sequence[SolverPrompt], records: Sequence[Any], *,
              purpose: str = "train") -> list[SolveResult]:  # fmt: skip
        return self.referee.score([p.task for p in prompts], [record_text(r) for r in records], purpose=purpose)


@dataclass
class Proposal:
    """One proposer sample of a step: its prompt, record, verdict, solve rate (None: invalid) and reward."""

    prompt: ProposerPrompt
    record: Any
    result: ProposalResult
    solve_rate: float | None
    reward: float


@dataclass
class Solution:
    """One solver sample of a step: its prompt, record and scored answer (`result.reward` is its reward)."""

    prompt: SolverPrompt
    record: Any
    result: SolveResult

    @property
    def reward(self) -> float:
        return self.result.reward


@dataclass
class StepResult:
    """What one step produced. `proposals` and `solutions` are the training samples (in that order);
    `rollouts` holds the learnability records per valid task (not training samples, as in the reference)."""

    proposals: list[Proposal]
    solutions: list[Solution]
    rollouts: list[list[Any]] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=lambda: {"generate_s": 0.0, "execute_s": 0.0})

    def records(self) -> list[Any]:
        """Every record the samplers returned this step (proposals, rollouts, solutions)."""
        return [p.record for p in self.proposals] + [r for row in self.rollouts for r in row] + \
            [s.record for s in self.solutions]  # fmt: skip


@dataclass(frozen=True)
class StepPlan:
    """How much one step plays. Reference: 64 proposals and 64 solver tasks per type, N=8 rollouts."""

    task_types: tuple[str, ...] = AZR_TASK_TYPES
    """Task types played each step."""
    proposals_per_type: int = 64
    """Proposer prompts per task type."""
    solver_tasks_per_type: int = 0
    """Solver tasks per task type (0: `proposals_per_type`, as the reference)."""
    n_rollouts: int | None = None
    """Learnability rollouts per valid proposal (None: the referee config's `n_rollouts`)."""

    def __post_init__(self) -> None:
        if not self.task_types:
            raise ConfigError("task_types is empty; give at least one task type")
        if self.proposals_per_type < 1 or self.solver_tasks_per_type < 0:
            raise ConfigError(f"proposals_per_type={self.proposals_per_type} must be >= 1 and "
                              f"solver_tasks_per_type={self.solver_tasks_per_type} >= 0")  # fmt: skip

    @property
    def solver_per_type(self) -> int:
        return self.solver_tasks_per_type or self.proposals_per_type


class _Clock:
    """Wall time of sampler calls ("generate_s") and judge / sandbox calls ("execute_s")."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings

    def run(self, key: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            self.timings[key] = self.timings.get(key, 0.0) + time.perf_counter() - start


# ---- the stages -------------------------------------------------------------------------------------------------
def admit(buffers: BufferSet, results: Sequence[ProposalResult], step: int) -> list[Task]:
    """Valid proposals enter their buffers at `step` (SPEC §5); returns the valid tasks, in order."""
    valid = [r.task for r in results if r.valid and r.task is not None]
    for task in valid:
        buffers.add(task, step)
    return valid


def solve_rates(scored: Sequence[Sequence[SolveResult]]) -> list[float]:
    """p per task from its scored rollouts (SPEC §4)."""
    return [solve_rate([s.correct for s in group]) for group in scored]


def spread_rates(results: Sequence[ProposalResult], rates_of_valid: Sequence[float]) -> list[float | None]:
    """Per proposal: its solve rate if valid (in order), None otherwise."""
    it = iter(rates_of_valid)
    return [next(it) if r.valid and r.task is not None else None for r in results]


def learnability(referee: Referee, samplers: Samplers, judge: Judge, tasks: Sequence[Task], n: int,
                 clock: _Clock | None = None) -> tuple[list[float], list[list[Any]]]:  # fmt: skip
    """N solver rollouts per task, scored (purpose "rollout"): the solve rates and the rollout records."""
    if not tasks:
        return [], []
    clock = clock or _Clock({})
    prompts = [SolverPrompt(t, referee.solver_prompt(t)) for t in tasks]
    groups = clock.run("generate_s", samplers.rollout, prompts, n)
    flat_prompts = [p for p, g in zip(prompts, groups) for _ in g]
    scored = clock.run("execute_s", judge.score, flat_prompts, [r for g in groups for r in g], purpose="rollout")
    per_task, offset = [], 0
    for g in groups:
        per_task.append(scored[offset:offset + len(g)])
        offset += len(g)
    return solve_rates(per_task), groups


def propose_and_validate(referee: Referee, buffers: BufferSet, samplers: Samplers, judge: Judge,
                         rng: np.random.Generator, counts: Mapping[str, int],
                         clock: _Clock | None = None) -> tuple[list[ProposerPrompt], list[Any], list[ProposalResult]]:
    """Proposer prompts (`counts[type]` each, K references from `buffers`), one record each, their verdicts."""
    clock = clock or _Clock({})
    prompts = referee.proposer_prompts(buffers, counts, rng)
    records = clock.run("generate_s", samplers.propose, prompts) if prompts else []
    if len(records) != len(prompts):
        raise ConfigError(f"the propose sampler returned {len(records)} records for {len(prompts)} prompts")
    results = clock.run("execute_s", judge.validate, prompts, records) if prompts else []
    return prompts, records, results


def solve_batch(referee: Referee, buffers: BufferSet, samplers: Samplers, judge: Judge, rng: np.random.Generator,
                plan: StepPlan, step: int, clock: _Clock | None = None) -> list[Solution]:
    """The solver batch of `step` per type (SPEC §5: new tasks topped up from the buffer), one answer each."""
    clock = clock or _Clock({})
    tasks = [t for kind in plan.task_types for t in buffers.solver_batch(kind, plan.solver_per_type, rng, step=step)]
    prompts = [SolverPrompt(t, referee.solver_prompt(t)) for t in tasks]
    groups = clock.run("generate_s", samplers.solve, prompts, 1) if prompts else []
    records = [g[0] for g in groups]
    results = clock.run("execute_s", judge.score, prompts, records, purpose="train") if prompts else []
    return [Solution(p, r, s) for p, r, s in zip(prompts, records, results)]


# ---- one step ---------------------------------------------------------------------------------------------------
def play_step(
    referee: Referee,
    buffers: BufferSet,
    samplers: Samplers,
    rng: np.random.Generator,
    *,
    step: int,
    plan: StepPlan | None = None,
    judge: Judge | None = None,
    solve_rng: np.random.Generator | None = None,
) -> StepResult:
    """One AZR self-play step (SPEC §4–5).

    1. propose `plan.proposals_per_type` tasks per type, each prompt showing K references drawn with `rng`;
    2. validate them (the judge; one sandbox pass) and add the valid ones to `buffers` at `step`;
    3. N learnability rollouts per valid task -> solve rate p -> proposer reward (`Referee.proposer_rewards`,
       which adds the optional diversity / complexity terms of `rewards.py`);
    4. solve the step's solver batch per type (drawn with `solve_rng`, default `rng`) and score each answer.

    The six TRR++ groups are {propose, solve} x `plan.task_types`: `proposals` and `solutions` carry role and
    task type. Never re-tokenizes: records come back as the samplers returned them.
    """
    plan = plan or StepPlan()
    judge = judge or TextJudge(referee)
    out = StepResult([], [])
    clock = _Clock(out.timings)
    counts = {t: plan.proposals_per_type for t in plan.task_types}
    prompts, records, results = propose_and_validate(referee, buffers, samplers, judge, rng, counts, clock)
    valid = admit(buffers, results, step)
    n = plan.n_rollouts or referee.config.n_rollouts
    rates_valid, out.rollouts = learnability(referee, samplers, judge, valid, n, clock)
    rates = spread_rates(results, rates_valid)
    rewards = referee.proposer_rewards(results, rates, [p.references for p in prompts])
    out.proposals = [Proposal(*row) for row in zip(prompts, records, results, rates, rewards)]
    out.solutions = solve_batch(referee, buffers, samplers, judge, solve_rng or rng, plan, step, clock)
    out.metrics = step_metrics(out, buffers, plan.task_types)
    return out


# ---- the seeding stage ------------------------------------------------------------------------------------------
class SeedingError(ConfigError):
    """The seeding stage used its whole budget and some buffer is still short of the target."""


def seed_buffers(
    referee: Referee,
    buffers: BufferSet,
    propose: ProposeFn,
    rng: np.random.Generator,
    *,
    target: int,
    task_types: Sequence[str] = AZR_TASK_TYPES,
    batch: int = 64,
    max_rounds: int = 100,
    judge: Judge | None = None,
    on_round: Callable[[int, dict[str, int]], None] | None = None,
) -> dict[str, int]:
    """SPEC §5 seeding stage: propose (no training) until every buffer of `task_types` holds `target` tasks.

    Each round sends `batch` proposer prompts per short type; valid tasks enter their buffer at step -1 until it
    holds `target` (never more: later valid ones of that round are dropped). Returns the final counts; raises
    `SeedingError`, naming the short buffers and the knobs, when `max_rounds` rounds still leave one short.
    `on_round(round, counts)` is called after every round (progress).
    """
    if target < 0 or batch < 1 or max_rounds < 0:
        raise ConfigError(f"target={target}, batch={batch} and max_rounds={max_rounds}: need target >= 0, "
                          "batch >= 1, max_rounds >= 0")  # fmt: skip
    judge = judge or TextJudge(referee)
    samplers = Samplers(propose, lambda prompts, n: [])
    for round_ in range(max_rounds):
        short = {t: batch for t in task_types if len(buffers[t]) < target}
        if not short:
            break
        _, _, results = propose_and_validate(referee, buffers, samplers, judge, rng, short)
        for result in results:
            if result.valid and result.task is not None and len(buffers[result.task_type]) < target:
                buffers.add(result.task, -1)
        if on_round is not None:
            on_round(round_, buffers.counts())
    counts = buffers.counts()
    missing = {t: counts[t] for t in task_types if counts[t] < target}
    if missing:
        raise SeedingError(
            f"seeding stopped after {max_rounds} rounds of {batch} prompts per type with buffers {missing} short "
            f"of the target {target}; raise the round budget, lower the target, or start from a stronger model"
        )
    return counts


# ---- metrics ------------------------------------------------------------------------------------------------------
def step_metrics(result: StepResult, buffers: BufferSet | None = None,
                 task_types: Sequence[str] | None = None) -> dict[str, float]:  # fmt: skip
    """Per task type: proposal validity, format, reward, distinct programs and solve rate; solver accuracy,
    format and reward; buffer size."""
    kinds = list(task_types or dict.fromkeys([p.result.task_type for p in result.proposals]
                                             + [s.prompt.task_type for s in result.solutions]))
    m: dict[str, float] = {}
    for t in kinds:
        props = [p for p in result.proposals if p.result.task_type == t]
        if props:
            m[f"propose/{t}/valid_rate"] = sum(p.result.valid for p in props) / len(props)
            m[f"propose/{t}/format_rate"] = sum(p.result.format_ok for p in props) / len(props)
            m[f"reward/propose/{t}"] = sum(p.reward for p in props) / len(props)
            programs = [p.result.task.program for p in props if p.result.valid and p.result.task is not None]
            if programs:  # a collapse detector: the proposer repeating one program
                m[f"propose/{t}/distinct_programs"] = len(set(programs)) / len(programs)
            known = [p.solve_rate for p in props if p.solve_rate is not None]
            if known:
                m[f"propose/{t}/solve_rate"] = sum(known) / len(known)
        sols = [s for s in result.solutions if s.prompt.task_type == t]
        if sols:
            m[f"solve/{t}/accuracy"] = sum(s.result.correct for s in sols) / len(sols)
            m[f"solve/{t}/format_rate"] = sum(s.result.format_ok for s in sols) / len(sols)
            m[f"reward/solve/{t}"] = sum(s.reward for s in sols) / len(sols)
        if buffers is not None and t in buffers:
            m[f"buffer/{t}/size"] = float(len(buffers[t]))
    return m


__all__ = [
    "PURPOSES", "Judge", "Proposal", "Samplers", "SeedingError", "Solution", "SolverPrompt", "StepPlan", "StepResult",
    "TextJudge", "admit", "agent_samplers", "learnability", "play_step", "propose_and_validate", "record_text",
    "seed_buffers", "solve_batch", "solve_rates", "spread_rates", "step_metrics",
]  # fmt: skip
