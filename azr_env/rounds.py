"""The batched round API: one implementation of AZR's semantics that trainers and every env call.

A `Referee` validates a batch of proposals of any task types (all executor jobs of the batch go through one
`Executor.run_many`), builds solver prompts, scores answers (literal answers never reach the executor), and
computes both roles' rewards (SPEC §2–5). `play_round` chains it into one self-play step for trainers:

    with Referee(RoundConfig()) as ref:
        out = ref.play_round(agent, buffers, rng, step=step, batch_per_type=64)
        for sample in out.samples: ...   # role, task_type, prompt, generation, reward

The referee creates its executors lazily (a second one, with another hash seed, only for the hash-seed check)
and closes only the executors it created.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from azr_env import step as step_lib
from azr_env.buffer import BufferSet
from azr_env.errors import ConfigError
from azr_env.rewards import RewardConfig, complexity_score, diversity_score, proposer_reward, solver_reward
from azr_env.step import StepConfig, StepPlan, TextJudge, agent_samplers, answer_only
from azr_env.tasks.base import Job, ParsedAnswer, Pending, Rejection, Task, TaskConfig, Verdict
from azr_env.tasks.registry import AZR_TASK_TYPES, get_task_type
from azr_env.tasks.templates import format_prompt

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RoundConfig:
    """Everything a round needs besides the model: task rules, rewards, rollouts and executor sizes."""

    task: TaskConfig = field(default_factory=TaskConfig)
    """Validation, parsing and prompt options (`azr_env.tasks.TaskConfig`)."""
    rewards: RewardConfig = field(default_factory=RewardConfig)
    """Reward values (`azr_env.rewards.RewardConfig`)."""
    n_rollouts: int = 8
    """N, solver rollouts per valid proposal to estimate its solve rate (reference 8, temperature 1.0)."""
    rollout_temperature: float = 1.0
    """Sampling temperature of the learnability rollouts (reference 1.0)."""
    max_new_tokens: int = 512
    """Longest response, in tokens, that `play_round`, `seed_buffers` and `solve_rates` ask the agent for (the
    trainers pass their own sampler settings). 512 keeps envs and tests quick; the reference samples up to 8096."""
    workers: int = 2
    """Worker processes of an executor the referee creates itself."""
    memory_mb: int = 1024
    """Memory limit per program of an executor the referee creates itself."""
    step: StepConfig = field(default_factory=StepConfig)
    """How the self-play step and the seeding stage play (`azr_env.step.StepConfig`)."""

    def __post_init__(self) -> None:
        if self.n_rollouts < 1:
            raise ConfigError(f"n_rollouts={self.n_rollouts}; must be >= 1")
        if self.workers < 1:
            raise ConfigError(f"workers={self.workers}; must be >= 1")


@dataclass(frozen=True)
class ProposerPrompt:
    """A proposer prompt: `prompt` is complete (wrapped per `prompt_format`), `references` what it shows."""

    task_type: str
    prompt: str
    references: tuple[Task, ...]
    length_unit: str = "characters"
    """What the prompt-length cap counted: "tokens" (the policy's tokenizer, as the reference) or "characters"."""


@dataclass(frozen=True)
class ProposalResult:
    """A validated proposal: `valid` with its `task`, or the rejection `reason` code and `detail`."""

    task_type: str
    format_ok: bool
    valid: bool
    task: Task | None
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class SolveResult:
    """A scored solver response. `format_ok` is False for bad format and for answers that could not be read."""

    task: Task
    format_ok: bool
    correct: bool
    reward: float
    parsed_answer: str | None
    reason: str
    detail: str = ""


@dataclass
class Sample:
    """One training sample of `play_round`: `generation` is the agent's object (token ids, log-probs)."""

    role: str
    task_type: str
    prompt: str
    generation: Any
    reward: float
    info: dict[str, Any]


@dataclass
class RoundOutput:
    samples: list[Sample]
    proposals: list[ProposalResult]
    solves: list[SolveResult]
    metrics: dict[str, float]


class Referee:
    """Validates, scores and rewards batches with shared, lazily created executors. Close it when done.

    Args:
        config: the round configuration.
        executor: an `azr_env.executor.Executor` to use (not closed by the referee); None creates one.
        hash_executor: the second executor for the hash-seed check (PYTHONHASHSEED differs); None creates one.
        tokenizer: the policy's tokenizer: proposer prompts are capped at `max_prompt_tokens` of it, as the
            reference does; None caps `max_prompt_chars` characters instead (`prompt_length.unit` says which).
    """

    def __init__(self, config: RoundConfig | None = None, executor: Any = None, hash_executor: Any = None,
                 tokenizer: Any = None):  # fmt: skip
        from azr_env.tokens import PromptLength

        self.config = config or RoundConfig()
        self.prompt_length = PromptLength(tokenizer)
        self._executor, self._hash_executor = executor, hash_executor
        self._owned: list[Any] = []
        self.executor_calls = 0  # run_many calls made (for benchmarks and tests)
        self.executor_programs = 0  # programs those calls ran: one sandboxed process each
        self.executor_seconds = 0.0  # wall time spent waiting for them

    # ---- executors -----------------------------------------------------------------------------------------
    @property
    def executor(self) -> Any:
        if self._executor is None:
            from azr_env.executor import Executor

            timeout = self.config.task.timeout_s or 10.0
            self._executor = Executor(self.config.workers, timeout, self.config.memory_mb)
            self._owned.append(self._executor)
        return self._executor

    @property
    def hash_executor(self) -> Any:
        if self._hash_executor is None:
            from azr_env.executor import Executor

            seed = (getattr(self.executor, "hash_seed", 0) + 1) % 2**32
            timeout = self.config.task.timeout_s or 10.0
            self._hash_executor = Executor(self.config.workers, timeout, self.config.memory_mb, hash_seed=seed)
            self._owned.append(self._hash_executor)
        return self._hash_executor

    def close(self) -> None:
        for executor in self._owned:
            executor.close()
        self._owned.clear()
        self._executor = self._hash_executor = None

    def __enter__(self) -> Referee:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run_jobs(self, jobs: list[Job], executor: Any, *, rerun_follows: bool = False) -> list[Any]:
        """Run jobs in at most two `run_many` calls (with and without the determinism check); order kept.

        `rerun_follows`: the survivors will run again in another process anyway (the hash-seed re-run, whose
        outputs are compared with these), so the determinism check stays in the child ("in_child") instead of
        costing the executor's own second process: one process fewer per validated program, same guarantee."""
        results: list[Any] = [None] * len(jobs)
        for flag in (True, False):
            index = [i for i, job in enumerate(jobs) if job.check_determinism == flag]
            if index:
                mode: bool | str = "in_child" if flag and rerun_follows else flag
                self.executor_calls += 1
                self.executor_programs += len(index) * (2 if mode is True else 1)
                start = time.perf_counter()
                out = executor.run_many(
                    [(jobs[i].program, jobs[i].expression) for i in index],
                    timeout_s=self.config.task.timeout_s,
                    check_determinism=mode,
                )
                self.executor_seconds += time.perf_counter() - start
                for i, result in zip(index, out):
                    results[i] = result
        return results

    def _resolve(self, items: list[Any], on_error: Callable[[Exception], Any], executor: Any = None, *,
                 rerun_follows: bool = False) -> list[Any]:
        """Replace every `Pending` by its finished value, batching all jobs of a pass into one executor call."""
        items = list(items)
        while True:
            pending = [i for i, item in enumerate(items) if isinstance(item, Pending)]
            if not pending:
                return items
            jobs = [job for i in pending for job in items[i].jobs]
            results = self._run_jobs(jobs, executor or self.executor, rerun_follows=rerun_follows)
            offset = 0
            for i in pending:
                count = len(items[i].jobs)
                try:
                    items[i] = items[i].finish(results[offset : offset + count])
                except Exception as exc:  # a bug in a task type must not take the batch down
                    log.exception("task type finish() failed")
                    items[i] = on_error(exc)
                offset += count

    # ---- proposer side -------------------------------------------------------------------------------------
    def proposer_prompt(self, buffers: BufferSet, task_type: str, rng: np.random.Generator) -> ProposerPrompt:
        """One proposer prompt with K references drawn from `buffers`, re-drawn while over the cap (SPEC §5):
        `max_prompt_tokens` tokens with a tokenizer, else `max_prompt_chars` characters."""
        from azr_env.tokens import prompt_cap

        kind = get_task_type(task_type)
        cfg = self.config.task
        refs, prompt = buffers.draw_references(
            kind.reference_types,
            kind.num_references(cfg),
            rng,
            lambda rs: format_prompt(kind.proposer_prompt(rs, cfg), cfg.prompt_format, cfg.template_dir),
            max_chars=prompt_cap(cfg, self.prompt_length),
            measure=self.prompt_length,
        )
        return ProposerPrompt(kind.name, prompt, tuple(refs), length_unit=self.prompt_length.unit)

    def proposer_prompts(
        self, buffers: BufferSet, counts: Mapping[str, int], rng: np.random.Generator
    ) -> list[ProposerPrompt]:
        """`counts[task_type]` prompts per type, types in the mapping's order."""
        return [self.proposer_prompt(buffers, t, rng) for t, n in counts.items() for _ in range(n)]

    def validate(
        self, proposals: Sequence[tuple[str, str, Sequence[Task]]], *, hash_seed_check: bool | None = None,
        trusted_source: bool = False,
    ) -> list[ProposalResult]:
        """Validate (task_type, response, references) triples of any types together (SPEC §3).

        One executor pass runs every proposal's program; a second, on the other-seed executor, re-runs the
        survivors when `hash_seed_check` (default: the config's) is on. Never raises for anything in the
        responses. `trusted_source`: the programs come from azr_env's own generator, not a model, so the
        determinism check stays in the child (no second process against a program trying to fool it).
        """
        cfg = self.config.task
        kinds = [get_task_type(t) for t, _, _ in proposals]
        staged: list[Any] = []
        for kind, (_, response, refs) in zip(kinds, proposals):
            try:
                staged.append(kind.propose(response if isinstance(response, str) else "", list(refs), cfg))
            except Exception as exc:
                log.exception("task type propose() failed")
                staged.append(Rejection("internal_error", repr(exc)[:300]))
        hash_check = cfg.hash_seed_check if hash_seed_check is None else hash_seed_check
        staged = self._resolve(staged, lambda exc: Rejection("internal_error", repr(exc)[:300]),
                               rerun_follows=hash_check or trusted_source)  # fmt: skip
        if hash_check:
            staged = self._hash_check(kinds, staged)
        out = []
        for kind, item in zip(kinds, staged):
            if isinstance(item, Task):
                out.append(ProposalResult(kind.name, True, True, item, "valid"))
            else:
                out.append(
                    ProposalResult(kind.name, item.reason != "bad_format", False, None, item.reason, item.detail)
                )
        return out

    def _hash_check(self, kinds: list[Any], staged: list[Any]) -> list[Any]:
        cfg = self.config.task
        tasks = [(i, item) for i, item in enumerate(staged) if isinstance(item, Task)]
        if not tasks:
            return staged
        jobs_per = [kinds[i].recheck_jobs(task, cfg) for i, task in tasks]
        results = self._run_jobs([job for jobs in jobs_per for job in jobs], self.hash_executor)
        offset = 0
        for (i, task), jobs in zip(tasks, jobs_per):
            if not kinds[i].recheck_matches(task, results[offset : offset + len(jobs)], cfg):
                staged[i] = Rejection("hash_seed_dependent", "an output changed under another PYTHONHASHSEED")
            offset += len(jobs)
        return staged

    # ---- solver side ---------------------------------------------------------------------------------------
    def solver_prompt(self, task: Task) -> str:
        """The complete solver prompt for `task` (wrapped per `prompt_format`)."""
        cfg = self.config.task
        return format_prompt(get_task_type(task.task_type).solver_prompt(task, cfg), cfg.prompt_format,
                             cfg.template_dir)  # fmt: skip

    def score(self, tasks: Sequence[Task], responses: Sequence[str], *, mode: str = "train",
              purpose: str = "train") -> list[SolveResult]:  # fmt: skip
        """Score solver responses against their tasks (SPEC §2, §4); identical (task, answer) pairs run once.

        `purpose` says why: a training sample ("train") or a learnability rollout ("rollout"), which is scored
        on its answer alone unless `config.step.rollout_format_check` (reference: no format check there).
        """
        if len(tasks) != len(responses):
            raise ConfigError(f"score: {len(tasks)} tasks but {len(responses)} responses; pass one per task")
        cfg = self.config.task
        parsed: list[ParsedAnswer] = []
        unique: dict[tuple, int] = {}
        staged: list[Any] = []
        slots: list[int | None] = []
        if purpose == "rollout" and not self.config.step.rollout_format_check:
            # reference: rollouts are read on the answer alone; over-long responses keep failing the cap first
            responses = [answer_only(r) if isinstance(r, str) and len(r) <= cfg.max_response_chars else r
                         for r in responses]  # fmt: skip
        for task, response in zip(tasks, responses):
            kind = get_task_type(task.task_type)
            answer = kind.parse_answer(response if isinstance(response, str) else "", cfg)
            parsed.append(answer)
            if answer.answer is None:
                slots.append(None)
                continue
            key = (task.key(), answer.answer)
            if key not in unique:
                unique[key] = len(staged)
                try:
                    staged.append(kind.check(task, answer.answer, cfg))
                except Exception as exc:
                    log.exception("task type check() failed")
                    staged.append(Verdict(False, "internal_error", repr(exc)[:300]))
            slots.append(unique[key])
        verdicts = self._resolve(staged, lambda exc: Verdict(False, "internal_error", repr(exc)[:300]))
        out = []
        for task, answer, slot in zip(tasks, parsed, slots):
            if slot is None:
                reward = solver_reward(False, False, mode=mode, config=self.config.rewards)
                out.append(SolveResult(task, False, False, reward, None, answer.reason, answer.detail))
                continue
            verdict = verdicts[slot]
            reward = solver_reward(True, verdict.correct, mode=mode, config=self.config.rewards)
            out.append(SolveResult(task, True, verdict.correct, reward, answer.answer, verdict.reason, verdict.detail))
        return out

    def solve_rates(self, tasks: Sequence[Task], solver: Any, *, n: int | None = None) -> list[float]:
        """p per task from `n` (default `n_rollouts`) solver rollouts; `solver` is an Agent or a callable."""
        samplers = agent_samplers(solver, temperature=self.config.rollout_temperature,
                                  max_new_tokens=self.config.max_new_tokens)  # fmt: skip
        return step_lib.learnability(self, samplers, TextJudge(self), tasks, n or self.config.n_rollouts)[0]

    def proposer_rewards(self, results: Sequence[ProposalResult], rates: Sequence[float | None],
                         references: Sequence[Sequence[Task]] | None = None) -> list[float]:  # fmt: skip
        """SPEC §4 proposer reward per proposal (`rates[i]` None: validity only).

        The optional diversity (against the proposal's `references`) and complexity terms of `rewards.py` are
        computed only when their weight in `config.rewards` is above zero.
        """
        cfg = self.config.rewards
        refs = references if references is not None else [()] * len(results)
        out = []
        for r, p, shown in zip(results, rates, refs):
            program = r.task.program if r.valid and r.task is not None else ""
            use_diversity = program and cfg.diversity_weight > 0
            diversity = diversity_score(program, [t.program for t in shown]) if use_diversity else 0.0
            complexity = complexity_score(program) if program and cfg.complexity_weight > 0 else 0.0
            out.append(proposer_reward(r.valid, p, diversity=diversity, complexity=complexity, config=cfg))
        return out

    # ---- seeding stage and one self-play step (azr_env.step) ---------------------------------------------------
    def seed_buffers(
        self,
        agent: Any,
        buffers: BufferSet,
        rng: np.random.Generator,
        *,
        target: int = 256,
        task_types: Sequence[str] = AZR_TASK_TYPES,
        batch: int = 64,
        max_batches: int = 100,
        **generate_kwargs: Any,
    ) -> dict[str, int]:
        """SPEC §5 seeding stage (`azr_env.step.seed_buffers`) with an Agent or callable proposing.

        Tasks are added at step -1 (before training), never beyond `target`. Returns the final counts; raises
        `SeedingError` (a ConfigError) when `max_batches` batches of `batch` prompts per type leave a buffer short.
        """
        generate_kwargs.setdefault("max_new_tokens", self.config.max_new_tokens)
        samplers = agent_samplers(agent, **generate_kwargs)
        return step_lib.seed_buffers(self, buffers, samplers.propose, rng, target=target, task_types=task_types,
                                     batch=batch, max_rounds=max_batches)  # fmt: skip

    def play_round(
        self,
        agent: Any,
        buffers: BufferSet,
        rng: np.random.Generator,
        *,
        step: int,
        batch_per_type: int = 64,
        task_types: Sequence[str] = AZR_TASK_TYPES,
        **generate_kwargs: Any,
    ) -> RoundOutput:
        """One AZR step (`azr_env.step.play_step`) with an Agent or callable: propose, validate, add to buffers,
        estimate learnability, solve, reward (SPEC §4–5).

        Returns a proposer sample per proposal and a solver sample per solver-batch task; the learnability
        rollouts are not samples. `generate_kwargs` (temperature, max_new_tokens, ...) go to `agent.generate`;
        the rollouts use the config's `rollout_temperature`.
        """
        generate_kwargs.setdefault("max_new_tokens", self.config.max_new_tokens)
        rollout_kwargs = {"temperature": self.config.rollout_temperature,
                          "max_new_tokens": self.config.max_new_tokens}  # fmt: skip
        samplers = agent_samplers(agent, rollout_kwargs=rollout_kwargs, **generate_kwargs)
        plan = StepPlan(tuple(task_types), batch_per_type)
        result = step_lib.play_step(self, buffers, samplers, rng, step=step, plan=plan)
        samples = [Sample("propose", p.prompt.task_type, p.prompt.prompt, p.record, p.reward,
                          {"reason": p.result.reason, "solve_rate": p.solve_rate}) for p in result.proposals]
        samples += [Sample("solve", s.prompt.task_type, s.prompt.prompt, s.record, s.reward,
                           {"reason": s.result.reason, "correct": s.result.correct}) for s in result.solutions]
        return RoundOutput(samples, [p.result for p in result.proposals], [s.result for s in result.solutions],
                           result.metrics)  # fmt: skip
