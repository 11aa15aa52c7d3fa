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
from dataclasses import dataclass, field, replace
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
SOLVER_BATCH_SOURCES = ("previous", "current")


@dataclass(frozen=True)
class StepConfig:
    """How the self-play step and the seeding stage play. Defaults: the reference's behaviour (SPEC §4–5)."""

    solver_batch_source: str = "previous"
    """Which new tasks a step's solver batch starts from, topped up uniformly from the buffer: "previous"
    (reference: the tasks added in the step before, since its data loader is built before the step's proposals
    are validated; drawn before this step's tasks enter the buffer) or "current" (this step's new tasks)."""
    rollout_format_check: bool = False
    """Score the N learnability rollouts with the format check (a correct answer without `</think>` then counts
    as unsolved). Reference: False, the rollouts are scored on the answer alone (the text after the last
    `<answer>`, up to `</answer>`)."""
    admit_badly_formatted: bool = True
    """A proposal whose response is badly formatted but whose answer holds a valid task: the task still enters
    the buffer, while the proposer's reward stays −1 (reference: True). False: such tasks are dropped."""
    seed_shared_pool: bool = True
    """Seeding: deduction and abduction fill ONE pool (each valid task of either enters both buffers) until it
    holds the target; induction is seeded afterwards, on its own (reference: True). False: every buffer is
    seeded to the target on its own."""
    seed_strip_programs: bool = True
    """Seeding: a proposed program loses its comments, docstrings and top-level statements other than imports,
    functions and classes before it is validated (reference: True, its seeding scripts' remove_comments and
    remove_after_return). Applies where the step validates the text itself (not in OpenRLHF's engines)."""

    def __post_init__(self) -> None:
        if self.solver_batch_source not in SOLVER_BATCH_SOURCES:
            raise ConfigError(f"solver_batch_source={self.solver_batch_source!r}; choose one of "
                              f"{SOLVER_BATCH_SOURCES}")  # fmt: skip


def answer_only(response: str) -> str:
    """`response` as a well-formatted one carrying only its answer: the text after the last `<answer>`, up to
    `</answer>` (reference: how learnability rollouts are read, without a format check); no `<answer>`: an
    empty answer. Well-formatted responses pass unchanged."""
    from azr_env.tasks.parsing import is_well_formatted

    if not isinstance(response, str) or is_well_formatted(response):
        return response
    tail = response[response.rfind("<answer>") + len("<answer>"):] if "<answer>" in response else ""
    return f"<think></think>\n<answer>{tail.split('</answer>', 1)[0]}</answer>"


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

    def validate_answer_only(self, prompts: Sequence[ProposerPrompt], records: Sequence[Any]) -> list[ProposalResult]:
        """Validate what the answers hold, ignoring the response format (`StepConfig.admit_badly_formatted`)."""
        return self.referee.validate([(p.task_type, answer_only(record_text(r)), p.references)
                                      for p, r in zip(prompts, records)])  # fmt: skip

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
    keep_prompt: Callable[[str], bool] | None = None
    """Prompts for which this is False are left out of the step: proposer prompts before sampling, solver tasks
    from the solver batch (the reference's datasets drop prompts over `max_prompt_length` tokens)."""

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
                         rng: np.random.Generator, counts: Mapping[str, int], clock: _Clock | None = None,
                         keep: Callable[[str], bool] | None = None,
                         ) -> tuple[list[ProposerPrompt], list[Any], list[ProposalResult]]:  # fmt: skip
    """Proposer prompts (`counts[type]` each, K references from `buffers`; those `keep` rejects left out), one
    record each, their verdicts."""
    clock = clock or _Clock({})
    prompts = referee.proposer_prompts(buffers, counts, rng)
    if keep is not None:
        prompts = [p for p in prompts if keep(p.prompt)]
    records = clock.run("generate_s", samplers.propose, prompts) if prompts else []
    if len(records) != len(prompts):
        raise ConfigError(f"the propose sampler returned {len(records)} records for {len(prompts)} prompts")
    results = clock.run("execute_s", judge.validate, prompts, records) if prompts else []
    return prompts, records, results


def solver_tasks(buffers: BufferSet, rng: np.random.Generator, plan: StepPlan, new_at: int) -> list[Task]:
    """Per type, the tasks added at step `new_at` topped up uniformly from the whole buffer (SPEC §5)."""
    return [t for kind in plan.task_types for t in buffers.solver_batch(kind, plan.solver_per_type, rng, step=new_at)]


