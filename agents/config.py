"""`SelfPlayConfig`: every option of `azr selfplay`, one dataclass (TRL's config style), plus presets.

Precedence: dataclass defaults < preset < YAML file < command-line overrides. Defaults reproduce SPEC §6
where a value is the reference's; the `cpu-micro` preset scales the run down to minutes on a CPU.
The CLI flags and their help are generated from the fields and their docstrings (one place to document).
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azr_agents.reflection import CONCERNING_PHRASES, REFLECTION_KEYWORDS

from azr_env.errors import ConfigError

TASK_TYPES = ("deduction", "abduction", "induction")
"""The default task types (the reference's three); any registered type may be trained."""


def canonical_name_or_none(task_type: str) -> str | None:
    from azr_env.tasks.registry import canonical_name

    try:
        return canonical_name(task_type)
    except ConfigError:
        return None


@dataclass
class SelfPlayConfig:
    """All options of the self-play trainer, grouped as in docs/trainer.md."""

    # ---- run ----------------------------------------------------------------------------------------------
    preset: str = "cpu-micro"
    """Named preset applied before the YAML file and overrides: cpu-micro, qwen2.5-coder-3b, qwen2.5-coder-7b, none."""
    run_dir: str = "runs/selfplay"
    """Output folder: metrics.jsonl, samples.jsonl, buffers/, checkpoints/, report/. Re-using it resumes."""
    seed: int = 0
    """Seeds task sampling, generation and initialisation (one block at start-up)."""
    total_steps: int = 500
    """Self-play steps after the seeding stage (reference: about 500)."""
    resume: bool = True
    """Resume from the latest checkpoint in run_dir if there is one."""
    save_every: int = 10
    """Checkpoint every this many steps (and at the end)."""
    threads: int = 0
    """torch CPU threads (0: torch's default)."""
    # ---- model --------------------------------------------------------------------------------------------
    model: str = "cpu-micro"
    """"cpu-micro" (built and cached on first use), "cpu-micro-habit" (cpu-micro with a planted answer habit: the
    positive control of the learning evidence) or a local HF model folder; never downloaded."""
    rollout_backend: str = "hf"
    """"hf" (the training model generates), "vllm" (GPU; weights pushed to vLLM after each update) or "http" (an
    OpenAI-compatible server at rollout_url samples; the local copy of `model` is trained)."""
    rollout_url: str | None = None
    """rollout_backend "http": the server root including /v1, e.g. http://127.0.0.1:8000/v1 (required)."""
    rollout_model: str | None = None
    """rollout_backend "http": the model name sent to the server (default: the first model its GET /v1/models lists)."""
    weight_sync: str = "reload"
    """rollout_backend "http": "reload" (after each update save the weights to run_dir/rollout_weights and POST
    them to the server's /update_weights_from_disk, as SGLang and `azr serve` offer) or "none" (the server keeps its
    weights: off-policy sampling from a frozen model)."""
    device: str = "auto"
    """"auto", "cpu", "cuda", "cuda:N"."""
    dtype: str = "auto"
    """"auto" (bf16 on GPU, fp32 on CPU), "float32", "bfloat16"."""
    chat_template: bool = False
    """Use the tokenizer's chat template instead of the R1 plain-text preamble (prompts become "raw")."""
    gradient_checkpointing: bool = False
    """Trade compute for memory on large models."""
    generation_batch_size: int = 64
    """Sequences the HF backend generates together."""
    cache_dir: str | None = None
    """Where cpu-micro is cached (default $AZR_CACHE_DIR or ~/.cache/azr-env)."""
    # ---- self-play ----------------------------------------------------------------------------------------
    task_types: tuple[str, ...] = TASK_TYPES
    """Task types played each step (reference: deduction, abduction, induction); any registered type, e.g.
    error_type or a plug-in registered with `azr_env.tasks.register_task_type`."""
    batch_per_type: int = 64
    """Proposals per type per step, and solver tasks per type per step (reference: 64)."""
    solver_batch_per_type: int = 0
    """Solver tasks per type per step (0: batch_per_type, as the reference). Larger values top the new tasks up
    with more tasks drawn uniformly from the whole buffer: more solver signal per proposal."""
    n_rollouts: int = 8
    """Solver rollouts per valid proposal to estimate its solve rate (reference: 8)."""
    seed_buffer_size: int = 256
    """Seeding stage: propose until each buffer holds this many tasks (reference: 64 x 4 = 256)."""
    seeding_max_rounds: int = 50
    """Give up seeding after this many rounds (then train with what the buffers hold)."""
    buffer_capacity: int = 16384
    """Tasks per buffer (reference: 16384)."""
    buffer_policy: str = "keep_first"
    """"keep_first" (reference) or "evict_oldest" when a buffer is full."""
    temperature: float = 1.0
    """Sampling temperature for proposals, solutions and rollouts (reference: 1.0)."""
    top_p: float = 1.0
    """Nucleus sampling (reference: 1.0)."""
    max_new_tokens: int = 8096
    """Longest response in tokens (reference: 8096)."""
    template_dir: str | None = None
    """Prompt template folder overriding the packaged prompts (cpu-micro: the compact micro templates)."""
    prompts_from: str | None = None
    """Your copy of the reference's absolute_zero_reasoner/data_construction/prompts.py: its prompts are read from
    it as data (never run) and used byte for byte, the R1 preamble from process_data.py beside it. Reference: its
    own prompts; ours: our wording (we do not ship its text). Overrides template_dir."""
    seed_files: tuple[str, ...] = ()
    """The reference's released seed files (`*_seed_io.jsonl`, `*_code_f_seed_io.jsonl`, `*_error_seed_io.jsonl`,
    comma-separated) loaded into the buffers, first seed_buffer_size tasks per type, through the user-task
    validation, before the seeding stage (which then only tops up). Reference: `azr.seed_dataset` etc."""
    num_references: int = 6
    """K reference tasks in deduction/abduction proposer prompts (reference: 6)."""
    induction_num_inputs: int = 10
    """Inputs an induction proposal must give (reference: 10)."""
    max_prompt_chars: int = 5600
    """Cap on proposer prompts in characters, used only where no tokenizer counts tokens (the trainer always has
    the policy's): over it the references are re-drawn. Reference: it caps tokens, not characters."""
    max_prompt_tokens: int = 5600
    """Proposer prompts over this many tokens of the policy's tokenizer are re-drawn with other references
    (reference: 5600, `content_max_length`)."""
    zero_learnability_reward: float = -0.5
    """Proposer reward for a valid task solved always or never (reference code -0.5; paper equations 0)."""
    diversity_weight: float = 0.0
    """Weight of the optional diversity term added to a valid proposal's reward: 1 minus the largest AST
    node-type similarity to the task's references (reference: the term exists with weight 0). Counters the
    proposer collapsing onto one program family, which small models do (docs/trainer.md, "Evidence")."""
    # ---- optimisation -------------------------------------------------------------------------------------
    estimator: str = "trr++"
    """Advantages: "trr++" (per (type, role) whitening), "reinforce++" (global) or "grpo" (per prompt)."""
    lr: float = 1e-6
    """AdamW learning rate, constant (reference: 1e-6)."""
    weight_decay: float = 0.01
    """AdamW weight decay (reference: 0.01)."""
    grad_clip: float = 1.0
    """Max gradient norm (reference: 1.0)."""
    clip_eps: float = 0.2
    """PPO ratio clip (reference: 0.2)."""
    entropy_coef: float = 0.0
    """Entropy bonus weight (reference 0; paper branch 0.001)."""
    ppo_epochs: int = 1
    """Passes over each step's samples (reference: 1)."""
    mini_batch_size: int = 128
    """Samples per optimizer step (reference: 128, i.e. 3 updates per 384-sample step)."""
    micro_batch_size: int = 8
    """Samples per forward/backward (gradient accumulation inside a mini-batch); memory knob only."""
    # ---- execution, evaluation, logging -------------------------------------------------------------------
    workers: int = 2
    """Executor worker processes."""
    memory_mb: int = 1024
    """Memory limit per executed program."""
    exec_timeout_s: float = 10.0
    """Time limit per executed program (reference: 10 s)."""
    eval_every: int = 10
    """Greedy accuracy on the held-out deduction set every this many steps (0: never)."""
    eval_tasks: int = 64
    """Size of the held-out deduction set (micro curriculum, fixed seed)."""
    progress: str = "auto"
    """"rich" (live table), "plain" (one line per step), "none", or "auto" (rich on a terminal)."""
    tensorboard: bool = False
    """Also write TensorBoard event files to run_dir/tb (needs the `tensorboard` package)."""
    wandb_project: str | None = None
    """Also log to this Weights & Biases project (needs `wandb`)."""
    reflection_keywords: tuple[str, ...] = REFLECTION_KEYWORDS
    """Logged per step: the share of responses containing one of these (reflect/reflect_ratio) and the share of
    correct ones among them, overall and per role and type. Reference: the same metrics with its own list
    (utils/auxiliary.py; `azr_agents.reflection.read_reference_keywords` reads it from your copy)."""
    concerning_phrases: tuple[str, ...] = CONCERNING_PHRASES
    """Responses containing one of these are counted per step (safety/concerning_count) and saved to
    run_dir/flagged.jsonl; `azr report` shows both. Reference: not measured."""
    samples_per_type: int = 4
    """Proposed tasks and solver answers per type kept in samples.jsonl each step (for the report)."""
    report: bool = True
    """Write the report (PNG plots + HTML) at the end."""

    def __post_init__(self) -> None:
        from azr_env.tasks.registry import canonical_name, task_type_names

        known = task_type_names()
        bad = [t for t in self.task_types if canonical_name_or_none(t) is None]
        if bad or not self.task_types:
            raise ConfigError(f"task_types={tuple(self.task_types)}: choose among the registered types {known}")
        self.task_types = tuple(dict.fromkeys(canonical_name(t) for t in self.task_types))
        if self.rollout_backend not in ("hf", "vllm", "http"):
            raise ConfigError(f"rollout_backend={self.rollout_backend!r}: choose 'hf', 'vllm' or 'http'")
        if self.weight_sync not in ("reload", "none"):
            raise ConfigError(f"weight_sync={self.weight_sync!r}: choose 'reload' or 'none'")
        if self.rollout_backend == "http":
            url = (self.rollout_url or "").rstrip("/")
            if not url:
                raise ConfigError("rollout_url is required with rollout_backend='http', e.g. http://127.0.0.1:8000/v1")
            if not url.startswith(("http://", "https://")) or not url.endswith("/v1"):
                raise ConfigError(f"rollout_url={self.rollout_url!r}: give the server root including /v1, "
                                  "e.g. http://127.0.0.1:8000/v1")
        if self.estimator not in ("trr++", "reinforce++", "grpo"):
            raise ConfigError(f"estimator={self.estimator!r}: choose 'trr++', 'reinforce++' or 'grpo'")
        if self.buffer_policy not in ("keep_first", "evict_oldest"):
            raise ConfigError(f"buffer_policy={self.buffer_policy!r}: choose 'keep_first' or 'evict_oldest'")
        if self.progress not in ("auto", "rich", "plain", "none"):
            raise ConfigError(f"progress={self.progress!r}: choose auto, rich, plain or none")
        for name in ("total_steps", "batch_per_type", "n_rollouts", "max_new_tokens", "mini_batch_size",
                     "micro_batch_size", "ppo_epochs", "save_every", "generation_batch_size", "workers"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name}={getattr(self, name)} must be >= 1")
        if self.solver_batch_per_type < 0:
            raise ConfigError(f"solver_batch_per_type={self.solver_batch_per_type} must be >= 0 (0: batch_per_type)")
        if self.micro_batch_size > self.mini_batch_size:
            raise ConfigError(
                f"micro_batch_size={self.micro_batch_size} exceeds mini_batch_size={self.mini_batch_size}; "
                "lower micro_batch_size (it only splits a mini-batch for memory)"
            )
        if not 0 < self.top_p <= 1 or self.temperature <= 0:
            raise ConfigError(
                f"temperature={self.temperature} must be > 0 and top_p={self.top_p} in (0, 1] for training"
            )
        if self.diversity_weight < 0:
            raise ConfigError(f"diversity_weight={self.diversity_weight} must be >= 0")
        if self.lr <= 0 or self.clip_eps <= 0:
            raise ConfigError(f"lr={self.lr} and clip_eps={self.clip_eps} must be > 0")

    @property
    def solver_tasks_per_type(self) -> int:
        return self.solver_batch_per_type or self.batch_per_type

    @property
    def samples_per_step(self) -> int:
        """Training samples per step: proposals plus solutions, all types (reference: 6 x 64 = 384)."""
        return (self.batch_per_type + self.solver_tasks_per_type) * len(self.task_types)

    def task_config(self):
        """The azr_env TaskConfig these options imply."""
        from azr_env.tasks.base import TaskConfig

        return TaskConfig(
            template_dir=self.prompts_from or self.template_dir, num_references=self.num_references,
            induction_num_inputs=self.induction_num_inputs, max_prompt_chars=self.max_prompt_chars,
            max_prompt_tokens=self.max_prompt_tokens,
            prompt_format="raw" if self.chat_template else "r1", timeout_s=self.exec_timeout_s,
        )


def _micro_templates() -> str:
    from azr_agents.micro_prompts import MICRO_TEMPLATE_DIR

    return MICRO_TEMPLATE_DIR


PRESETS: dict[str, dict[str, Any]] = {
    "none": {},
    # Minutes on a 2-core CPU: tiny batches, short responses, a much larger learning rate for a 1M model, more
    # solver tasks per proposal (buffer top-up), and the optional diversity term (docs/trainer.md, "Evidence").
    "cpu-micro": {
        "model": "cpu-micro", "total_steps": 60, "batch_per_type": 8, "solver_batch_per_type": 24, "n_rollouts": 4,
        "seed_buffer_size": 16, "seeding_max_rounds": 10, "max_new_tokens": 64, "num_references": 2,
        "induction_num_inputs": 6, "max_prompt_chars": 1200, "max_prompt_tokens": 1200, "template_dir": "<micro>",
        "lr": 3e-4,
        "entropy_coef": 0.001, "diversity_weight": 0.5, "mini_batch_size": 24, "micro_batch_size": 24,
        "save_every": 5, "eval_every": 10, "eval_tasks": 128, "device": "cpu", "generation_batch_size": 64,
        "threads": 2, "exec_timeout_s": 5.0, "memory_mb": 512,
    },
    # One 80 GB GPU (documented, not run here): vLLM rollouts sharing the GPU with the HF training model.
    "qwen2.5-coder-3b": {
        "model": "Qwen2.5-Coder-3B", "rollout_backend": "vllm", "dtype": "bfloat16", "batch_per_type": 32,
        "max_new_tokens": 4096, "mini_batch_size": 64, "micro_batch_size": 2, "gradient_checkpointing": True,
        "workers": 8, "eval_every": 20,
    },
    "qwen2.5-coder-7b": {
        "model": "Qwen2.5-Coder-7B", "rollout_backend": "vllm", "dtype": "bfloat16", "batch_per_type": 16,
        "max_new_tokens": 4096, "mini_batch_size": 32, "micro_batch_size": 1, "gradient_checkpointing": True,
        "workers": 8, "eval_every": 20,
    },
}


def field_docs(cls: type = SelfPlayConfig) -> dict[str, str]:
    """Field name -> the docstring under it (read from the source, so help text lives in one place)."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for prev, node in itertools.pairwise(body):
        if isinstance(prev, ast.AnnAssign) and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            docs[prev.target.id] = str(node.value.value)  # type: ignore[attr-defined]
    return docs


def _convert(name: str, value: Any) -> Any:
    """Coerce a YAML / CLI value to the field's type (bools accept true/false/1/0, tuples comma lists)."""
    fields = {f.name: f for f in dataclasses.fields(SelfPlayConfig)}
    if name not in fields:
        import difflib

        close = difflib.get_close_matches(name, list(fields), n=1)
        raise ConfigError(f"unknown option {name!r}" + (f"; did you mean {close[0]!r}?" if close else ""))
    default = fields[name].default
    kind = str(fields[name].type)
    if not isinstance(value, str):
        return tuple(value) if "tuple" in kind and isinstance(value, list) else value
    if "bool" in kind:
        if value.lower() in ("1", "true", "yes", "on"):
            return True
        if value.lower() in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{name}={value!r}: expected true or false")
    if "tuple" in kind:
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if "None" in kind and value.lower() in ("none", "null", ""):
        return None
    try:
        if "int" in kind and "float" not in kind and not isinstance(default, float):
            return int(value)
        if "float" in kind:
            return float(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r}: expected a number") from None
    return value


def load_config(preset: str | None = None, yaml_path: str | None = None,
                overrides: dict[str, Any] | None = None) -> SelfPlayConfig:
    """Build the config: defaults < preset < YAML < overrides (values may be strings, as from a CLI)."""
    values: dict[str, Any] = {}
    if yaml_path:
        import yaml

        path = Path(yaml_path)
        if not path.is_file():
            raise ConfigError(f"config file {yaml_path} does not exist")
        loaded = yaml.safe_load(path.read_text()) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{yaml_path}: expected a mapping of option: value")
        values.update({k: _convert(k, v) for k, v in loaded.items()})
    values.update({k: _convert(k, v) for k, v in (overrides or {}).items()})
    name = preset or values.get("preset") or SelfPlayConfig.preset
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    merged = dict(PRESETS[name]) | values | {"preset": name}
    if merged.get("template_dir") == "<micro>":
        merged["template_dir"] = _micro_templates()
    return SelfPlayConfig(**merged)


def to_yaml(config: SelfPlayConfig) -> str:
    import yaml

    return yaml.safe_dump({k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(config).items()},
                          sort_keys=False)


__all__ = ["PRESETS", "SelfPlayConfig", "field", "field_docs", "load_config", "to_yaml"]
