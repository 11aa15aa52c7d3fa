"""The AZR trainer actor: OpenRLHF's `BasePPOTrainer` with AZR's self-play loop in place of a prompt dataset.

OpenRLHF's `train_ppo_ray.train()` builds the Ray actors (vLLM engines, DeepSpeed actor group, optional
reference model) and then one trainer actor that drives them. `entry.py` makes it build `AZRTrainer` here
instead of `PPOTrainer`; everything else (placement groups, colocation, vLLM sleep, weight broadcast, PPO
update, checkpoints, W&B/TensorBoard) stays OpenRLHF's. Per step:

    wake vLLM -> SelfPlay.step (propose, validate, learnability rollouts, solve: selfplay.py) -> sleep vLLM
    -> train_step (experience maker with `trr++`, PPO update, weight broadcast) -> logs, checkpoint

Resume (`--ckpt.load_enable`) restores the step from OpenRLHF's checkpoint; buffers replay from their JSONL.
A fresh run refuses a folder holding a previous run's buffers (`preflight.check_run_folder`). Each step logs
the optimizer steps it makes (`azr/optimizer_steps`; zero is an error, not a quiet no-op) and the samples whose
agent raised (`azr/agent_errors`, scored -1). HF weight folders are rotated like DeepSpeed's (`--ckpt.max_num`).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ray
from azr_agents.openrlhf.agent import AGENT_ERROR
from azr_agents.openrlhf.batching import optimizer_steps
from azr_agents.openrlhf.estimator import TRRExperienceMaker
from azr_agents.openrlhf.labels import config_to_json
from azr_agents.openrlhf.options import config_from_args
from azr_agents.openrlhf.preflight import check_run_folder, check_wandb_key
from azr_agents.openrlhf.selfplay import SelfPlay, outcome
from openrlhf.trainer.ppo_trainer import BasePPOTrainer
from openrlhf.trainer.ppo_utils.samples_generator import SamplesGenerator
from openrlhf.trainer.ray.vllm_engine import batch_vllm_engine_call
from openrlhf.utils.logging_utils import init_logger
from openrlhf.utils.utils import get_tokenizer

from azr_env.errors import ConfigError

# OpenRLHF's log handler for the whole package, so selfplay's seeding progress shows in the job's output too.
log = init_logger("azr_agents.openrlhf")
_HF_CHECKPOINT = re.compile(r"global_step(\d+)_hf")


def rotate_hf_checkpoints(ckpt_path: str, keep: int) -> list[str]:
    """Delete all but the newest `keep` `global_step<N>_hf` folders (OpenRLHF rotates only DeepSpeed states)."""
    found = sorted((int(m.group(1)), p) for p in Path(ckpt_path).glob("global_step*_hf")
                   if p.is_dir() and (m := _HF_CHECKPOINT.fullmatch(p.name)))  # fmt: skip
    removed = [p for _, p in found[:-keep]] if keep > 0 else []
    for path in removed:
        shutil.rmtree(path, ignore_errors=True)
    return [str(p) for p in removed]


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
        check_wandb_key(args.logger.wandb.key)  # in the trainer actor's own environment
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
        check_run_folder(args.ckpt.path, self.azr.buffer_dir, args.ckpt.load_enable)  # on the trainer's own node
        wrap = None
        if self.azr.prompt_format == "chat":
            def wrap(text: str) -> str:
                return tokenizer.apply_chat_template([{"role": "user", "content": text}], tokenize=False,
                                                     add_generation_prompt=True)  # fmt: skip
        self.selfplay = SelfPlay(self.azr, self._rollout, wrap, tokenizer=tokenizer)  # prompt cap in its tokens
        # The engines' executors must use the isolation the run was checked for ("bwrap" unless allowed weaker).
        self.selfplay.label_config = config_to_json(self.azr.round, self.azr.isolation)
        self.max_steps = self.azr.steps * optimizer_steps(self.azr.samples_per_step, args)

    def get_max_steps(self) -> int:
        """Optimizer steps of the run (OpenRLHF sizes the LR schedule with it)."""
        return self.max_steps

    def _rollout(self, prompts: list[str], labels: list[str], n: int, temperature: float | None) -> list:
        return self.samples_generator.rollout(prompts, labels, n, temperature, self.generate_kwargs)

    @contextlib.contextmanager
    def _engines_awake(self) -> Iterator[None]:
        """vLLM awake inside, asleep again afterwards even when generation raised (colocated memory)."""
        if not self.args.vllm.enable_sleep:
            yield
            return
        batch_vllm_engine_call(self.vllm_engines, "wake_up")
        try:
            yield
        finally:
            batch_vllm_engine_call(self.vllm_engines, "sleep")

    def _optimizer_steps(self, samples: list, global_step: int) -> int:
        steps = optimizer_steps(len(samples), self.args)
        if steps == 0:
            raise ConfigError(f"AZR step {global_step + 1}: {len(samples)} samples make 0 optimizer steps with "
                              f"--train.batch_size {self.args.train.batch_size} (rollout.batch_size "
                              f"{self.args.rollout.batch_size}); the update would train nothing")  # fmt: skip
        return steps

    def fit(self, global_step: int = 0) -> None:
        states = self.init_checkpoint_states()
        self.restore_best_checkpoint_state(states)
        global_step = states["global_step"] or global_step
        if global_step:
            self.broadcast_to_vllm()
        if global_step == 0 and self.azr.seed_files:  # the reference's released seed files (azr_env.seeds)
            log.info("seed files: %s", self.selfplay.load_seed_files(self.azr.seed_files,
                                                                     self.azr.seed_tasks_per_type or None))
        if global_step == 0 and self.azr.seed_tasks_per_type > 0:
            with self._engines_awake():
                rounds = self.selfplay.seed_buffers()
            log.info("seeding done in %d rounds: %s", rounds, self.selfplay.buffers.counts())
        while global_step < self.azr.steps:
            t0 = time.time()
            with self._engines_awake():
                samples, azr_metrics = self.selfplay.step(global_step)
            generation_time = time.time() - t0
            n_optimizer_steps = self._optimizer_steps(samples, global_step)
            status, global_step = self.train_step(samples, global_step)
            status["timing/generation"] = generation_time
            status["azr/optimizer_steps"] = float(n_optimizer_steps)
            status["azr/samples"] = float(len(samples))
            status["azr/agent_errors"] = float(sum(outcome(s).get("reason") == AGENT_ERROR for s in samples))
            status.update(azr_metrics)
            log.info("AZR step %d: %s", global_step, {k: v for k, v in status.items() if k != "generated_samples"})
            client_states = {"episode": 0, "global_step": global_step, "total_consumed_prompts": 0,
                             "data_loader_state_dict": {}}  # fmt: skip
            self.save_logs_and_checkpoints(global_step, status, client_states)
            if self.args.ckpt.save_hf and global_step % self.args.ckpt.save_steps == 0:
                for path in rotate_hf_checkpoints(self.args.ckpt.path, self.args.ckpt.max_num):
                    log.info("removed old HF checkpoint %s (--ckpt.max_num %d)", path, self.args.ckpt.max_num)
        for tracker in (self.wandb_logger, self.tensorboard_logger):
            if tracker:
                tracker.close()


AZRTrainer = ray.remote(_AZRTrainer)
