"""Task-Relative REINFORCE++ (TRR++) advantages and the PPO-clipped policy loss (SPEC.md §6).

Everything here is a pure tensor function so it can be unit-tested by hand and reused by other trainers.
Shapes: `B` samples (responses), `T` response tokens (right-padded); `response_mask[b, t]` is 1 for real
response tokens. Rewards are one scalar per sample.

REINFORCE++ as the reference code computes it: the scalar reward sits on the last response token, returns are
reverse cumulative sums with gamma = 1 (so every response token of a sample gets the sample's reward), and the
returns are whitened: `(x - mean) / sqrt(var + 1e-8)` with mean and (unbiased) variance taken over response
*tokens*, so longer responses weigh more. TRR++ whitens separately within each of the 6 groups
{propose, solve} x {deduction, abduction, induction} instead of over the whole batch.

Deliberate choice: a group whose returns are all equal (including a single sample, or a single token) carries no
learning signal and gets advantage exactly 0 (the reference divides ~0 by sqrt(1e-8) and gets float noise).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from azr_env.errors import ConfigError

ESTIMATORS = ("trr++", "reinforce++", "grpo")
WHITEN_EPS = 1e-8


def _check(rewards: torch.Tensor, response_mask: torch.Tensor) -> None:
    if rewards.dim() != 1 or response_mask.dim() != 2 or rewards.shape[0] != response_mask.shape[0]:
        raise ConfigError(
            f"rewards must be [B] and response_mask [B, T] with the same B; got {tuple(rewards.shape)} and "
            f"{tuple(response_mask.shape)}"
        )


def outcome_returns(rewards: torch.Tensor, response_mask: torch.Tensor, gamma: float = 1.0) -> torch.Tensor:
    """Token-level returns with the reward on each sample's last response token ([B] -> [B, T])."""
    _check(rewards, response_mask)
    mask = response_mask.to(torch.float32)
    n_tokens = mask.sum(dim=1)
    # Position (counted backwards from the last response token) of every response token.
    steps_to_end = (n_tokens[:, None] - mask.cumsum(dim=1)) * mask
    return rewards.to(torch.float32)[:, None] * (gamma**steps_to_end) * mask


def masked_whiten(values: torch.Tensor, mask: torch.Tensor, eps: float = WHITEN_EPS) -> torch.Tensor:
    """Whiten `values` over the entries where `mask` is 1 (unbiased variance); 0 if they are all equal."""
    m = mask.to(torch.float32)
    count = m.sum()
    if count < 2:
        return torch.zeros_like(values, dtype=torch.float32)
    mean = (values * m).sum() / count
    centered = (values - mean) * m
    var = (centered**2).sum() / (count - 1)
    spread = values[m.bool()]
    if bool((spread == spread[0]).all()):
        return torch.zeros_like(values, dtype=torch.float32)
    return centered * torch.rsqrt(var + eps)


def reinforce_plus_plus_advantages(rewards: torch.Tensor, response_mask: torch.Tensor) -> torch.Tensor:
    """Global REINFORCE++: returns whitened over the whole batch (the ablation TRR++ improves on)."""
    return masked_whiten(outcome_returns(rewards, response_mask), response_mask)


def trr_plus_plus_advantages(
    rewards: torch.Tensor,
    response_mask: torch.Tensor,
    task_types: Sequence[str],
    roles: Sequence[str],
) -> torch.Tensor:
    """TRR++: REINFORCE++ returns whitened separately within each (task_type, role) group.

    Args:
        rewards: [B] scalar reward per sample.
        response_mask: [B, T] 1 on response tokens.
        task_types: per sample, e.g. "deduction" / "abduction" / "induction" (any hashable labels work).
        roles: per sample, "propose" or "solve".

    Returns:
        [B, T] float32 advantages, 0 outside the response mask.
    """
    _check(rewards, response_mask)
    if len(task_types) != rewards.shape[0] or len(roles) != rewards.shape[0]:
        raise ConfigError(
            f"need one task_type and one role per sample: B={rewards.shape[0]}, "
            f"len(task_types)={len(task_types)}, len(roles)={len(roles)}"
        )
    returns = outcome_returns(rewards, response_mask)
    advantages = torch.zeros_like(returns)
    keys = list(zip(task_types, roles))
    for key in dict.fromkeys(keys):
        rows = torch.tensor([k == key for k in keys])
        advantages[rows] = masked_whiten(returns[rows], response_mask[rows])
    return advantages


