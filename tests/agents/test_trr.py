"""Hand-computed checks of the TRR++ advantages and the PPO-clipped loss (agents/trr.py)."""

import math

import pytest
import torch
from azr_agents.trr import (
    compute_advantages,
    entropy_from_logits,
    grpo_advantages,
    masked_whiten,
    outcome_returns,
    ppo_clipped_policy_loss,
    reinforce_plus_plus_advantages,
    trr_plus_plus_advantages,
)

from azr_env.errors import ConfigError


def test_returns_put_reward_on_every_response_token_with_gamma_one():
    mask = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0]])
    r = outcome_returns(torch.tensor([2.0, -1.0]), mask)
    assert r.tolist() == [[2, 2, 2, 0], [-1, 0, 0, 0]]
    discounted = outcome_returns(torch.tensor([1.0, 1.0]), mask, gamma=0.5)
    assert discounted.tolist() == [[0.25, 0.5, 1.0, 0], [1.0, 0, 0, 0]]


def test_whitening_is_over_tokens_with_unbiased_variance():
    # Sample A: 1 token with reward 1; sample B: 3 tokens with reward 0 -> token values [1, 0, 0, 0].
    mask = torch.tensor([[1, 0, 0], [1, 1, 1]])
    adv = reinforce_plus_plus_advantages(torch.tensor([1.0, 0.0]), mask)
    mean, var = 0.25, (0.75**2 + 3 * 0.25**2) / 3  # unbiased: divide by 4 - 1
    std = math.sqrt(var + 1e-8)
    expected = [[0.75 / std, 0, 0], [-0.25 / std] * 3]
    assert torch.allclose(adv, torch.tensor(expected), atol=1e-6)
    assert mean == pytest.approx(0.25)


def test_trr_whitens_each_group_separately():
    mask = torch.ones(6, 2)
    rewards = torch.tensor([1.0, -1.0, 0.5, 0.5, 3.0, 1.0])
    types = ["deduction", "deduction", "abduction", "abduction", "induction", "induction"]
    roles = ["solve", "solve", "solve", "propose", "propose", "propose"]
    adv = trr_plus_plus_advantages(rewards, mask, types, roles)
    # deduction/solve: tokens [1,1,-1,-1], mean 0, unbiased var 4/3.
    a = 1 / math.sqrt(4 / 3 + 1e-8)
    assert torch.allclose(adv[0], torch.tensor([a, a]), atol=1e-6)
    assert torch.allclose(adv[1], torch.tensor([-a, -a]), atol=1e-6)
    # abduction/solve and abduction/propose are two groups of size 1: no signal.
    assert adv[2].tolist() == [0, 0] and adv[3].tolist() == [0, 0]
    # induction/propose: [3,3,1,1] -> mean 2, var 4/3: same magnitudes as deduction.
    assert torch.allclose(adv[4], torch.tensor([a, a]), atol=1e-6)
    assert torch.allclose(adv[5], torch.tensor([-a, -a]), atol=1e-6)
    # The global variant mixes the groups and gives a different answer.
    assert not torch.allclose(adv, reinforce_plus_plus_advantages(rewards, mask))


def test_all_equal_rewards_and_size_one_groups_give_exact_zero():
    mask = torch.tensor([[1, 1, 0], [1, 0, 0], [1, 1, 1]])
    adv = trr_plus_plus_advantages(torch.tensor([0.7, 0.7, 0.7]), mask, ["a"] * 3, ["solve"] * 3)
    assert adv.abs().sum().item() == 0
    single = trr_plus_plus_advantages(torch.tensor([5.0]), torch.tensor([[1, 0]]), ["a"], ["propose"])
    assert single.tolist() == [[0, 0]]
    assert masked_whiten(torch.tensor([[3.0]]), torch.tensor([[1]])).tolist() == [[0]]


def test_padding_gets_zero_advantage():
    mask = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])
    adv = trr_plus_plus_advantages(torch.tensor([1.0, 0.0]), mask, ["t", "t"], ["solve", "solve"])
    assert adv[0, 2:].tolist() == [0, 0]


