"""AZR rewards as pure functions of verdicts and solve rates (SPEC §4). Nothing here runs code.

Solver: 1 correct, −0.5 well formatted but wrong, −1 badly formatted or no answer (training); 1/0 in
evaluation. Proposer: for a valid task, learnability `1 − p` from the solver's solve rate p over N rollouts
(0 when p is 0 or 1); a valid task with zero learnability gets `zero_learnability_reward` (reference code
−0.5; the paper's equations give 0); an invalid or badly formatted proposal gets −1.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from azr_env.errors import ConfigError

MODES = ("train", "eval")


@dataclass(frozen=True)
class RewardConfig:
    """Reward values; defaults are the reference code's."""

    correct: float = 1.0
    """Solver answer correct (SPEC §4)."""
    wrong: float = -0.5
    """Solver answer well formatted but wrong."""
    bad_format: float = -1.0
    """Solver response badly formatted, or no answer could be read from it."""
    invalid: float = -1.0
    """Proposal badly formatted or not a valid task."""
    zero_learnability_reward: float = -0.5
    """Valid task that the solver always or never solves: reference code −0.5, the paper's equations 0."""
    validity_only_reward: float = 1.0
    """Valid task when no solver is available to estimate learnability (proposer envs without `solver=`)."""
    diversity_weight: float = 0.0
    """Weight of `diversity_score` in the proposer reward (reference: present with weight 0, so off)."""
    complexity_weight: float = 0.0
    """Weight of `complexity_score` in the proposer reward (reference: present with weight 0, so off)."""

    def __post_init__(self) -> None:
        if self.diversity_weight < 0 or self.complexity_weight < 0:
            raise ConfigError(
                f"diversity_weight={self.diversity_weight} and complexity_weight={self.complexity_weight} must be >= 0"
            )


DEFAULT_REWARDS = RewardConfig()


def solver_reward(
    format_ok: bool, correct: bool, *, mode: str = "train", config: RewardConfig = DEFAULT_REWARDS
) -> float:
    """SPEC §4 solver reward. `format_ok=False` covers unparsable answers; `mode="eval"` gives 1/0."""
    if mode not in MODES:
        raise ConfigError(f"mode={mode!r}; choose one of {MODES}")
    if mode == "eval":
        return 1.0 if (format_ok and correct) else 0.0
    if not format_ok:
        return config.bad_format
    return config.correct if correct else config.wrong


def solve_rate(correct: Sequence[bool]) -> float:
    """Fraction of correct rollouts, p in SPEC §4; raises for an empty sequence (p is undefined)."""
    if not len(correct):
        raise ConfigError("solve_rate of zero rollouts is undefined; pass at least one verdict")
    return sum(bool(c) for c in correct) / len(correct)


def learnability(p: float) -> float:
    """`1 − p` for 0 < p < 1, else 0: tasks always or never solved teach nothing (SPEC §4)."""
    if not 0.0 <= p <= 1.0:
        raise ConfigError(f"solve rate p={p} must lie in [0, 1]")
    return 1.0 - p if 0.0 < p < 1.0 else 0.0


def proposer_reward(
    valid: bool,
    p: float | None = None,
    *,
    diversity: float = 0.0,
    complexity: float = 0.0,
    config: RewardConfig = DEFAULT_REWARDS,
) -> float:
    """SPEC §4 proposer reward for one proposal.

    Args:
        valid: the proposal was well formatted and passed every validation rule.
        p: the solver's solve rate on the task, or None when no solver rollouts exist (validity-only reward).
        diversity, complexity: optional terms in [0, 1], added with their (default zero) weights.
    """
    if not valid:
        return config.invalid
    extra = config.diversity_weight * diversity + config.complexity_weight * complexity
    if p is None:
        return config.validity_only_reward + extra
    r = learnability(p)
    return (r if r > 0 else config.zero_learnability_reward) + extra


def _node_counts(program: str) -> Counter:
    try:
        return Counter(type(node).__name__ for node in ast.walk(ast.parse(program)))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return Counter()


def complexity_score(program: str, *, scale: int = 200) -> float:
    """Program size as AST nodes over `scale`, capped at 1 (optional proposer term)."""
    return min(1.0, sum(_node_counts(program).values()) / scale)


def diversity_score(program: str, references: Sequence[str]) -> float:
    """1 − the largest multiset Jaccard similarity of AST node types to any reference (1 without references)."""
    mine = _node_counts(program)
    best = 0.0
    for other in map(_node_counts, references):
        union = sum((mine | other).values())
        if union:
            best = max(best, sum((mine & other).values()) / union)
    return 1.0 - best
