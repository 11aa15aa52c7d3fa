"""TRR++ as OpenRLHF's advantage estimator `trr++` (agents/openrlhf/estimator.py), train environment.

A hand-built batch goes through OpenRLHF's real `RemoteExperienceMaker.make_experience_batch` path (micro-batch
split, `Experience.concat_experiences`, the model-forward dispatch through Ray object refs, KL and reward
placement, cumulative returns); only the policy model's forward pass is a fixed stand-in (there is no GPU
actor), which advantages do not depend on. The result must equal `azr_agents.trr.trr_plus_plus_advantages`.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

pytest.importorskip("openrlhf.utils.agent", reason="OpenRLHF is not installed in this interpreter; run "
                    "`make test-openrlhf` (it uses the training environment .venv-train)")

import ray
import torch
from azr_agents.openrlhf import entry, labels
from azr_agents.openrlhf.estimator import TRRExperienceMaker
from azr_agents.trr import trr_plus_plus_advantages
from openrlhf.trainer.ppo_utils.experience import Experience
from openrlhf.trainer.ppo_utils.kl_controller import FixedKLController
from openrlhf.utils.config import hierarchize

from azr_env.errors import DataError

TYPES = ("deduction", "abduction", "induction")


class ForwardGroup:
    """Stands in for the DeepSpeed actor group: `forward` returns fixed log-probs, as Ray object refs."""

    def __init__(self) -> None:
        self.calls = 0

    def async_run_method_batch(self, method_name: str, **kwargs):
        assert method_name == "forward"
        self.calls += 1
        return [ray.put([torch.full(m.shape, -1.0)]) for m in kwargs["action_mask"]]

    def async_run_method(self, method_name: str, **kwargs):
        return [ray.put(None)]


def _args(*extra: str):
    parser = entry.openrlhf_parser()
    args = hierarchize(parser.parse_args(["--algo.advantage.estimator", "trr++", "--algo.kl.init_coef", "0",
                                          "--rollout.micro_batch_size", "3", *extra]))  # fmt: skip
    return args


def _sample(prompt_len: int, response_len: int, reward: float, gid: int) -> Experience:
    """One sample as OpenRLHF's SamplesGenerator builds it from an agent response."""
    total = prompt_len + response_len
    action_mask = torch.zeros(total, dtype=torch.long)
    action_mask[prompt_len:] = 1
    return Experience(
        sequences=torch.arange(total).unsqueeze(0), attention_mask=torch.ones(1, total, dtype=torch.long),
        action_mask=action_mask[1:].unsqueeze(0), rewards=torch.tensor([reward]), scores=torch.tensor([reward]),
        response_length=torch.tensor([response_len]), truncated=torch.tensor([False]),
        total_length=torch.tensor([float(total)]), prompts=["p"], labels=["l"],
        info={"reward": torch.tensor([reward]), labels.GROUP_KEY: torch.tensor([float(gid)])},
    )


def _batch(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    samples, keys = [], []
    for i in range(24):
        role, kind = labels.ROLES[i % 2], TYPES[(i // 2) % 3]
        reward = [1.0, -0.5, -1.0, 0.25, 0.875][int(torch.randint(5, (1,), generator=gen))]
        prompt_len, response_len = 3 + int(torch.randint(6, (1,), generator=gen)), 2 + int(
            torch.randint(9, (1,), generator=gen))
        samples.append(_sample(prompt_len, response_len, reward, labels.group_id(role, kind)))
        keys.append((kind, role))
    return samples, keys


def _maker(args, group=None):
    return TRRExperienceMaker(group or ForwardGroup(), None, None, None, FixedKLController(0.0),
                              SimpleNamespace(args=args), SimpleNamespace(pad_token_id=0))


def _padded(tensors):
    width = max(t.shape[1] for t in tensors)
    return torch.cat([torch.nn.functional.pad(t.float(), (0, width - t.shape[1])) for t in tensors])


def test_trr_matches_the_pure_function_through_the_experience_maker(ray_local):
    samples, keys = _batch()
    rewards = torch.cat([s.rewards for s in samples])
    masks = [s.action_mask for s in samples]
    group = ForwardGroup()
    experiences = _maker(_args(), group).make_experience_batch(samples)
    assert group.calls == 1 and len(experiences) == 8  # 24 samples in micro-batches of 3
    got = _padded([e.advantages for e in experiences])
    expected = trr_plus_plus_advantages(rewards, _padded(masks), [k for k, _ in keys], [r for _, r in keys])
    assert torch.allclose(got, expected, atol=1e-6), (got - expected).abs().max()
    # Returns: the reward on every response token (gamma 1), as REINFORCE++ places it.
    mask = _padded([e.action_mask for e in experiences]).bool()
    returns = _padded([e.returns for e in experiences])
    assert torch.equal(returns[mask], rewards[:, None].expand_as(mask)[mask])
    # Each of the 6 groups is whitened on its own: zero mean over its response tokens.
    gids = torch.cat([e.info[labels.GROUP_KEY] for e in experiences])
    for gid in labels.default_group_ids():
        rows = gids == gid
        assert abs(float(got[rows][mask[rows]].mean())) < 1e-5


def test_other_estimators_stay_openrlhfs(ray_local):
    samples, _ = _batch(1)
    experiences = _maker(_args("--algo.advantage.estimator", "reinforce")).make_experience_batch(samples)
    adv = _padded([e.advantages for e in experiences])
    mask = _padded([e.action_mask for e in experiences]).bool()
    assert abs(float(adv[mask].mean())) < 1e-5  # OpenRLHF's global whitening, untouched


def test_a_group_with_one_reward_value_gets_zero_advantage(ray_local):
    samples = [_sample(4, 3, 1.0, 0), _sample(5, 2, 1.0, 0), _sample(3, 4, -1.0, 101), _sample(3, 2, 1.0, 101)]
    experiences = _maker(_args()).make_experience_batch(samples)
    adv = _padded([e.advantages for e in experiences])
    assert torch.count_nonzero(adv[:2]) == 0 and torch.count_nonzero(adv[2:]) > 0


def test_missing_group_id_is_an_error_naming_the_fix(ray_local):
    samples, _ = _batch(2)
    del samples[0].info[labels.GROUP_KEY]
    for s in samples[1:]:
        del s.info[labels.GROUP_KEY]
    with pytest.raises(DataError, match="agent_func_path"):
        _maker(_args()).make_experience_batch(samples)
