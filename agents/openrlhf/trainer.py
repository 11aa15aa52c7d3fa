"""The AZR trainer actor: OpenRLHF's `BasePPOTrainer` with AZR's self-play loop in place of a prompt dataset.

OpenRLHF's `train_ppo_ray.train()` builds the Ray actors (vLLM engines, DeepSpeed actor group, optional
reference model) and then one trainer actor that drives them. `entry.py` makes it build `AZRTrainer` here
instead of `PPOTrainer`; everything else (placement groups, colocation, vLLM sleep, weight broadcast, PPO
update, checkpoints, W&B/TensorBoard) stays OpenRLHF's. Per step:

    wake vLLM -> SelfPlay.step (propose, validate, learnability rollouts, solve: selfplay.py) -> sleep vLLM
    -> train_step (experience maker with `trr++`, PPO update, weight broadcast) -> logs, checkpoint

Resume (`--ckpt.load_enable`) restores the step from OpenRLHF's checkpoint; buffers replay from their JSONL.
"""

from __future__ import annotations

import time
from typing import Any

import ray
from azr_agents.openrlhf.estimator import TRRExperienceMaker
from azr_agents.openrlhf.options import config_from_args
from azr_agents.openrlhf.selfplay import SelfPlay
from openrlhf.trainer.ppo_trainer import BasePPOTrainer
from openrlhf.trainer.ppo_utils.samples_generator import SamplesGenerator
from openrlhf.trainer.ray.vllm_engine import batch_vllm_engine_call
from openrlhf.utils.logging_utils import init_logger
from openrlhf.utils.utils import get_tokenizer

# OpenRLHF's log handler for the whole package, so selfplay's seeding progress shows in the job's output too.
log = init_logger("azr_agents.openrlhf")


class AZRSamplesGenerator(SamplesGenerator):
    """OpenRLHF's sample generator fed with prompts and labels from `SelfPlay` instead of a dataloader."""

    def rollout(self, prompts: list[str], labels: list[str], n: int, temperature: float | None,
                generate_kwargs: dict[str, Any]) -> list[list[Any]]:  # fmt: skip
        """n Experiences per prompt, in prompt order (engines chosen by OpenRLHF's load balancing).

        `generate_kwargs` are the trainer's (temperature, top_p, max_new_tokens, max_len); `temperature`, when
        given, overrides theirs (the learnability rollouts' temperature).
        """
        if not prompts:
            return []
        kwargs = dict(generate_kwargs, n_samples_per_prompt=n)
        if temperature is not None:
            kwargs["temperature"] = temperature
        refs = self._dispatch_prompts_to_vllm(prompts, labels, images=None, **kwargs)
        return [[self._process_response_into_experience(r, **kwargs) for r in group] for group in ray.get(refs)]


class _AZRTrainer(BasePPOTrainer):
    """Same constructor as OpenRLHF's `PPOTrainer` (train_ppo_ray calls it positionally)."""

    def __init__(self, pretrain: str, strategy: Any, actor_model_group: Any, critic_model_group: Any,
                 reward_model_group: Any, reference_model_group: Any, vllm_engines: Any,
                 **generate_kwargs: Any) -> None:  # fmt: skip
        args = strategy.args
        if args.eval.steps == -1:
            args.eval.steps = float("inf")
        if args.ckpt.save_steps == -1:
            args.ckpt.save_steps = float("inf")
        tokenizer = get_tokenizer(pretrain, None, "left", strategy, use_fast=not args.data.disable_fast_tokenizer)
        self.generate_kwargs = generate_kwargs
        self.samples_generator = AZRSamplesGenerator(strategy, None, None, tokenizer, vllm_engines)
        super().__init__(strategy, actor_model_group, critic_model_group, reward_model_group,
                         reference_model_group, vllm_engines, tokenizer)  # fmt: skip
        self.experience_maker = TRRExperienceMaker(actor_model_group, critic_model_group, reward_model_group,
                                                   reference_model_group, self.kl_ctl, strategy, tokenizer)
        self.azr = config_from_args(args, ckpt_path=args.ckpt.path)
        wrap = None
        if self.azr.prompt_format == "chat":
            def wrap(text: str) -> str:
                return tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                                     add_generation_prompt=True)  # fmt: skip
        self.selfplay = SelfPlay(self.azr, self._rollout, wrap)
        samples = self.azr.samples_per_step * args.train.max_epochs
        self.max_steps = self.azr.steps * max(1, -(-samples // args.train.batch_size))

    def get_max_steps(self) -> int:
        """Optimizer steps of the run (OpenRLHF sizes the LR schedule with it)."""
        return self.max_steps

    def _rollout(self, prompts: list[str], labels: list[str], n: int, temperature: float | None) -> list:
        return self.samples_generator.rollout(prompts, labels, n, temperature, self.generate_kwargs)

    def _awake(self, awake: bool) -> None:
        if self.args.vllm.enable_sleep:
            batch_vllm_engine_call(self.vllm_engines, "wake_up" if awake else "sleep")

    def fit(self, global_step: int = 0) -> None:
        states = self.init_checkpoint_states()
        self.restore_best_checkpoint_state(states)
        global_step = states["global_step"] or global_step
        if global_step:
            self.broadcast_to_vllm()
        if global_step == 0 and self.azr.seed_tasks_per_type > 0:
            self._awake(True)
            rounds = self.selfplay.seed_buffers()
            self._awake(False)
            log.info("seeding done in %d rounds: %s", rounds, self.selfplay.buffers.counts())
        while global_step < self.azr.steps:
            t0 = time.time()
            self._awake(True)
            samples, azr_metrics = self.selfplay.step(global_step)
            self._awake(False)
            generation_time = time.time() - t0
            status, global_step = self.train_step(samples, global_step)
            status["timing/generation"] = generation_time
            status.update(azr_metrics)
            log.info("AZR step %d: %s", global_step, {k: v for k, v in status.items() if k != "generated_samples"})
            client_states = {"episode": 0, "global_step": global_step, "total_consumed_prompts": 0,
                             "data_loader_state_dict": {}}  # fmt: skip
            self.save_logs_and_checkpoints(global_step, status, client_states)
        for tracker in (self.wandb_logger, self.tensorboard_logger):
            if tracker:
                tracker.close()


AZRTrainer = ray.remote(_AZRTrainer)
