"""pass@k with the unbiased estimator of Chen et al. 2021 (HumanEval paper): for a problem with n samples of
which c are correct, pass@k = 1 - C(n-c, k) / C(n, k), averaged over problems. With n = 1 it is plain accuracy
(the paper preset: greedy, one sample)."""

from __future__ import annotations

from collections.abc import Sequence

from azr_env.errors import ConfigError


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k of one problem; computed as a product, so it is exact for large n."""
    if not 0 <= c <= n or k < 1:
        raise ConfigError(f"pass_at_k needs 0 <= c <= n and k >= 1, got n={n} c={c} k={k}")
    if k > n:
        raise ConfigError(f"pass@{k} needs at least {k} samples per problem, got n={n}: raise --n or lower k")
    if n - c < k:
        return 1.0
    prob_all_wrong = 1.0
    for i in range(n - c + 1, n + 1):
        prob_all_wrong *= 1.0 - k / i
    return 1.0 - prob_all_wrong


def mean_pass_at_k(counts: Sequence[tuple[int, int]], k: int) -> float:
    """Mean pass@k over problems given (n, c) per problem; 0.0 for no problems."""
    if not counts:
        return 0.0
    return sum(pass_at_k(n, c, k) for n, c in counts) / len(counts)


def default_ks(n: int) -> list[int]:
    """The k values reported for n samples per problem: 1, 5, 10, ... up to n."""
    return [k for k in (1, 5, 10, 25, 50, 100) if k <= n] or [1]