def admit_unformatted(buffers: BufferSet, judge: Judge, prompts: Sequence[ProposerPrompt],
                      records: Sequence[Any], results: Sequence[ProposalResult], step: int) -> list[Task]:
    """Tasks of badly formatted proposals whose answers are valid enter the buffer (reward stays −1)."""
    rescue = getattr(judge, "validate_answer_only", None)
    bad = [i for i, r in enumerate(results) if r.reason == "bad_format"]
    if rescue is None or not bad:
        return []
    return admit(buffers, rescue([prompts[i] for i in bad], [records[i] for i in bad]), step)


def solve_batch(referee: Referee, buffers: BufferSet, samplers: Samplers, judge: Judge, rng: np.random.Generator,
                plan: StepPlan, step: int, clock: _Clock | None = None,
                tasks: Sequence[Task] | None = None) -> list[Solution]:  # fmt: skip
    """The solver batch of `step` (`tasks`, else drawn: this step's new tasks topped up), one answer each."""
    clock = clock or _Clock({})
    if tasks is None:
        tasks = solver_tasks(buffers, rng, plan, step)
    prompts = [SolverPrompt(t, referee.solver_prompt(t)) for t in tasks]
    if plan.keep_prompt is not None:
        prompts = [p for p in prompts if plan.keep_prompt(p.prompt)]
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

    0. with `solver_batch_source="previous"` (reference), draw the solver batch now: per type, the tasks added
       at step - 1 topped up from the buffer as it is before this step's proposals (with `solve_rng`, default
       `rng`);
    1. propose `plan.proposals_per_type` tasks per type, each prompt showing K references drawn with `rng`;
    2. validate them (the judge; one sandbox pass) and add the valid ones to `buffers` at `step` (with
       `admit_badly_formatted`, also the valid tasks of badly formatted responses, reward still −1);
    3. N learnability rollouts per valid task -> solve rate p -> proposer reward (`Referee.proposer_rewards`,
       which adds the optional diversity / complexity terms of `rewards.py`); the rollouts are scored on the
       answer alone unless `rollout_format_check`;
    4. solve the solver batch (with "current": drawn now, this step's new tasks topped up) and score it.

    The options are the referee's `config.step` (`StepConfig`).

    The six TRR++ groups are {propose, solve} x `plan.task_types`: `proposals` and `solutions` carry role and
    task type. Never re-tokenizes: records come back as the samplers returned them.
    """
    plan = plan or StepPlan()
    judge = judge or TextJudge(referee)
    options: StepConfig = getattr(referee.config, "step", None) or StepConfig()
    out = StepResult([], [])
    clock = _Clock(out.timings)
    tasks = solver_tasks(buffers, solve_rng or rng, plan, step - 1) if options.solver_batch_source == "previous" \
        else None  # fmt: skip
    counts = {t: plan.proposals_per_type for t in plan.task_types}
    prompts, records, results = propose_and_validate(referee, buffers, samplers, judge, rng, counts, clock,
                                                     keep=plan.keep_prompt)  # fmt: skip
    valid = admit(buffers, results, step)
    if options.admit_badly_formatted:
        clock.run("execute_s", admit_unformatted, buffers, judge, prompts, records, results, step)
    n = plan.n_rollouts or referee.config.n_rollouts
    rates_valid, out.rollouts = learnability(referee, samplers, judge, valid, n, clock)
    rates = spread_rates(results, rates_valid)
    rewards = referee.proposer_rewards(results, rates, [p.references for p in prompts])
    out.proposals = [Proposal(*row) for row in zip(prompts, records, results, rates, rewards)]
    out.solutions = solve_batch(referee, buffers, samplers, judge, solve_rng or rng, plan, step, clock, tasks)
    out.metrics = step_metrics(out, buffers, plan.task_types)
    return out


# ---- the seeding stage ------------------------------------------------------------------------------------------
class SeedingError(ConfigError):
    """The seeding stage used its whole budget and some buffer is still short of the target."""


SHARED_POOL_TYPES = ("deduction", "abduction")
"""The types whose seeding shares one pool (`StepConfig.seed_shared_pool`): the same (program, input, output)."""


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
    holds `target` (never more: later valid ones of that round are dropped). With the referee's
    `config.step.seed_shared_pool` (reference), deduction and abduction fill one pool: a valid task of either
    enters both buffers, and induction (whose proposer is shown the pool's programs) is seeded after them, on its
    own; each of the two phases has `max_rounds` rounds. Returns the final counts; raises `SeedingError`, naming
    the short buffers and the knobs, when the rounds still leave one short. `on_round(round, counts)` is called
    after every round (progress).
    """
    if target < 0 or batch < 1 or max_rounds < 0:
        raise ConfigError(f"target={target}, batch={batch} and max_rounds={max_rounds}: need target >= 0, "
                          "batch >= 1, max_rounds >= 0")  # fmt: skip
    options: StepConfig = getattr(referee.config, "step", None) or StepConfig()
    if judge is None:
        judge = _SeedJudge(referee) if options.seed_strip_programs else TextJudge(referee)
    pooled = [t for t in SHARED_POOL_TYPES if t in task_types] if options.seed_shared_pool else []
    pooled = pooled if len(pooled) == len(SHARED_POOL_TYPES) else []
    phases = [list(task_types)]
    if pooled and "induction" in task_types:
        phases = [[t for t in task_types if t != "induction"], ["induction"]]
    rounds = 0
    for phase in phases:
        for _ in range(max_rounds):
            if not _seed_round(referee, buffers, propose, rng, judge, phase, pooled, target, batch):
                break
            if on_round is not None:
                on_round(rounds, buffers.counts())
            rounds += 1
    counts = buffers.counts()
    missing = {t: counts[t] for t in task_types if counts[t] < target}
    if missing:
        raise SeedingError(
            f"seeding stopped after {max_rounds} rounds of {batch} prompts per type with buffers {missing} short "
            f"of the target {target}; raise the round budget, lower the target, or start from a stronger model"
        )
    return counts


MAX_STRIP_CHARS = 1 << 15
"""Programs longer than this are left as they are by `strip_program` (parsing is bounded)."""


def strip_program(code: str) -> str:
    """`code` with comments, docstrings and top-level statements other than imports, functions and classes removed
    (the reference's seeding clean-up); unchanged when it does not parse or is over `MAX_STRIP_CHARS`."""
    import ast

    if len(code) > MAX_STRIP_CHARS:
        return code
    try:
        tree = ast.parse(code)
        kept = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
        tree.body = [node for node in tree.body if isinstance(node, kept)]
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, *kept[2:])):
                while (node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)
                       and isinstance(node.body[0].value.value, str)):  # fmt: skip
                    node.body.pop(0)
                if not node.body and not isinstance(node, ast.Module):
                    node.body.append(ast.Pass())
        return "\n".join(line for line in ast.unparse(tree).splitlines() if line.strip())
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code


