"""Launch presets for AZR on OpenRLHF and the command lines built from them (SPEC §6 hyper-parameters).

A preset fixes the model and the GPU layout; the AZR/TRR++ hyper-parameters are the same for all of them and
are the reference's: 64 prompts per task type and role (384 samples per step), PPO mini-batch 128, lr 1e-6
constant, AdamW weight decay 0.01, grad-clip 1.0, clip 0.2, temperature 1.0, top-p 1.0, prompts up to 6144
and responses up to 8096 tokens, no KL term, about 500 steps. Every layout is OpenRLHF's colocated hybrid
engine: DeepSpeed actor and vLLM engines share the GPUs and sleep in turn (`--train.colocate_all
--vllm.enable_sleep --ds.enable_sleep`). Pure Python: command lines are built without OpenRLHF installed.
"""

from __future__ import annotations

import difflib
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from azr_env.errors import ConfigError

ENTRY_MODULE = "azr_agents.openrlhf.entry"
MAX_PROMPT_TOKENS = 6144
MAX_RESPONSE_TOKENS = 8096
WANDB_KEY_ENV = "WANDB_API_KEY"
WANDB_KEY_FROM_ENV = f"env:{WANDB_KEY_ENV}"  # = preflight.WANDB_KEY_FROM_ENV; the key never becomes an argument


@dataclass(frozen=True)
class Preset:
    """A model on a GPU layout. vLLM engines x tensor-parallel size = GPUs (colocated hybrid engine)."""

    name: str
    model: str
    gpus_per_node: int
    nodes: int = 1
    vllm_tp: int = 1
    zero_stage: int = 3
    adam_offload: bool = False
    vllm_memory: float = 0.5
    """vLLM's share of each GPU's memory while awake (the actor's states are offloaded meanwhile)."""
    note: str = ""
    extra: tuple[str, ...] = field(default=())

    @property
    def gpus(self) -> int:
        return self.gpus_per_node * self.nodes

    @property
    def vllm_engines(self) -> int:
        return self.gpus // self.vllm_tp


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("qwen2.5-coder-3b-1gpu", "Qwen/Qwen2.5-Coder-3B", 1, zero_stage=2, adam_offload=True, vllm_memory=0.45,
           note="smallest run: one 80 GB GPU, Adam states offloaded to CPU"),
    Preset("qwen2.5-coder-3b-2gpu", "Qwen/Qwen2.5-Coder-3B", 2),
    Preset("qwen2.5-coder-7b-2gpu", "Qwen/Qwen2.5-Coder-7B", 2, adam_offload=True, vllm_memory=0.45,
           note="the paper's smallest 7B layout; Adam states offloaded to CPU"),
    Preset("qwen2.5-coder-7b-4gpu", "Qwen/Qwen2.5-Coder-7B", 4),
    Preset("qwen2.5-coder-7b-8gpu", "Qwen/Qwen2.5-Coder-7B", 8, note="AZR-Coder-7B"),
    Preset("qwen2.5-7b-8gpu", "Qwen/Qwen2.5-7B", 8, note="AZR-Base-7B"),
    Preset("llama-3.1-8b-8gpu", "meta-llama/Llama-3.1-8B", 8, note="gated model: accept the licence on the Hub"),
    Preset("qwen2.5-coder-14b-8gpu", "Qwen/Qwen2.5-Coder-14B", 8, vllm_tp=2, vllm_memory=0.45),
    Preset("qwen2.5-coder-14b-2node", "Qwen/Qwen2.5-Coder-14B", 8, nodes=2, vllm_tp=2,
           note="two 8-GPU nodes; start Ray on both first (see the setup lines)"),
)}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        close = difflib.get_close_matches(name, list(PRESETS), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}.{hint}")
    return PRESETS[name]