def test_grpo_groups_by_prompt():
    mask = torch.ones(5, 1)
    adv = grpo_advantages(torch.tensor([1.0, 0.0, 1.0, 2.0, 9.0]), mask, [0, 0, 1, 1, 2])
    s = math.sqrt(0.5)  # std of [1, 0] (unbiased)
    assert torch.allclose(adv[:, 0], torch.tensor([0.5 / s, -0.5 / s, -0.5 / s, 0.5 / s, 0.0]), atol=1e-4)
    centred = grpo_advantages(torch.tensor([1.0, 0.0]), torch.ones(2, 1), [0, 0], scale_by_std=False)
    assert centred[:, 0].tolist() == [0.5, -0.5]


def test_compute_advantages_dispatch_and_errors():
    mask = torch.ones(2, 1)
    r = torch.tensor([1.0, 0.0])
    assert torch.equal(
        compute_advantages("trr++", r, mask, task_types=["a", "a"], roles=["s", "s"]),
        trr_plus_plus_advantages(r, mask, ["a", "a"], ["s", "s"]),
    )
    with pytest.raises(ConfigError, match="known"):
        compute_advantages("ppo", r, mask)
    with pytest.raises(ConfigError, match="task_types"):
        compute_advantages("trr++", r, mask)
    with pytest.raises(ConfigError, match="one task_type"):
        trr_plus_plus_advantages(r, mask, ["a"], ["s"])


def test_ppo_loss_hand_computed_and_clipped():
    old = torch.log(torch.tensor([[0.5, 0.5]]))
    new = torch.log(torch.tensor([[0.75, 0.25]]))  # ratios 1.5 and 0.5
    adv = torch.tensor([[1.0, 1.0]])
    mask = torch.ones(1, 2)
    loss, stats = ppo_clipped_policy_loss(new, old, adv, mask, clip_eps=0.2)
    # token 1: max(-1.5, -1.2) = -1.2 (clipped); token 2: max(-0.5, -0.8) = -0.5 (unclipped).
    assert loss.item() == pytest.approx((-1.2 - 0.5) / 2, abs=1e-6)
    assert stats["clipfrac"] == pytest.approx(0.5)
    # Negative advantage: ratio 0.5 is clipped at 0.8 -> max(0.5, 0.8) = 0.8; ratio 1.5 -> max(1.5, 1.2) = 1.5.
    loss_neg, _ = ppo_clipped_policy_loss(new, old, -adv, mask)
    assert loss_neg.item() == pytest.approx((1.5 + 0.8) / 2, abs=1e-6)


def test_ppo_loss_gradient_is_policy_gradient_at_ratio_one():
    logits = torch.zeros(1, 3, requires_grad=True)
    logp = torch.log_softmax(logits, -1)[:, :1]  # one token: action 0
    loss, _ = ppo_clipped_policy_loss(logp, logp.detach(), torch.tensor([[2.0]]), torch.ones(1, 1))
    loss.backward()
    # d(-A * p/p_old)/dlogits = -A * (onehot - softmax) = -2 * ([1,0,0] - 1/3)
    assert torch.allclose(logits.grad, torch.tensor([[-4 / 3, 2 / 3, 2 / 3]]), atol=1e-6)


def test_ppo_loss_ignores_padding_and_checks_shapes():
    lp = torch.tensor([[0.0, 5.0]])
    loss, _ = ppo_clipped_policy_loss(lp, torch.zeros(1, 2), torch.ones(1, 2), torch.tensor([[1, 0]]))
    assert loss.item() == pytest.approx(-1.0)
    with pytest.raises(ConfigError):
        ppo_clipped_policy_loss(lp, torch.zeros(1, 3), torch.ones(1, 2), torch.ones(1, 2))


def test_entropy_of_uniform():
    assert entropy_from_logits(torch.zeros(2, 4)).tolist() == pytest.approx([math.log(4)] * 2)