def strip_seed_response(response: str) -> str:
    """A program proposal with its program (the first fenced block in the last `<answer>`) put through
    `strip_program`; anything else unchanged."""
    from azr_env.tasks.parsing import answer_section, code_blocks

    answer = answer_section(response) if isinstance(response, str) else None
    blocks = code_blocks(answer) if answer else []
    if not blocks or not blocks[0].strip():
        return response
    stripped = strip_program(blocks[0])
    at = response.rfind(blocks[0])
    return response if stripped == blocks[0] or at < 0 else response[:at] + stripped + response[at + len(blocks[0]):]


class _SeedJudge(TextJudge):
    """The text judge of the seeding stage: program proposals are stripped first (`seed_strip_programs`)."""

    def validate(self, prompts: Sequence[ProposerPrompt], records: Sequence[Any]) -> list[ProposalResult]:
        from azr_env.tasks.program_task import ProgramTaskType
        from azr_env.tasks.registry import get_task_type

        texts = [strip_seed_response(record_text(r)) if isinstance(get_task_type(p.task_type), ProgramTaskType)
                 else record_text(r) for p, r in zip(prompts, records)]  # fmt: skip
        return super().validate(prompts, texts)


def _seed_round(referee: Referee, buffers: BufferSet, propose: ProposeFn, rng: np.random.Generator, judge: Judge,
                task_types: Sequence[str], pooled: Sequence[str], target: int, batch: int) -> bool:
    """One seeding round over the short types of `task_types`; False when none is short (nothing done)."""
    short = {t: batch for t in task_types if len(buffers[t]) < target}
    if any(t in short for t in pooled):
        short |= {t: batch for t in pooled}  # the pool is short while either of its buffers is
    if not short:
        return False
    samplers = Samplers(propose, lambda prompts, n: [])
    _, _, results = propose_and_validate(referee, buffers, samplers, judge, rng, short)
    for result in results:
        if not result.valid or result.task is None:
            continue
        copies = [replace(result.task, task_type=t) for t in pooled] if result.task_type in pooled else [result.task]
        for task in copies:
            if len(buffers[task.task_type]) < target:
                buffers.add(task, -1)
    return True


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
    "PURPOSES", "SHARED_POOL_TYPES", "Judge", "Proposal", "Samplers", "SeedingError", "Solution", "SolverPrompt",
    "StepConfig", "StepPlan", "StepResult", "TextJudge", "admit", "admit_unformatted", "agent_samplers", "answer_only",
    "learnability", "play_step", "propose_and_validate", "record_text", "seed_buffers", "solve_batch", "solve_rates",
    "solver_tasks", "spread_rates", "step_metrics", "strip_program", "strip_seed_response",
]  # fmt: skip