def hyperparameter_args() -> list[str]:
    """SPEC §6 as OpenRLHF + `--azr.*` options (the same for every preset).

    No `--rollout.batch_size`: the entry point derives it from the `--azr.*` options (2 x 3 x 64 = 384 here), so
    an override such as `--azr.batch_per_type 16` changes both (azr_agents.openrlhf.batching).
    """
    return [
        "--algo.advantage.estimator", "trr++", "--algo.advantage.gamma", "1.0", "--algo.kl.init_coef", "0",
        "--rollout.n_samples_per_prompt", "1", "--train.batch_size", "128",
        "--train.max_epochs", "1", "--actor.eps_clip", "0.2",
        "--actor.adam.lr", "1e-6", "--actor.lr_scheduler", "constant", "--actor.lr_warmup_ratio", "0",
        "--actor.adam.weight_decay", "0.01", "--actor.max_norm", "1.0",
        "--rollout.temperature", "1.0", "--rollout.top_p", "1.0",
        "--rollout.max_new_tokens", str(MAX_RESPONSE_TOKENS),
        "--data.max_len", str(MAX_PROMPT_TOKENS + MAX_RESPONSE_TOKENS),
        "--azr.steps", "500", "--azr.batch_per_type", "64", "--azr.n_rollouts", "8",
        "--azr.seed_tasks_per_type", "256",
    ]  # fmt: skip


def layout_args(preset: Preset) -> list[str]:
    """GPU layout, DeepSpeed and vLLM options of `preset`."""
    args = [
        "--actor.model_name_or_path", preset.model,
        "--actor.num_nodes", str(preset.nodes), "--actor.num_gpus_per_node", str(preset.gpus_per_node),
        "--vllm.num_engines", str(preset.vllm_engines), "--vllm.tensor_parallel_size", str(preset.vllm_tp),
        "--vllm.gpu_memory_utilization", str(preset.vllm_memory), "--vllm.enable_prefix_caching",
        "--train.colocate_all", "--vllm.enable_sleep", "--ds.enable_sleep",
        "--ds.zero_stage", str(preset.zero_stage), "--ds.param_dtype", "bf16",
        "--actor.gradient_checkpointing_enable", "--ds.packing_samples",
        "--train.dynamic_batch_enable", "--train.max_tokens_per_gpu", "16384",
        "--rollout.max_tokens_per_gpu", "32768",
    ]  # fmt: skip
    if preset.adam_offload:
        args.append("--ds.adam_offload")
    return args + list(preset.extra)


@dataclass
class LaunchOptions:
    """What `azr train-openrlhf` adds to a preset."""

    output_dir: str
    """Run folder: DeepSpeed/HF checkpoints, task buffers, TensorBoard logs, final model."""
    model: str | None = None
    """Model name or path instead of the preset's."""
    python: str = "python3"
    """Interpreter of the training environment (`make train-env` makes .venv-train)."""
    agent_file: str = ""
    """Path of azr_agents/openrlhf/agent_func.py on the Ray nodes."""
    wandb_project: str | None = None
    """Log to Weights & Biases under this project (key from $WANDB_API_KEY)."""
    resume: bool = False
    """Continue from the latest checkpoint in the run folder (`--ckpt.load_enable`)."""
    save_steps: int = 50
    """Checkpoint (DeepSpeed + HF weights) every this many steps."""
    submit: bool = False
    """Launch through `ray job submit` on a running Ray cluster instead of starting Ray in-process."""
    ray_address: str = "http://127.0.0.1:8265"
    """Ray dashboard address for `ray job submit`."""
    extra: tuple[str, ...] = ()
    """More OpenRLHF or --azr.* options, appended last (so they win)."""


def train_args(preset: Preset, opts: LaunchOptions) -> list[str]:
    """The full argument list of `python -m azr_agents.openrlhf.entry` for `preset`."""
    out = Path(opts.output_dir).absolute()
    args = layout_args(preset) + hyperparameter_args()
    if opts.model:
        args[args.index("--actor.model_name_or_path") + 1] = opts.model
    args += [
        "--train.agent_func_path", opts.agent_file,
        "--ckpt.path", str(out / "ckpt"), "--ckpt.output_dir", str(out / "final"),
        "--ckpt.save_steps", str(opts.save_steps), "--ckpt.save_hf", "--ckpt.max_num", "3",
        "--logger.tensorboard_dir", str(out / "tensorboard"), "--logger.wandb.run_name", preset.name,
    ]  # fmt: skip
    if opts.wandb_project:
        args += ["--logger.wandb.key", WANDB_KEY_FROM_ENV, "--logger.wandb.project", opts.wandb_project]
    if opts.resume:
        args.append("--ckpt.load_enable")
    return args + list(opts.extra)


