"""`azr pretrain-micro`: teach the micro model the AZR answer format on generated transcripts (CPU minutes).

Why: self-play from random weights gives only format penalties, so there is nothing to learn from. The recipe
writes, for a stream of generated tasks, the exact prompts the envs build (cpu-micro templates) and the gold
R1 responses (agents/responses.py) for all 6 (role, task type) pairs, and trains next-token prediction on
the response tokens only. The result is a model that answers in format, sometimes correctly, and proposes
programs that mostly run: a starting point with signal for TRR++ (docs/trainer.md reports the numbers).
"""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from azr_agents.micro import MicroModelConfig, build_byte_tokenizer, build_micro_model
from azr_agents.micro_tasks import micro_task_config, micro_tasks
from azr_agents.responses import propose_response, solve_response

from azr_env.errors import ConfigError
from azr_env.tasks.base import Task

ROLE_TYPES = [("solve", "deduction"), ("solve", "abduction"), ("solve", "induction"),
              ("propose", "deduction"), ("propose", "abduction"), ("propose", "induction")]


@dataclass
class PretrainConfig:
    """Options of the micro pretraining recipe."""

    out_dir: str = ""
    """Where the trained model folder is written (required)."""
    architecture: MicroModelConfig = field(default_factory=MicroModelConfig)
    """Size of the micro model."""
    max_steps: int = 1500
    """Optimizer steps at most."""
    max_minutes: float = 5.0
    """Wall-clock budget; training stops at whichever of max_steps / max_minutes comes first."""
    batch_size: int = 32
    """Transcripts per step."""
    lr: float = 3e-3
    """Peak AdamW learning rate (linear warm-up, cosine decay to 10%)."""
    warmup_steps: int = 50
    """Linear warm-up steps."""
    weight_decay: float = 0.01
    """AdamW weight decay."""
    mix: tuple[float, ...] = (0.4, 0.15, 0.1, 0.12, 0.12, 0.11)
    """Share of transcripts per (role, type) in ROLE_TYPES order: solve ded/abd/ind, propose ded/abd/ind."""
    generator_share: float = 0.5
    """Share of tasks drawn from the procedural generator (easiest settings); the rest: the micro curriculum."""
    generator_pool: int = 600
    """Generated tasks per type in that pool (validated in the sandbox before training)."""
    vocab_size: int = 512
    """Byte-level BPE vocabulary learned from transcripts (digits stay single; 259 would be plain bytes)."""
    lazy_share: float = 0.0
    """Share of solver transcripts that answer with a plausible shortcut instead of the gold answer (see
    `lazy_response`): a habit the pretrained model has and self-play must unlearn with only the executor as
    truth. 0 trains on gold answers only."""
    init_from: str | None = None
    """Continue training this micro model folder (its tokenizer and weights) instead of a fresh model."""
    seed: int = 0
    """Seeds tasks, shuffling and initialisation."""
    threads: int = 2
    """torch CPU threads."""

    def __post_init__(self) -> None:
        if len(self.mix) != 6 or min(self.mix) < 0 or sum(self.mix) <= 0:
            raise ConfigError(f"mix={self.mix} needs 6 non-negative weights (solve ded/abd/ind, propose ded/abd/ind)")
        if not 0 <= self.lazy_share < 1:
            raise ConfigError(f"lazy_share={self.lazy_share} must be in [0, 1)")
        if not 0 <= self.generator_share <= 1:
            raise ConfigError(f"generator_share={self.generator_share} must be in [0, 1]")
        if self.max_steps < 1 or self.batch_size < 1 or self.max_minutes <= 0:
            raise ConfigError(
                f"max_steps={self.max_steps}, batch_size={self.batch_size} must be >= 1 and "
                f"max_minutes={self.max_minutes} > 0"
            )


class TaskMix:
    """Draws pretraining tasks: the micro curriculum, mixed with a pool from the procedural generator.

    `generator_share` of the draws come from `pools[task_type]` (built by `generator_pools`), the rest from
    `azr_agents.micro_tasks`. Induction tasks carry the program, inputs, outputs and message.
    """

    def __init__(self, pools: dict | None = None, generator_share: float = 0.0, num_inputs: int = 6):
        self.pools, self.share, self.num_inputs = pools or {}, generator_share, num_inputs

    def __call__(self, task_type: str, rng: random.Random):
        pool = self.pools.get(task_type)
        if pool and rng.random() < self.share:
            return rng.choice(pool)
        return micro_tasks(task_type, 1, rng, self.num_inputs)[0]


def generator_pools(per_type: int, seed: int, task_config, workers: int = 2) -> dict:
    """Validated tasks from `azr_env.generators` at its easiest settings (one operation, no nesting)."""
    from azr_env.generators import generate_tasks
    from azr_env.rounds import Referee, RoundConfig

    easy = easy_generator_config()
    with Referee(RoundConfig(task=task_config, workers=workers)) as ref:
        return {t: generate_tasks(t, per_type, ref, seed=seed, config=easy)
                for t in ("deduction", "abduction", "induction")}


def easy_generator_config():
    """The procedural generator at its easiest: one operation, no nesting, math/string/list families."""
    from azr_env.generators import GeneratorConfig

    return GeneratorConfig(min_steps=1, max_steps=1, max_nesting=0, operations=("math", "string", "list"),
                           value_size=3)


