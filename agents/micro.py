"""The `cpu-micro` model: a tiny byte-level Llama built offline, saved as a normal Hugging Face model folder.

Why a real HF folder: every code path the trainer uses on a 7B model (tokenizer, chat template, `generate`,
saving, the OpenAI server) runs unchanged on it, in seconds, on a CPU. The tokenizer has one token per byte
(256) plus `<|pad|>`, `<|bos|>` and `<|eos|>`, so it can write any text and needs no training or download.

Weights are either random (`build_micro_model`, for tests) or trained by `azr pretrain-micro` on generated
transcripts (agents/pretrain.py); `micro_model_path()` returns the cached pretrained folder, building it on
first use.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from azr_env.errors import ConfigError

PAD, BOS, EOS = "<|pad|>", "<|bos|>", "<|eos|>"
# A minimal chat template so `chat_template=True` works on the micro model as on real instruct models.
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


@dataclass
class MicroModelConfig:
    """Architecture of the micro model (a LlamaForCausalLM). Defaults: ~0.9M parameters, fast on 1-2 cores."""

    hidden_size: int = 128
    """Width of the residual stream."""
    num_layers: int = 4
    """Transformer blocks."""
    num_heads: int = 4
    """Attention heads (hidden_size must divide evenly)."""
    intermediate_size: int = 384
    """MLP width."""
    max_positions: int = 1536
    """Longest prompt + response in bytes the model can see (RoPE, so this only bounds use, not weights)."""
    seed: int = 0
    """Seed of the random initialisation."""

    def __post_init__(self) -> None:
        if self.hidden_size % self.num_heads:
            raise ConfigError(
                f"hidden_size={self.hidden_size} must be divisible by num_heads={self.num_heads}"
            )
        for name in ("hidden_size", "num_layers", "num_heads", "intermediate_size", "max_positions"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)} must be >= 1")


def default_cache_dir() -> Path:
    """Where built models live: $AZR_CACHE_DIR, else ~/.cache/azr-env."""
    return Path(os.environ.get("AZR_CACHE_DIR") or Path.home() / ".cache" / "azr-env")


def build_byte_tokenizer(corpus: Iterable[str] | None = None, vocab_size: int = 512):
    """A byte-level fast tokenizer: every byte is a token, plus `<|pad|>`, `<|bos|>`, `<|eos|>`.

    Without `corpus`: exactly one token per byte (ids 0-255, specials 256-258). With `corpus`: byte-level BPE
    merges learned from it up to `vocab_size` (digits are never merged, so numbers stay digit by digit), which
    cuts sequence lengths about 3x on AZR transcripts. Any text still round-trips exactly.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    byte_level = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    if corpus is None:
        byte_to_char = _bytes_to_unicode()
        vocab = {byte_to_char[b]: b for b in range(256)}
        vocab.update({PAD: 256, BOS: 257, EOS: 258})
        tok = Tokenizer(models.BPE(vocab=vocab, merges=[], fuse_unk=False))
        tok.pre_tokenizer = byte_level
    else:
        tok = Tokenizer(models.BPE(fuse_unk=False))
        tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Digits(individual_digits=True), byte_level])
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[PAD, BOS, EOS],
                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
        tok.train_from_iterator(corpus, trainer)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([PAD, BOS, EOS])
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, bos_token=BOS, eos_token=EOS, padding_side="left"
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def _bytes_to_unicode() -> dict[int, str]:
    """The GPT-2 byte -> printable character table that the ByteLevel pre-tokenizer uses."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1))
    printable += list(range(ord("®"), ord("ÿ") + 1))
    table, extra = {}, 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def build_micro_model(out_dir: str | Path, config: MicroModelConfig | None = None, tokenizer=None) -> Path:
    """Write a randomly initialised micro model + tokenizer to `out_dir` (a normal HF folder) and return it.

    `tokenizer` defaults to the plain one-token-per-byte tokenizer (`build_byte_tokenizer()`).
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = config or MicroModelConfig()
    tokenizer = tokenizer or build_byte_tokenizer()
    hf_config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=config.hidden_size,
        intermediate_size=config.intermediate_size,
        num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads,
        num_key_value_heads=config.num_heads,
        max_position_embeddings=config.max_positions,
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    torch.manual_seed(config.seed)
    model = LlamaForCausalLM(hf_config)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "azr_micro.json").write_text(json.dumps({"architecture": asdict(config), "pretrained": False}))
    return out


def micro_model_path(cache_dir: str | Path | None = None, *, build: bool = True) -> Path:
    """The cached pretrained micro model folder; runs the `pretrain-micro` recipe on first use if `build`."""
    from azr_agents.pretrain import PretrainConfig

    return _cached_model("cpu-micro", cache_dir, build, lambda out: PretrainConfig(out_dir=str(out)))


HABIT_STEPS = 300
"""Fine-tuning steps that give cpu-micro-habit its habit (step-bounded, so the result does not depend on speed)."""


def habit_model_path(cache_dir: str | Path | None = None, *, build: bool = True) -> Path:
    """`cpu-micro-habit`: cpu-micro fine-tuned so that half its solver answers are a habit (answer `0`).

    The positive control of the learning evidence (docs/trainer.md): the habit is wrong on most tasks and the
    right answers are still in the model, so a working self-play loop must raise held-out accuracy by
    unlearning it from executor feedback alone. Built from the cached cpu-micro in about a CPU minute.
    """
    from azr_agents.pretrain import PretrainConfig

    base = micro_model_path(cache_dir, build=build)
    return _cached_model("cpu-micro-habit", cache_dir, build, lambda out: PretrainConfig(
        out_dir=str(out), init_from=str(base), lazy_share=0.5, max_steps=HABIT_STEPS, max_minutes=60, lr=1e-3,
        warmup_steps=0, seed=7))


def _cached_model(name: str, cache_dir: str | Path | None, build: bool, recipe) -> Path:
    """`<cache>/<name>`, trained by `pretrain_micro(recipe(path))` once (a file lock makes concurrent users wait)."""
    import fcntl

    path = Path(cache_dir or default_cache_dir()) / name

    def ready() -> bool:
        info = path / "azr_micro.json"
        return info.exists() and bool(json.loads(info.read_text()).get("pretrained"))

    if ready():
        return path
    if not build:
        raise ConfigError(f"no pretrained {name} model at {path}: run `azr pretrain-micro` first")
    from azr_agents.pretrain import pretrain_micro

    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.parent / f"{name}.lock", "w") as lock:  # one builder; others wait and reuse its result
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not ready():
            print(f"building the {name} model in {path} (first use, a few CPU minutes)", flush=True)
            pretrain_micro(recipe(path), log=lambda s: print(s, flush=True))
    return path