@dataclass
class LaunchPlan:
    """Shell lines to prepare Ray (run by hand, per node) and the training command itself."""

    setup: list[str]
    command: list[str]
    after: list[str]

    def render(self) -> str:
        """The plan as a shell script (secrets are never in it: the W&B key travels in $WANDB_API_KEY only)."""
        lines = ["#!/usr/bin/env bash", "set -euo pipefail"]
        if self.setup:
            lines += ["# Ray cluster (run these first, on the nodes named):", *self.setup]
        lines += ["# Training:", _shell_join(self.command)]
        lines += ["# Afterwards:", *self.after]
        return "\n".join(lines) + "\n"


def _shell_join(argv: list[str]) -> str:
    """One option (with its values) per line; `$NAME` stays a quoted shell variable."""
    quoted = ['"$' + a[1:] + '"' if a.startswith("$") else shlex.quote(a) for a in argv]
    lines: list[list[str]] = [[]]
    for arg, raw in zip(quoted, argv):
        if raw.startswith("--") and lines[-1]:
            lines.append([])
        lines[-1].append(arg)
    return " \\\n  ".join(" ".join(line) for line in lines)


def ray_command(python: str) -> list[str]:
    """The train environment's `ray` CLI: run by its Python, so never another `ray` found first on PATH."""
    return [python, "-m", "ray.scripts.scripts"]


def plan(preset: Preset, opts: LaunchOptions) -> LaunchPlan:
    """Setup lines and the command for `preset` (multi-node presets always go through `ray job submit`).

    Every `ray` is the train environment's (`ray_command`): workers start under the Python that has OpenRLHF.
    A single-node `--submit` starts a Ray head only when none is running, so a second submit attaches to it.
    """
    entry = [opts.python, "-m", ENTRY_MODULE, *train_args(preset, opts)]
    ray = " ".join(shlex.quote(a) for a in ray_command(opts.python))
    setup: list[str] = []
    submit = opts.submit or preset.nodes > 1
    if preset.nodes > 1:
        setup += [f"# head node:   {ray} start --head --node-ip-address \"$HEAD_IP\" --num-gpus {preset.gpus_per_node}",
                  f"# other nodes: {ray} start --address \"$HEAD_IP:6379\" --num-gpus {preset.gpus_per_node}",
                  "# every node needs the same train environment and azr-env checkout at the same paths,",
                  "# and the run folder on storage all nodes share (checked at start);",
                  "# export WANDB_API_KEY before `ray start` when logging to W&B"]  # fmt: skip
    elif submit:
        setup.append(f"{ray} status >/dev/null 2>&1 || {ray} start --head --num-gpus {preset.gpus_per_node}")
    env = {"TOKENIZERS_PARALLELISM": "false", "NCCL_DEBUG": "WARN"}
    if submit:
        runtime = json.dumps({"env_vars": env}, sort_keys=True)
        command = [*ray_command(opts.python), "job", "submit", f"--address={opts.ray_address}",
                   f"--runtime-env-json={runtime}", "--", *entry]  # fmt: skip
    else:
        command = ["env", *(f"{k}={v}" for k, v in env.items()), *entry]
    out = Path(opts.output_dir).absolute()
    after = [f"# tensorboard --logdir {out / 'tensorboard'}",
             f"# evaluate a checkpoint (SPEC §7 benchmarks): azr eval --backend vllm --model "
             f"{out / 'ckpt' / 'global_step<N>_hf'}   (final model: {out / 'final'})",
             "# resume after an interruption: the same command with --resume"]  # fmt: skip
    return LaunchPlan(setup, command, after)