def lazy_response(task) -> str:
    """A well-formed answer by habit, no computation: `0` as the output (deduction) or the input
    (abduction), `return 0` as the program (induction). Right only when the task happens to fit."""
    if task.task_type == "induction":
        return solve_response(Task("induction", "def f(a):\n    return 0", task.inputs, task.outputs))
    return solve_response(Task(task.task_type, task.program, ("0",), ("0",)))


def transcript(role: str, task_type: str, rng: random.Random, config=None, draw: TaskMix | None = None,
               lazy_share: float = 0.0) -> tuple[str, str]:
    """(prompt, response) for one drawn task, exactly as the envs prompt and parse (cpu-micro templates).

    With `lazy_share`, that share of solver responses are `lazy_response` instead of the gold answer.
    """
    from azr_env.tasks.registry import get_task_type
    from azr_env.tasks.templates import format_prompt

    cfg = config or micro_task_config()
    draw = draw or TaskMix(num_inputs=cfg.induction_num_inputs)
    kind = get_task_type(task_type)
    if role == "solve":
        task = draw(task_type, rng)
        prompt = kind.solver_prompt(task, cfg)
        response = lazy_response(task) if lazy_share and rng.random() < lazy_share else solve_response(task)
    elif task_type == "induction":
        task = draw("induction", rng)
        shown = Task("deduction", task.program, task.inputs[:1], task.outputs[:1])
        prompt = kind.proposer_prompt([shown], cfg)
        response = propose_response(task)
    else:
        refs = [draw(task_type, rng) for _ in range(kind.num_references(cfg))]
        prompt = kind.proposer_prompt(refs, cfg)
        response = propose_response(draw(task_type, rng))
    return format_prompt(prompt, cfg.prompt_format, cfg.template_dir), response


def _batch(pairs: list[tuple[str, str]], tokenizer) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Right-padded input ids, attention mask and labels (-100 on prompt and padding; EOS ends responses)."""
    rows = []
    for prompt, response in pairs:
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        r = tokenizer(response, add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        rows.append((p + r, [-100] * len(p) + r))
    width = max(len(ids) for ids, _ in rows)
    pad = tokenizer.pad_token_id
    ids = torch.tensor([x + [pad] * (width - len(x)) for x, _ in rows])
    mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x, _ in rows])
    labels = torch.tensor([y + [-100] * (width - len(y)) for _, y in rows])
    return ids, mask, labels


def pretrain_micro(config: PretrainConfig, *, log=print) -> Path:
    """Build the micro model and train it on transcripts; writes `config.out_dir` atomically and returns it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    if not config.out_dir:
        raise ConfigError("PretrainConfig.out_dir is required")
    hf_logging.disable_progress_bar()
    torch.set_num_threads(config.threads)
    out = Path(config.out_dir)
    staging = out.with_name(out.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    rng = random.Random(config.seed)
    task_config = micro_task_config()
    pools = generator_pools(config.generator_pool, config.seed, task_config) if config.generator_share > 0 else {}
    draw = TaskMix(pools, config.generator_share, task_config.induction_num_inputs)
    if config.init_from:
        shutil.copytree(config.init_from, staging)
    else:
        corpus = [text for _ in range(400) for rt in ROLE_TYPES for text in transcript(*rt, rng, task_config, draw)]
        build_micro_model(staging, config.architecture, build_byte_tokenizer(corpus, config.vocab_size))
    tokenizer = AutoTokenizer.from_pretrained(staging)
    model = AutoModelForCausalLM.from_pretrained(staging)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay,
                                  betas=(0.9, 0.95))
    start, step, history = time.monotonic(), 0, []
    while step < config.max_steps and time.monotonic() - start < config.max_minutes * 60:
        lr = _lr(config, step, (time.monotonic() - start) / (config.max_minutes * 60))
        for group in optimizer.param_groups:
            group["lr"] = lr
        kinds = rng.choices(ROLE_TYPES, weights=config.mix, k=config.batch_size)
        ids, mask, labels = _batch([transcript(r, t, rng, task_config, draw, config.lazy_share) for r, t in kinds],
                                   tokenizer)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        step += 1
        history.append(loss.item())
        if step % 50 == 0:
            log(f"pretrain-micro step {step} loss {sum(history[-50:]) / 50:.3f} lr {lr:.2e} "
                f"{time.monotonic() - start:.0f}s")
    model.save_pretrained(staging)
    architecture = json.loads((staging / "azr_micro.json").read_text())["architecture"] if config.init_from \
        else asdict(config.architecture)
    info = {"architecture": architecture, "pretrained": True, "steps": step,
            "seconds": round(time.monotonic() - start, 1),
            "final_loss": sum(history[-50:]) / max(1, len(history[-50:])),
            "recipe": {k: v for k, v in asdict(config).items() if k not in ("architecture", "out_dir")}}
    (staging / "azr_micro.json").write_text(json.dumps(info, indent=1))
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    log(f"pretrain-micro: {step} steps in {info['seconds']}s, final loss {info['final_loss']:.3f} -> {out}")
    return out


def _lr(config: PretrainConfig, step: int, time_fraction: float) -> float:
    """Linear warm-up, then cosine to 10% over whichever budget (steps or minutes) runs out first."""
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    by_steps = (step - config.warmup_steps) / max(1, config.max_steps - config.warmup_steps)
    progress = min(1.0, max(by_steps, time_fraction))
    return config.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))
