"""`SelfPlayConfig`: every option of `azr selfplay` (TRL's config style), plus presets.

The trainer's own options are fields here; the environment's options are nested, documented once where they
live: `task` (`azr_env.tasks.TaskConfig`: rules, parsing, prompts), `rewards` (`azr_env.rewards.RewardConfig`) and
`step` (`azr_env.step.StepConfig`: how the step and the seeding stage play). Flags and YAML keys address them
with a dot (`--task.long-output truncate`, `task: {long_output: truncate}` or `task.long_output: truncate`);
the flat spellings of before (`--num-references`, `exec_timeout_s`, ...) still work as aliases.

Precedence: dataclass defaults < preset < YAML file < command-line overrides. Defaults reproduce the
reference (SPEC) except where SPEC names a deliberate difference; the `paper` preset also sets what is not a
default; `cpu-micro` scales the run down to minutes on a CPU. The CLI flags, their help and docs/options.md are
generated from the fields and their docstrings (one place to document).
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
from azr_env.rewards import RewardConfig
from azr_env.step import StepConfig
from azr_env.tasks.base import TaskConfig

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
    """Named preset applied before the YAML file and overrides: cpu-micro, qwen2.5-coder-3b, qwen2.5-coder-7b, paper,
    none (PRESET_DESCRIPTIONS says what each does)."""
    run_dir: str = "runs/selfplay"
    """Output folder: metrics.jsonl, samples.jsonl, buffers/, checkpoints/, report/. Re-using it resumes."""
    seed: int = 0
    """Seeds task sampling, generation and initialisation (one block at start-up)."""
    total_steps: int = 500
    """Self-play steps after the seeding stage (reference: about 500)."""
    resume: bool = True
    """Resume from the latest checkpoint in run_dir if there is one. False on a run_dir that holds a previous run
    is refused (a fresh start would discard it): use a new run_dir."""
    allow_weak_sandbox: bool = False
    """Train even where bubblewrap is unusable, with the executor's weaker fallback isolation (model-written
    programs could then reach the network). Default: refuse to start. The mode is recorded in run_dir/sandbox.json."""
    save_every: int = 10
    """Checkpoint every this many steps (and at the end)."""
    threads: int = 0
    """torch CPU threads (0: torch's default)."""
    # ---- model --------------------------------------------------------------------------------------------
    model: str = "cpu-micro"
    """"cpu-micro" (built and cached on first use), "cpu-micro-habit" (cpu-micro with a planted answer habit: the
    positive control of the learning evidence) or a local HF model folder; never downloaded."""
    rollout_backend: str = "hf"
    """Who samples, by the backend names of `azr_agents.models.BACKENDS`: "hf" (the training model generates),
    "vllm" (GPU; weights pushed to vLLM after each update) or "openai" (an OpenAI-compatible server at rollout_url
    samples; the local copy of `model` is trained; "http" is the old name)."""
    rollout_url: str | None = None
    """rollout_backend "openai": the server root including /v1, e.g. http://127.0.0.1:8000/v1 (required)."""
    rollout_model: str | None = None
    """rollout_backend "openai": the model name sent to the server (default: the first model GET /v1/models lists)."""
    weight_sync: str = "reload"
    """rollout_backend "openai": "reload" (after each update save the weights to run_dir/rollout_weights and POST
    them to the server's /update_weights_from_disk, as SGLang and `azr serve` offer) or "none" (the server keeps its
    weights: off-policy sampling from a frozen model)."""
    device: str = "auto"
    """"auto", "cpu", "cuda", "cuda:N"."""
    dtype: str = "auto"
    """"auto" (bf16 on GPU, fp32 on CPU), "float32", "bfloat16"."""
    chat_template: bool = False
    """Use the tokenizer's chat template instead of the R1 plain-text preamble (sets task.prompt_format "raw")."""
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
    """Seeding rounds allowed (per phase, see step.seed_shared_pool); a buffer still short stops the run with a
    message naming it."""
    buffer_capacity: int = 16384
    """Tasks per buffer (reference: 16384)."""
    buffer_policy: str = "keep_first"
    """"keep_first" (reference) or "evict_oldest" when a buffer is full."""
    buffer_dedup: str = "seeding"
    """Exact duplicates: dropped only while seeding, later ones enter the buffer again ("seeding", reference: it
    appends every valid task) or always dropped ("always")."""
    temperature: float = 1.0
    """Sampling temperature for proposals, solutions and rollouts (reference: 1.0)."""
    top_p: float = 1.0
    """Nucleus sampling (reference: 1.0)."""
    max_new_tokens: int = 8096
    """Longest response in tokens (reference: 8096)."""
    max_prompt_length: int = 6144
    """Prompts longer than this many tokens of the policy's tokenizer are left out of the step: proposer prompts
    before sampling, solver tasks from the solver batch (reference: data.max_prompt_length 6144, its datasets
    filter longer prompts)."""
    prompts_from: str | None = None
    """Your copy of the reference's absolute_zero_reasoner/data_construction/prompts.py: its prompts are read from
    it as data (never run) and used byte for byte, the R1 preamble from process_data.py beside it. Reference: its
    own prompts; ours: our wording (we do not ship its text). Overrides template_dir."""
    seed_files: tuple[str, ...] = ()
    """The reference's released seed files (`*_seed_io.jsonl`, `*_code_f_seed_io.jsonl`, `*_error_seed_io.jsonl`,
    comma-separated) loaded into the buffers, first seed_buffer_size tasks per type, through the user-task
    validation, before the seeding stage (which then only tops up). Reference: `azr.seed_dataset` etc."""
    # ---- the environment's options, documented where they live ------------------------------------------------
    task: TaskConfig = field(default_factory=TaskConfig)
    """Task rules, parsing and prompts: `azr_env.tasks.TaskConfig` (flags --task.NAME)."""
    rewards: RewardConfig = field(default_factory=RewardConfig)
    """Reward values and optional terms: `azr_env.rewards.RewardConfig` (flags --rewards.NAME)."""
    step: StepConfig = field(default_factory=StepConfig)
    """How the self-play step and the seeding stage play: `azr_env.step.StepConfig` (flags --step.NAME)."""
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
    minibatch_order: str = "by_type"
    """How a step's samples are cut into mini-batches: "by_type" (reference: concatenated per task type, proposer
    then solver samples, and split in order, so an optimiser step mostly sees one type) or "shuffle"."""
    # ---- execution, evaluation, logging -------------------------------------------------------------------
    workers: int = 2
    """Executor worker processes."""
    memory_mb: int = 1024
    """Memory limit per executed program."""
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

        for name, cls in SECTIONS.items():  # a section given as a mapping (YAML, asdict) becomes its dataclass
            value = getattr(self, name)
            if isinstance(value, dict):
                setattr(self, name, cls(**{k: _convert(f"{name}.{k}", v) for k, v in value.items()}))
            elif not isinstance(value, cls):
                raise ConfigError(f"{name}={value!r}: expected a {cls.__name__} or a mapping of its options")
        known = task_type_names()
        bad = [t for t in self.task_types if canonical_name_or_none(t) is None]
        if bad or not self.task_types:
            raise ConfigError(f"task_types={tuple(self.task_types)}: choose among the registered types {known}")
        self.task_types = tuple(dict.fromkeys(canonical_name(t) for t in self.task_types))
        self.rollout_backend = BACKEND_ALIASES.get(self.rollout_backend, self.rollout_backend)
        if self.rollout_backend not in ROLLOUT_BACKENDS:
            raise ConfigError(f"rollout_backend={self.rollout_backend!r}: choose one of {ROLLOUT_BACKENDS}")
        if self.weight_sync not in ("reload", "none"):
            raise ConfigError(f"weight_sync={self.weight_sync!r}: choose 'reload' or 'none'")
        if self.rollout_backend == "openai":
            url = (self.rollout_url or "").rstrip("/")
            if not url:
                raise ConfigError("rollout_url is required with rollout_backend='openai', e.g. "
                                  "--rollout-url http://127.0.0.1:8000/v1")  # fmt: skip
            if not url.startswith(("http://", "https://")) or not url.endswith("/v1"):
                raise ConfigError(f"rollout_url={self.rollout_url!r}: give the server root including /v1, "
                                  "e.g. http://127.0.0.1:8000/v1")
        elif self.rollout_url or self.rollout_model:
            raise ConfigError(f"rollout_url / rollout_model are set but rollout_backend={self.rollout_backend!r} "
                              "does not use them; add --rollout-backend openai or drop them")  # fmt: skip
        choices = {"estimator": ("trr++", "reinforce++", "grpo"), "buffer_policy": ("keep_first", "evict_oldest"),
                   "buffer_dedup": ("seeding", "always"), "progress": ("auto", "rich", "plain", "none"),
                   "minibatch_order": ("by_type", "shuffle")}  # fmt: skip
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ConfigError(f"{name}={getattr(self, name)!r}: choose one of {', '.join(allowed)}")
        for name in ("total_steps", "batch_per_type", "n_rollouts", "max_new_tokens", "mini_batch_size",
                     "micro_batch_size", "ppo_epochs", "save_every", "generation_batch_size", "workers",
                     "max_prompt_length"):
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
        if self.lr <= 0 or self.clip_eps <= 0:
            raise ConfigError(f"lr={self.lr} and clip_eps={self.clip_eps} must be > 0")
        if self.n_rollouts < 2:
            raise ConfigError(f"n_rollouts={self.n_rollouts}: one rollout makes every solve rate 0 or 1, so every "
                              "valid proposal gets rewards.zero_learnability_reward; use --n-rollouts 2 or more")
        if self.seed_buffer_size > self.buffer_capacity:
            raise ConfigError(f"seed_buffer_size={self.seed_buffer_size} exceeds buffer_capacity="
                              f"{self.buffer_capacity}: seeding could never finish; lower --seed-buffer-size or "
                              "raise --buffer-capacity")  # fmt: skip
        # Derived task options: the chat template takes the bare prompt; --prompts-from supplies the templates.
        if self.chat_template and self.task.prompt_format == "r1":
            self.task = dataclasses.replace(self.task, prompt_format="raw")
        if self.prompts_from and self.task.template_dir != self.prompts_from:
            self.task = dataclasses.replace(self.task, template_dir=self.prompts_from)

    @property
    def solver_tasks_per_type(self) -> int:
        return self.solver_batch_per_type or self.batch_per_type

    @property
    def samples_per_step(self) -> int:
        """Training samples per step: proposals plus solutions, all types (reference: 6 x 64 = 384)."""
        return (self.batch_per_type + self.solver_tasks_per_type) * len(self.task_types)

    def task_config(self) -> TaskConfig:
        """The azr_env TaskConfig of this run (the `task` section)."""
        return self.task


SECTIONS: dict[str, type] = {"task": TaskConfig, "rewards": RewardConfig, "step": StepConfig}
"""Nested option groups: field name -> the azr_env dataclass that defines and documents its options."""
ROLLOUT_BACKENDS = ("hf", "vllm", "openai")
BACKEND_ALIASES = {"http": "openai"}
"""Old backend names still accepted (`rollout_backend: http` of runs made before the backend names were unified)."""
RENAMED = {"exec_timeout_s": "task.timeout_s"}
"""Old flat option names whose new place has another name; other old flat names (num_references,
max_prompt_chars, zero_learnability_reward, ...) are found in their section by name."""


def _old_name_property(path: str) -> property:
    section, _, name = path.partition(".")
    return property(lambda self: getattr(getattr(self, section), name), doc=f"Alias of `{path}` (read-only).")


for _old in ("template_dir", "num_references", "induction_num_inputs", "max_prompt_chars", "max_prompt_tokens"):
    setattr(SelfPlayConfig, _old, _old_name_property(f"task.{_old}"))
for _old in ("zero_learnability_reward", "diversity_weight"):
    setattr(SelfPlayConfig, _old, _old_name_property(f"rewards.{_old}"))
SelfPlayConfig.exec_timeout_s = _old_name_property("task.timeout_s")  # type: ignore[attr-defined]


def _micro_templates() -> str:
    from azr_agents.micro_prompts import MICRO_TEMPLATE_DIR

    return MICRO_TEMPLATE_DIR


PRESETS: dict[str, dict[str, Any]] = {
    "none": {},
    # Minutes on a 2-core CPU: tiny batches, short responses, a much larger learning rate for a 1M model, more
    # solver tasks per proposal (buffer top-up), and the optional diversity term (docs/trainer.md, "Evidence").
    "cpu-micro": {
        "model": "cpu-micro", "total_steps": 60, "batch_per_type": 8, "solver_batch_per_type": 24, "n_rollouts": 4,
        "seed_buffer_size": 16, "seeding_max_rounds": 10, "max_new_tokens": 64, "task.num_references": 2,
        "task.induction_num_inputs": 6, "task.max_prompt_chars": 1200, "task.max_prompt_tokens": 1200,
        "task.template_dir": "<micro>", "lr": 3e-4, "entropy_coef": 0.001, "rewards.diversity_weight": 0.5,
        "mini_batch_size": 24, "micro_batch_size": 24, "save_every": 5, "eval_every": 10, "eval_tasks": 128,
        "device": "cpu", "generation_batch_size": 64, "threads": 2, "task.timeout_s": 5.0, "memory_mb": 512,
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
    # The reference's behaviour switch by switch: the defaults already are, except where SPEC names a deliberate
    # difference; this also sets what is not a default (the paper branch's entropy and weight decay, answers as
    # expressions, no predefined names, empty induction messages). The model is yours (--model).
    "paper": {
        "entropy_coef": 0.001, "weight_decay": 0.01, "max_prompt_length": 6144, "task.answer_mode": "expression",
        "task.predefined_names": False, "task.induction_empty_message": True,
    },
}
PRESET_DESCRIPTIONS = {
    "none": "the defaults: the reference's values and behaviour except SPEC's deliberate differences",
    "cpu-micro": "minutes on a 2-core CPU: the 1M-parameter micro model, batches of 8, 64-token responses",
    "qwen2.5-coder-3b": "one 80 GB GPU with vLLM rollouts; scales the batch DOWN from the reference's 64 to 32 "
                        "prompts per type and role, responses to 4096 tokens, mini-batch 64",
    "qwen2.5-coder-7b": "one 80 GB GPU with vLLM rollouts; scales the batch DOWN from the reference's 64 to 16 "
                        "prompts per type and role, responses to 4096 tokens, mini-batch 32",
    "paper": "the reference's behaviour switch by switch (paper branch entropy 0.001 and weight decay 0.01, "
             "prompts up to 6144 tokens, answers as expressions, no predefined names); bring your --model",
}
"""One line per preset for --help and --print-config; presets that shrink the reference's batch say so."""


def field_docs(cls: type = SelfPlayConfig) -> dict[str, str]:
    """Field name -> the docstring under it (read from the source, so help text lives in one place)."""
    tree = ast.parse(inspect.getsource(cls))
    body = tree.body[0].body  # type: ignore[attr-defined]
    docs: dict[str, str] = {}
    for prev, node in itertools.pairwise(body):
        if isinstance(prev, ast.AnnAssign) and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            docs[prev.target.id] = str(node.value.value)  # type: ignore[attr-defined]
    return docs


def option_fields() -> dict[str, dataclasses.Field]:
    """Every option by its dotted name: the trainer's fields, then `task.*`, `rewards.*`, `step.*`."""
    out: dict[str, dataclasses.Field] = {}
    for f in dataclasses.fields(SelfPlayConfig):
        if f.name in SECTIONS:
            out |= {f"{f.name}.{g.name}": g for g in dataclasses.fields(SECTIONS[f.name])}
        else:
            out[f.name] = f
    return out


def option_docs() -> dict[str, str]:
    """Dotted option name -> its docstring, from the class that defines it."""
    docs = {k: v for k, v in field_docs(SelfPlayConfig).items() if k not in SECTIONS}
    for section, cls in SECTIONS.items():
        docs |= {f"{section}.{k}": v for k, v in field_docs(cls).items()}
    return docs


def option_default(name: str) -> Any:
    """The default of a dotted option name."""
    f = option_fields()[name]
    return f.default_factory() if f.default is dataclasses.MISSING else f.default  # type: ignore[misc]


def canonical_option(name: str) -> str:
    """The dotted name of an option given by its name, old flat spelling or CLI spelling (dashes)."""
    name = name.replace("-", "_")
    known = option_fields()
    if name in known:
        return name
    if name in RENAMED:
        return RENAMED[name]
    for section, cls in SECTIONS.items():
        if name in {f.name for f in dataclasses.fields(cls)}:
            return f"{section}.{name}"
    import difflib

    close = difflib.get_close_matches(name, [*known, *RENAMED], n=1)
    raise ConfigError(f"unknown option {name!r}" + (f"; did you mean {close[0]!r}?" if close else ""))


def _convert(name: str, value: Any) -> Any:
    """Coerce a YAML / CLI value to the option's type (bools accept true/false/1/0, tuples comma lists)."""
    name = canonical_option(name)
    spec = option_fields()[name]
    default = option_default(name)
    kind = str(spec.type)
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


def _flatten(values: dict[str, Any]) -> dict[str, Any]:
    """{"task": {"long_output": ...}} and old flat names -> {"task.long_output": ...}, values converted."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in SECTIONS and isinstance(value, dict):
            out |= {canonical_option(f"{key}.{k}"): _convert(f"{key}.{k}", v) for k, v in value.items()}
        elif key in SECTIONS and isinstance(value, SECTIONS[key]):
            out |= {f"{key}.{f.name}": getattr(value, f.name) for f in dataclasses.fields(value)}
        else:
            out[canonical_option(key)] = _convert(key, value)
    return out


def load_config(preset: str | None = None, yaml_path: str | None = None,
                overrides: dict[str, Any] | None = None) -> SelfPlayConfig:
    """Build the config: defaults < preset < YAML < overrides (values may be strings, as from a CLI; keys dotted
    `task.long_output`, nested mappings, or the old flat names)."""
    values: dict[str, Any] = {}
    if yaml_path:
        import yaml

        path = Path(yaml_path)
        if not path.is_file():
            raise ConfigError(f"config file {yaml_path} does not exist")
        loaded = yaml.safe_load(path.read_text()) or {}
        if not isinstance(loaded, dict):
            raise ConfigError(f"{yaml_path}: expected a mapping of option: value")
        values |= _flatten(loaded)
    values |= _flatten(dict(overrides or {}))
    name = preset or values.get("preset") or SelfPlayConfig.preset
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}")
    merged = _flatten(PRESETS[name]) | values | {"preset": name}
    if merged.get("task.template_dir") == "<micro>":
        merged["task.template_dir"] = _micro_templates()
    top = {k: v for k, v in merged.items() if "." not in k}
    for section, cls in SECTIONS.items():
        given = {k.split(".", 1)[1]: v for k, v in merged.items() if k.startswith(section + ".")}
        try:
            top[section] = cls(**given)
        except TypeError as exc:
            raise ConfigError(f"{section}: {exc}") from None
    return SelfPlayConfig(**top)


def to_yaml(config: SelfPlayConfig) -> str:
    """The resolved config as YAML, sections nested (what --print-config prints and run_dir/config.yaml holds)."""
    import yaml

    def plain(value: Any) -> Any:
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    return yaml.safe_dump(plain(dataclasses.asdict(config)), sort_keys=False)


# ---- the command line: one flag per option, help from the docstrings ----------------------------------------------
def add_config_arguments(parser: Any) -> None:
    """`--NAME` per trainer option and `--task.NAME` / `--rewards.NAME` / `--step.NAME` per section option (dashes
    or underscores), help from the docstrings; the old flat spellings are accepted as hidden aliases."""
    import argparse

    docs = option_docs()
    for name in option_fields():
        flags = [f"--{name.replace('_', '-')}"]
        if "_" in name:
            flags.append(f"--{name}")
        default = option_default(name)
        shown = f"{docs.get(name, '')} (default {default!r})".replace("%", "%%")
        if name == "preset":
            parser.add_argument(*flags, dest=name, default=argparse.SUPPRESS, choices=list(PRESETS),
                                help=docs.get(name, "").replace("%", "%%"))  # fmt: skip
        else:
            switch = {"nargs": "?", "const": "true"} if isinstance(default, bool) else {}  # bare `--flag`: true
            parser.add_argument(*flags, dest=name, default=argparse.SUPPRESS, metavar=name.split(".")[-1].upper(),
                                help=shown, **switch)  # fmt: skip
    aliases = {**RENAMED, **{f.name: f"{s}.{f.name}" for s, cls in SECTIONS.items() for f in dataclasses.fields(cls)
                             if f.name not in option_fields()}}  # fmt: skip
    for old, new in aliases.items():
        parser.add_argument(f"--{old.replace('_', '-')}", dest=new, default=argparse.SUPPRESS, help=argparse.SUPPRESS)


def overrides_from_args(args: Any) -> dict[str, Any]:
    """The options given on the command line (dotted names -> raw values)."""
    known = option_fields()
    return {k: v for k, v in vars(args).items() if k in known}


__all__ = ["PRESETS", "PRESET_DESCRIPTIONS", "SECTIONS", "SelfPlayConfig", "add_config_arguments", "field",
           "field_docs", "load_config", "option_docs", "option_fields", "overrides_from_args", "to_yaml"]
