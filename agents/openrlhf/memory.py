"""Memory and disk estimates per preset, with the arithmetic shown (docs/openrlhf.md's table is this output).

Rough by design: enough to see whether a layout can fit and where the memory goes, not a guarantee. Per GPU,
while the DeepSpeed actor trains (vLLM asleep, its memory released):

- model states, `STATE_BYTES` = 16 bytes per parameter: bf16 weights (2) + bf16 gradients (2) + fp32 master
  weights, Adam first and second moments (4 + 4 + 4). ZeRO-3 shards all of it over the GPUs; ZeRO-2 keeps
  the weights whole and shards the rest; `--ds.adam_offload` moves the 12 fp32 bytes to CPU memory;
- activations with gradient checkpointing: one bf16 hidden state per layer for every token of the micro-batch,
  plus one layer recomputed (≈ tokens x (4 x hidden + 3 x intermediate) x 2 bytes);
- logits: bf16 logits and one fp32 copy for the log-softmax, tokens x vocabulary x 6 bytes.

Tokens per GPU are `--train.max_tokens_per_gpu` (dynamic batches, 16384 in the presets). Disk per checkpoint:
DeepSpeed states (bf16 weights + fp32 master and moments, 14 bytes per parameter) plus HF weights (2 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

from azr_agents.openrlhf.presets import PRESETS, Preset

GB = 1e9
STATE_BYTES = 16
OPTIMIZER_BYTES = 12
TRAIN_TOKENS_PER_GPU = 16384
GPU_GB = 80
CHECKPOINTS_KEPT = 3


@dataclass(frozen=True)
class ModelShape:
    """What the estimate needs of a model (from its Hugging Face config.json)."""

    params: float
    layers: int
    hidden: int
    intermediate: int
    vocab: int


MODELS = {
    "Qwen/Qwen2.5-Coder-3B": ModelShape(3.09e9, 36, 2048, 11008, 151936),
    "Qwen/Qwen2.5-Coder-7B": ModelShape(7.62e9, 28, 3584, 18944, 152064),
    "Qwen/Qwen2.5-7B": ModelShape(7.62e9, 28, 3584, 18944, 152064),
    "Qwen/Qwen2.5-Coder-14B": ModelShape(14.77e9, 48, 5120, 13824, 152064),
    "meta-llama/Llama-3.1-8B": ModelShape(8.03e9, 32, 4096, 14336, 128256),
}


@dataclass(frozen=True)
class Estimate:
    """Gigabytes (1e9 bytes) for one preset."""

    preset: str
    states_gpu: float
    activations: float
    logits: float
    adam_cpu_per_node: float
    checkpoint_disk: float

    @property
    def train_peak_gpu(self) -> float:
        return self.states_gpu + self.activations + self.logits


def estimate(preset: Preset, tokens_per_gpu: int = TRAIN_TOKENS_PER_GPU) -> Estimate:
    m = MODELS[preset.model]
    p, g = m.params, preset.gpus
    weights = 2 * p if preset.zero_stage < 3 else 2 * p / g
    grads = 2 * p / g
    optimizer = 0.0 if preset.adam_offload else OPTIMIZER_BYTES * p / g
    adam_cpu = OPTIMIZER_BYTES * p / g * preset.gpus_per_node if preset.adam_offload else 0.0
    activations = tokens_per_gpu * m.hidden * 2 * m.layers + tokens_per_gpu * (4 * m.hidden + 3 * m.intermediate) * 2
    logits = tokens_per_gpu * m.vocab * 6
    disk = (14 * p + 2 * p) * CHECKPOINTS_KEPT + 2 * p
    return Estimate(preset.name, (weights + grads + optimizer) / GB, activations / GB, logits / GB, adam_cpu / GB,
                    disk / GB)  # fmt: skip


def arithmetic(preset: Preset) -> str:
    """The model-state figure of `preset` written out, e.g. `7.62B x 16 B / 4`."""
    p = MODELS[preset.model].params / 1e9
    sharded = (2 + 2 if preset.adam_offload else STATE_BYTES) - (2 if preset.zero_stage < 3 else 0)
    whole = f"{p:.2f}B x 2 B + " if preset.zero_stage < 3 else ""
    return f"{whole}{p:.2f}B x {sharded} B / {preset.gpus}"


def table() -> str:
    """Markdown table of every preset (docs/openrlhf.md embeds it; a test keeps the two equal)."""
    rows = ["| preset | model states / GPU | activations | logits | training peak / GPU | Adam on CPU / node "
            f"| disk ({CHECKPOINTS_KEPT} checkpoints + final) |",
            "|---|---|---|---|---|---|---|"]  # fmt: skip
    for preset in PRESETS.values():
        e = estimate(preset)
        cpu = f"{e.adam_cpu_per_node:.0f} GB" if e.adam_cpu_per_node else "-"
        rows.append(f"| {preset.name} | {e.states_gpu:.1f} GB ({arithmetic(preset)}) | {e.activations:.1f} GB "
                    f"| {e.logits:.1f} GB | {e.train_peak_gpu:.1f} GB of {GPU_GB} | {cpu} | "
                    f"{e.checkpoint_disk:.0f} GB |")  # fmt: skip
    return "\n".join(rows) + "\n"
