"""TRR++ as an OpenRLHF advantage estimator: `--algo.advantage.estimator trr++` (SPEC §6).

OpenRLHF computes advantages in `RemoteExperienceMaker.compute_advantages_and_returns`, choosing the formula by
the estimator name. `TRRExperienceMaker` adds the name `trr++` and leaves every other name to OpenRLHF:

1. the reward goes on the last response token through OpenRLHF's own `compute_reward` (KL term included,
   zero under the reference's `kl_coef 0`) and returns are OpenRLHF's `get_cumulative_returns` with gamma 1:
   exactly REINFORCE++'s path;
2. instead of whitening the returns over the whole batch, they are whitened within each (role, task type)
   group, read per sample from `info[GROUP_KEY]` (put there by the agent's `extra_logs`), with
   `azr_agents.trr.masked_whiten`, the same function as the single-machine trainer's TRR++.

The numbers equal `azr_agents.trr.trr_plus_plus_advantages` on the same batch (tests/openrlhf checks that).
"""

from __future__ import annotations

import torch
from azr_agents.openrlhf.labels import GROUP_KEY
from azr_agents.trr import masked_whiten
from openrlhf.models.utils import compute_reward
from openrlhf.trainer.ppo_utils.experience_maker import RemoteExperienceMaker
from openrlhf.trainer.ppo_utils.length_penalty import apply_length_penalties

from azr_env.errors import DataError

ESTIMATOR = "trr++"


def group_whiten(returns: list[torch.Tensor], masks: list[torch.Tensor], groups: list[torch.Tensor]) -> list:
    """Whiten per-micro-batch `returns` [b_i, A_i] over response tokens within each group id (SPEC §6).

    Micro-batches are right-padded to different widths; they are padded to one width, whitened group by
    group, and split back. Returns one advantage tensor per micro-batch, 0 outside the masks.
    """
    width = max(r.shape[1] for r in returns)
    flat_r = torch.cat([torch.nn.functional.pad(r.float(), (0, width - r.shape[1])) for r in returns])
    flat_m = torch.cat([torch.nn.functional.pad(m.float(), (0, width - m.shape[1])) for m in masks])
    flat_g = torch.cat([g.reshape(-1) for g in groups])
    advantages = torch.zeros_like(flat_r)
    for gid in torch.unique(flat_g):
        rows = flat_g == gid
        advantages[rows] = masked_whiten(flat_r[rows], flat_m[rows])
    out, start = [], 0
    for r in returns:
        out.append(advantages[start : start + r.shape[0], : r.shape[1]])
        start += r.shape[0]
    return out


class TRRExperienceMaker(RemoteExperienceMaker):
    """OpenRLHF's experience maker with the `trr++` estimator added."""

    @torch.no_grad()
    def compute_advantages_and_returns(self, experiences: list) -> list:
        if self.advantage_estimator != ESTIMATOR:
            return super().compute_advantages_and_returns(experiences)
        args = self.strategy.args
        missing = [i for i, exp in enumerate(experiences) if GROUP_KEY not in exp.info]
        if missing:
            raise DataError(f"trr++ needs info[{GROUP_KEY!r}] on every sample (set by the AZR agent's extra_logs); "
                            f"micro-batches {missing[:5]} lack it: use --train.agent_func_path with "
                            "azr_agents/openrlhf/agent_func.py")  # fmt: skip
        for exp in experiences:
            exp.rewards = exp.rewards.to(torch.promote_types(exp.rewards.dtype, torch.float32))
        apply_length_penalties(experiences, args)  # OpenRLHF's optional shaping; a no-op by default
        if args.algo.advantage.gamma != 1.0:
            raise DataError(f"trr++ uses gamma 1 (SPEC §6); got --algo.advantage.gamma {args.algo.advantage.gamma}")
        for exp in experiences:
            reward = compute_reward(exp.rewards, self.kl_ctl.value, exp.kl, action_mask=exp.action_mask,
                                    reward_clip_range=args.reward.clip_range)  # fmt: skip
            exp.returns = self.get_cumulative_returns(reward, exp.action_mask, 1.0)
            exp.info["return"] = reward.sum(dim=-1)
            exp.kl = None
        advantages = group_whiten([e.returns for e in experiences], [e.action_mask for e in experiences],
                                  [e.info[GROUP_KEY] for e in experiences])  # fmt: skip
        for exp, adv in zip(experiences, advantages):
            exp.advantages = adv.to(exp.returns.dtype)
        return experiences
