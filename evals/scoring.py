"""Score stage dispatcher: samples of one benchmark -> verdicts, with the scorer of its family.

`Scorers` owns the expensive shared pieces (one executor for code, one math-verify worker pool, one env
Referee for CRUXEval), created on first use and closed together.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from azr_evals.registry import BenchmarkSpec
from azr_evals.score.evalplus_score import EvalPlusConfig
from azr_evals.score.lcb_score import LCBConfig
from azr_evals.types import Completion, Grade, Problem

from azr_env.errors import ConfigError


@dataclass
class ScoringConfig:
    """Attributes:
    workers: parallel sandboxed executions / math-verify workers (default 2).
    memory_mb: memory limit per executed program (evalplus's default, 4 GB).
    math_timeout_s: wall-clock limit of one symbolic math check.
    prompt_format: needed by CRUXEval's Referee ("r1" | "raw" | "chat").
    """

    workers: int = 2
    memory_mb: int = 4096
    math_timeout_s: float = 10.0
    prompt_format: str = "r1"
    evalplus: EvalPlusConfig = field(default_factory=EvalPlusConfig)
    lcb: LCBConfig = field(default_factory=LCBConfig)
    progress: bool = True
    reference_cache: bool = True


class Scorers:
    """Lazily built scoring resources; use as a context manager."""

    def __init__(self, config: ScoringConfig | None = None) -> None:
        self.config = config or ScoringConfig()
        self._executor: Any = None
        self._math: Any = None
        self._referee: Any = None

    def __enter__(self) -> Scorers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        for thing in (self._referee, self._math, self._executor):
            if thing is not None:
                thing.close()
        self._executor = self._math = self._referee = None

    @property
    def executor(self) -> Any:
        if self._executor is None:
            from azr_evals.score.execution import make_executor

            self._executor = make_executor(self.config.workers, self.config.memory_mb)
        return self._executor

    @property
    def math(self) -> Any:
        if self._math is None:
            from azr_evals.score.math_grader import MathGrader

            self._math = MathGrader(self.config.workers, self.config.math_timeout_s)
        return self._math

    @property
    def referee(self) -> Any:
        if self._referee is None:
            from azr_evals.score.cruxeval_score import referee

            fmt = "r1" if self.config.prompt_format == "r1" else "raw"
            self._referee = referee(fmt, workers=self.config.workers)
        return self._referee

    def score(self, spec: BenchmarkSpec, problems: list[Problem], samples: list[Completion]) -> list[Grade]:
        """One verdict per sample (same order)."""
        by_id = {p.problem_id: p for p in problems}
        missing = [s.problem_id for s in samples if s.problem_id not in by_id]
        if missing:
            raise ConfigError(f"{spec.name}: samples for unknown problems {missing[:3]}; wrong benchmark or data?")
        pairs = [(by_id[s.problem_id], s.response) for s in samples]
        if not pairs:
            return []
        progress = self.config.progress
        if spec.family == "evalplus":
            from azr_evals.score import evalplus_score as ep

            programs = [(p, ep.solution_from_response(p, r)) for p, r in pairs]
            return ep.score(programs, self.executor, self.config.evalplus, cache=self.config.reference_cache,
                            progress=progress)
        if spec.family == "livecodebench":
            from azr_evals.score import lcb_score

            return lcb_score.score(pairs, self.executor, self.config.lcb, progress=progress)
        if spec.family == "math":
            return self.math.grade_many([(p.answer, r) for p, r in pairs])
        if spec.family == "cruxeval":
            from azr_evals.score import cruxeval_score

            return cruxeval_score.score(pairs, self.referee)
        raise ConfigError(f"no scorer for family {spec.family!r}")
