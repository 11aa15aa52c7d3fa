"""OpenRLHF's batch options derived from the `--azr.*` options, and the optimizer steps a step will make.

OpenRLHF sizes each PPO update from `--rollout.batch_size` (its replay buffer plans `rollout.batch_size x
n_samples_per_prompt // train.batch_size` optimizer steps) and drops incomplete training batches. AZR's step
makes `2 x types x batch_per_type` samples no matter what `--rollout.batch_size` says, so a mismatch trains on
part of the step or on nothing at all, with normal-looking logs. Here the rollout batch size is derived from
the `--azr.*` options (an explicit different value is refused with the fix), the training batch must divide the
step, and the trainer logs (and refuses zero) optimizer steps per step. Pure Python: no OpenRLHF import.
"""

from __future__ import annotations

from typing import Any

from azr_env.errors import ConfigError

ROLLOUT_BATCH = "rollout.batch_size"


def samples_per_step(flat: dict[str, Any]) -> int:
    """2 x task types x batch per type, from the flat (not yet hierarchized) parsed args."""
    return 2 * len(flat["azr.task_types"]) * flat["azr.batch_per_type"]


def derive_batch_sizes(flat: dict[str, Any]) -> None:
    """Set `rollout.batch_size` from the AZR options in `flat` (in place); refuse sizes that lose samples.

    `flat[ROLLOUT_BATCH]` is None when the user did not give it (the extended parser's default).
    """
    samples = samples_per_step(flat)
    shape = f"2 roles x {len(flat['azr.task_types'])} task types x --azr.batch_per_type {flat['azr.batch_per_type']}"
    given = flat.get(ROLLOUT_BATCH)
    if given is not None and given != samples:
        raise ConfigError(f"--rollout.batch_size {given} does not match the {samples} samples an AZR step makes "
                          f"({shape}); drop --rollout.batch_size (it is derived) or set it to {samples}")  # fmt: skip
    flat[ROLLOUT_BATCH] = samples
    train_batch = flat["train.batch_size"]
    if train_batch > samples or samples % train_batch:
        fit = max(d for d in range(1, min(train_batch, samples) + 1) if samples % d == 0)
        raise ConfigError(f"--train.batch_size {train_batch} does not divide the {samples} samples of an AZR step "
                          f"({shape}): {samples // train_batch} optimizer steps per step and "
                          f"{samples % train_batch} samples dropped; use --train.batch_size {fit} or change "
                          "--azr.batch_per_type")  # fmt: skip


def optimizer_steps(n_samples: int, args: Any) -> int:
    """Optimizer steps OpenRLHF's actor makes on a step of `n_samples` (hierarchized args).

    Its dataloader drops an incomplete last training batch; with dynamic batching the replay buffer also caps
    the steps at `rollout.batch_size x n_samples_per_prompt // train.batch_size`.
    """
    per_epoch = n_samples // args.train.batch_size
    if args.train.dynamic_batch_enable:
        planned = args.rollout.batch_size * args.rollout.n_samples_per_prompt // args.train.batch_size
        per_epoch = min(per_epoch, planned)
    return per_epoch * args.train.max_epochs