def grpo_advantages(
    rewards: torch.Tensor,
    response_mask: torch.Tensor,
    group_ids: Sequence[object],
    *,
    scale_by_std: bool = True,
    eps: float = 1e-6,
) -> torch.Tensor:
    """GRPO-style: per-sample `(r - mean) / (std + eps)` within samples sharing a group id (usually a prompt).

    A group of one sample gets advantage 0 (there is no baseline). `scale_by_std=False` gives the
    mean-centred variant (Dr. GRPO). The advantage is broadcast to every response token.
    """
    _check(rewards, response_mask)
    if len(group_ids) != rewards.shape[0]:
        raise ConfigError(f"need one group id per sample: B={rewards.shape[0]}, got {len(group_ids)}")
    r = rewards.to(torch.float32)
    scores = torch.zeros_like(r)
    for gid in dict.fromkeys(group_ids):
        rows = torch.tensor([g == gid for g in group_ids])
        group = r[rows]
        if group.numel() < 2:
            continue
        centered = group - group.mean()
        scores[rows] = centered / (group.std() + eps) if scale_by_std else centered
    return scores[:, None] * response_mask.to(torch.float32)


def compute_advantages(
    estimator: str,
    rewards: torch.Tensor,
    response_mask: torch.Tensor,
    *,
    task_types: Sequence[str] | None = None,
    roles: Sequence[str] | None = None,
    group_ids: Sequence[object] | None = None,
) -> torch.Tensor:
    """Dispatch on `estimator` in ESTIMATORS ("trr++" default in the trainer, as in the paper)."""
    if estimator == "trr++":
        if task_types is None or roles is None:
            raise ConfigError("estimator 'trr++' needs task_types and roles per sample")
        return trr_plus_plus_advantages(rewards, response_mask, task_types, roles)
    if estimator == "reinforce++":
        return reinforce_plus_plus_advantages(rewards, response_mask)
    if estimator == "grpo":
        if group_ids is None:
            raise ConfigError("estimator 'grpo' needs group_ids (e.g. the prompt index) per sample")
        return grpo_advantages(rewards, response_mask, group_ids)
    raise ConfigError(f"unknown advantage estimator {estimator!r}; known: {', '.join(ESTIMATORS)}")


def masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over entries where mask is 1 (0 if the mask is empty)."""
    m = mask.to(values.dtype)
    return (values * m).sum() / m.sum().clamp(min=1)


def ppo_clipped_policy_loss(
    logprobs: torch.Tensor,
    old_logprobs: torch.Tensor,
    advantages: torch.Tensor,
    response_mask: torch.Tensor,
    *,
    clip_eps: float = 0.2,
    clip_eps_high: float | None = None,
) -> tuple[torch.Tensor, dict[str, float]]:
    """PPO-clipped surrogate, averaged over response tokens of the mini-batch (SPEC §6: clip 0.2).

    loss = mean_t max(-A_t * ratio_t, -A_t * clip(ratio_t, 1 - eps, 1 + eps_high)), ratio = exp(logp - old_logp).
    Returns the loss (a differentiable scalar) and float stats: `clipfrac` (share of tokens where the clipped
    term was chosen) and `approx_kl` (mean of old - new log-prob).
    """
    if not logprobs.shape == old_logprobs.shape == advantages.shape == response_mask.shape:
        raise ConfigError(
            "logprobs, old_logprobs, advantages and response_mask must have one shape; got "
            f"{tuple(logprobs.shape)}, {tuple(old_logprobs.shape)}, {tuple(advantages.shape)}, "
            f"{tuple(response_mask.shape)}"
        )
    high = clip_eps if clip_eps_high is None else clip_eps_high
    log_ratio = logprobs - old_logprobs
    ratio = torch.exp(log_ratio)
    unclipped = -advantages * ratio
    clipped = -advantages * torch.clamp(ratio, 1.0 - clip_eps, 1.0 + high)
    loss = masked_mean(torch.maximum(unclipped, clipped), response_mask)
    with torch.no_grad():
        clipfrac = masked_mean((clipped > unclipped).float(), response_mask).item()
        approx_kl = masked_mean(-log_ratio, response_mask).item()
    return loss, {"clipfrac": clipfrac, "approx_kl": approx_kl}


def entropy_from_logits(logits: torch.Tensor) -> torch.Tensor:
    """Per-position entropy of the categorical distribution given by `logits` ([..., V] -> [...])."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    return -(logp.exp() * logp).sum(dim=-1)
