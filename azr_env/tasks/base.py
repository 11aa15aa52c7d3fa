"""Shared vocabulary of the task types: tasks, configuration, verdicts and deferred executor work.

A task type never calls the executor itself. Its checks return either a final result or a `Pending` (the
executor jobs it needs and how to finish once their results exist), so that `azr_env.rounds` can run the jobs
of a whole batch, of all task types, in one `Executor.run_many` call. Envs and trainers share that one path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from azr_env.errors import ConfigError, DataError
from azr_env.tasks.program_checks import BANNED_MODULES

T = TypeVar("T")


@dataclass(frozen=True)
class Task:
    """One AZR task: a program `f`, argument lists and the gold reprs of `f(*args)`.

    Deduction, abduction and error-type tasks have one input; induction tasks have 10 (the first half shown
    to the solver with their outputs, the second half hidden) and a `message`. `outputs[i]` is
    `repr(f(inputs[i]))` (for error-type tasks, the exception type name or `NoError`). `source` says where
    the task came from.
    """

    task_type: str
    program: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    message: str = ""
    source: str = ""

    @property
    def input(self) -> str:
        return self.inputs[0]

    @property
    def output(self) -> str:
        return self.outputs[0]

    @property
    def num_shown(self) -> int:
        """Induction: how many (input, output) pairs the solver sees; the rest are hidden and decide."""
        return len(self.inputs) - len(self.inputs) // 2

    def key(self) -> tuple:
        """Exact-duplicate key (SPEC §5): what the proposer chose; outputs follow from it."""
        return (self.task_type, self.program, self.inputs, self.message)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"inputs": list(self.inputs), "outputs": list(self.outputs)}

    @classmethod
    def from_dict(cls, row: dict[str, Any], task_type: str | None = None) -> Task:
        """Build from `{program, input, output}` or `{program, inputs, outputs, message}` rows, or from a row of
        the reference's released seed files (`snippet`, ...; see `azr_env.seeds`)."""
        if isinstance(row, dict) and "snippet" in row and "program" not in row:
            from azr_env.seeds import task_from_seed_row

            return task_from_seed_row(row, row.get("task_type") or task_type)
        try:
            kind = row.get("task_type") or task_type
            inputs = row["inputs"] if "inputs" in row else [row["input"]]
            outputs = row["outputs"] if "outputs" in row else [row["output"]]
            task = cls(
                task_type=str(kind),
                program=str(row["program"]),
                inputs=tuple(str(x) for x in inputs),
                outputs=tuple(str(x) for x in outputs),
                message=str(row.get("message", "")),
                source=str(row.get("source", "")),
            )
        except (KeyError, TypeError) as exc:
            raise DataError(f"task row {str(row)[:200]!r} lacks a field ({exc}); need program, input, output") from exc
        if not kind or len(task.inputs) != len(task.outputs) or not task.inputs:
            raise DataError(f"task row {str(row)[:200]!r}: need a task_type and as many outputs as inputs (>= 1)")
        return task


@dataclass(frozen=True)
class Rejection:
    """Why a proposal is not a valid task: a stable `reason` code and a precise `detail`."""

    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Verdict:
    """The checked solver answer: correct or not, and why (`reason` is a stable code)."""

    correct: bool
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class Job:
    """One executor call: exec `program`, then eval `expression`."""

    program: str
    expression: str
    check_determinism: bool = False


@dataclass
class Pending(Generic[T]):
    """Executor work still to do: run `jobs` (order kept), then `finish(results)` gives a T or a Pending."""

    jobs: list[Job]
    finish: Callable[[list[Any]], T | Pending[T]]


@dataclass(frozen=True)
class ParsedAnswer:
    """A parsed solver response: `format_ok` per SPEC §1, `answer` the extracted text (None if none)."""

    format_ok: bool
    answer: str | None
    reason: str = ""
    detail: str = ""


def fence(kind: str, body: str) -> str:
    """A fenced block as responses carry them: ```kind, the body, ```."""
    return f"```{kind}\n{body}\n```"


@runtime_checkable
class TaskType(Protocol):
    """What a task type knows, all of it: the registry returns these (`azr_env.tasks.registry`).

    A new type is one module with a class satisfying this protocol plus one `register_task_type` line; it then
    gets its gym ids (`AZR-<Name>-v0`, `AZR-Propose-<Name>-v0`), the scripted agents' gold and proposal
    responses (`gold_answer`, `proposal_answer`) and training under `azr selfplay` (`task_types`).
    """

    name: str
    """Registry name, also the buffer and metric name."""
    reference_types: tuple[str, ...]
    """Buffers the proposer's reference tasks are drawn from."""

    def num_references(self, config: TaskConfig) -> int:
        """K, references shown in one proposer prompt."""
        ...

    def proposer_prompt(self, references: Sequence[Task], config: TaskConfig) -> str:
        """The proposer's user prompt (before the R1 / chat wrapping)."""
        ...

    def propose(self, response: str, references: Sequence[Task], config: TaskConfig) -> Task | Rejection | Pending:
        """A proposal response -> the validated task, why it is not one, or the executor work still needed."""
        ...

    def recheck_jobs(self, task: Task, config: TaskConfig) -> list[Job]:
        """Jobs re-run under another PYTHONHASHSEED (SPEC §3.4)."""
        ...

    def recheck_matches(self, task: Task, results: list, config: TaskConfig) -> bool:
        """Whether those jobs reproduced the task."""
        ...

    def solver_prompt(self, task: Task, config: TaskConfig) -> str:
        """The solver's user prompt for `task`."""
        ...

    def parse_answer(self, response: str, config: TaskConfig) -> ParsedAnswer:
        """A solver response -> its answer text (pure, no execution)."""
        ...

    def check(self, task: Task, answer: str, config: TaskConfig) -> Verdict | Pending:
        """Whether `answer` solves `task`, or the executor work still needed."""
        ...

    def zero_task(self) -> Task:
        """The task an empty buffer of this type starts from (SPEC §5)."""
        ...

    def gold_answer(self, task: Task) -> str:
        """What goes inside `<answer>` to solve `task` (scripted agents, pretraining transcripts)."""
        ...

    def proposal_answer(self, task: Task) -> str:
        """What goes inside `<answer>` to propose `task` again."""
        ...


LONG_OUTPUT_POLICIES = ("reject", "truncate")
ANSWER_MODES = ("data", "expression")
F_REPLACE_LOCATIONS = ("first", "any_last")
PROMPT_FORMATS = ("r1", "raw", "chat")
"""How a task prompt reaches the model; the one definition, imported by the envs, trainers and evals. "r1": the
SPEC §1 preamble in plain text (the reference's); "raw": the user text unchanged; "chat": the user text unchanged,
wrapped by the model's own chat template where it is generated (the backend or the trainer applies it)."""


@dataclass(frozen=True)
class TaskConfig:
    """Options of every task type. Defaults reproduce the reference code unless a field says otherwise."""

    banned_modules: tuple[str, ...] = BANNED_MODULES
    """Modules/attributes a proposed program may not use (SPEC §3.2), checked in imports and attribute use."""
    prompt_banned_keywords: tuple[str, ...] = ()
    """The banned words proposer prompts list (`$banned_keywords`); empty: `banned_modules`. The reference's
    `banned_words` names datetime twice; the `paper` preset lists them so for byte-identical prompts."""
    banned_error_keywords: tuple[str, ...] = ()
    """Error-handling keywords the error-type proposer prompt forbids (`banned_error_keywords_line`; reference
    config default empty, its run scripts ('raise',))."""
    forbid_input: bool = True
    """Reject programs containing `input(` (reference rule)."""
    reject_multiple_functions: bool = True
    """Reject a proposed program with more than one `def` (nested functions and methods count). Reference: True by
    default; its Llama and Qwen3 run scripts set False (with f_replace_location "any_last")."""
    f_replace_location: str = "first"
    """Which `def` of a proposed program is renamed `f`: "first" (reference default) or "any_last" (a `def f` if
    there is one, else the last `def` in the text; the reference's Llama and Qwen3 runs)."""
    long_output: str = "reject"
    """Gold reprs over `max_output_chars`: "reject" (azr-env default) or "truncate" (reference)."""
    max_output_chars: int = 400
    """Longest gold repr kept as is (reference: 400 characters)."""
    hash_seed_check: bool = True
    """Re-run a proposed task under another PYTHONHASHSEED and reject it if an output changes (SPEC §3.4)."""
    answer_fallbacks: bool = True
    """Read answers without a fenced block from `<output>`, `# Output:`, "the output is" or the raw answer."""
    num_references: int = 6
    """K, reference tasks shown to the deduction/abduction proposer (reference: 6)."""
    max_prompt_chars: int = 5600
    """Without a tokenizer: proposer prompts over this many characters are re-drawn with other references. The
    reference caps tokens, not characters (see max_prompt_tokens): a character cap is far stricter on code."""
    max_prompt_tokens: int = 5600
    """With the policy's tokenizer (Referee(tokenizer=...), envs' tokenizer=, the trainers): proposer prompts over
    this many tokens are re-drawn with other references (reference: 5600 tokens, `content_max_length`)."""
    induction_num_inputs: int = 10
    """Inputs an induction proposal must give; the last ones written are kept (reference: 10)."""
    prompt_format: str = "r1"
    """"r1": wrap prompts in the R1 preamble (reference); "raw": the bare user prompt; "chat": the bare user prompt,
    which the backend wraps in the model's chat template (see PROMPT_FORMATS)."""
    template_dir: str | None = None
    """Folder whose `<name>.txt` files override the packaged prompt templates, or the path of a user's copy of the
    reference's prompts.py, read as data (`--prompts-from`: the reference's prompts byte for byte); None: packaged."""
    timeout_s: float | None = None
    """Per-execution time limit passed to the executor (None: the executor's own, reference 10 s)."""
    answer_mode: str = "data"
    """How a solver answer is checked (SPEC §2, "answer modes"). Reference: answers are code evaluated with the
    program loaded (`eval(gold) == eval(answer)`, `gold == f(answer)`). Ours: "data" (default) admits literals
    and a few data constructors, since the reference rewards `repr(f(x))` in deduction and builtins-rewriting
    "inputs" in abduction; "expression" (`paper` preset, CRUXEval) admits any expression, evaluated in the
    sandbox (deduction without the program, abduction as exactly one call of `f`), minus dunders, imports,
    exec/eval/compile, get/set/delattr, globals/vars/locals and builtins."""
    max_response_chars: int = 1 << 18
    """Cap on a whole response, checked before any parsing: over it a solver response scores −1 and a
    proposal is invalid (`response_too_long`). Reference: none (its generation length bounds responses)."""
    max_answer_chars: int = 1 << 14
    """Cap on an extracted answer value or argument list, checked before parsing it: over it the answer is
    wrong, −0.5 (`answer_too_long`), or the proposal's input invalid. Reference: none."""
    max_program_chars: int = 1 << 15
    """Cap on an extracted program (a proposal, an induction answer), checked before parsing it
    (`answer_too_long`). Reference: none."""
    predefined_names: bool = True
    """Programs run with `deque`, `Counter`, `defaultdict`, `OrderedDict`, `inf`, `nan` predefined (ours, so
    such programs are valid without an import); False (reference, `paper` preset): only what they import."""
    induction_empty_message: bool = False
    """Accept an induction proposal whose message is empty (reference, `paper` preset); ours rejects it
    (`no_message`): a task without a hint is learnable only from its pairs."""
    induction_gold_imports: bool = True
    """Prepend the gold program's imports to the induction solver's program (reference behaviour)."""

    def __post_init__(self) -> None:
        if self.long_output not in LONG_OUTPUT_POLICIES:
            raise ConfigError(f"long_output={self.long_output!r}; choose one of {LONG_OUTPUT_POLICIES}")
        if self.prompt_format not in PROMPT_FORMATS:
            raise ConfigError(f"prompt_format={self.prompt_format!r}; choose one of {PROMPT_FORMATS}")
        if self.f_replace_location not in F_REPLACE_LOCATIONS:
            raise ConfigError(f"f_replace_location={self.f_replace_location!r}; choose one of {F_REPLACE_LOCATIONS}")
        if self.max_output_chars < 10:
            raise ConfigError(f"max_output_chars={self.max_output_chars}; must be >= 10")
        if self.num_references < 0 or self.induction_num_inputs < 2:
            raise ConfigError(
                f"num_references={self.num_references} must be >= 0 and "
                f"induction_num_inputs={self.induction_num_inputs} >= 2"
            )
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ConfigError(f"timeout_s={self.timeout_s}; must be positive or None")
        if self.answer_mode not in ANSWER_MODES:
            raise ConfigError(f"answer_mode={self.answer_mode!r}; choose one of {ANSWER_MODES}")
        for cap in ("max_response_chars", "max_answer_chars", "max_program_chars"):
            if not isinstance(getattr(self, cap), int) or getattr(self, cap) < 1:
                raise ConfigError(f"{cap}={getattr(self, cap)!r}; must be an int >= 1")


def run_status_rejection(result: Any) -> Rejection | None:
    """Map a failed `ExecutionResult` to a rejection (`execution_error`, `timeout`, ...), else None."""
    if result.ok:
        return None
    reason = "execution_error" if result.status == "error" else result.status
    detail = result.error or result.status
    return Rejection(reason, f"running the task failed: {detail}"[:500])


def apply_long_output(value_repr: str, truncated: bool, config: TaskConfig) -> tuple[str | None, Rejection | None]:
    """SPEC §3.6: gold reprs over the limit are rejected (default) or cut like the reference does."""
    from azr_env.tasks.values import truncate_repr

    if len(value_repr) <= config.max_output_chars and not truncated:
        return value_repr, None
    if config.long_output == "reject":
        return None, Rejection(
            "output_too_long", f"output repr is {len(value_repr)}+ chars; limit {config.max_output_chars}"
        )
    return truncate_repr(value_repr, config.max_output_chars), None


def compact(items: Sequence[str], limit: int = 60) -> str:
    """Short preview of strings for error messages."""
    text = ", ".join(repr(x[:limit]) for x in items[:5])
    return text + (", ..." if len(items) > 5 else "")


__all__ = [
    "Job", "ParsedAnswer", "Pending", "Rejection", "Task", "TaskConfig", "TaskType", "Verdict", "apply_long_output",
    "fence", "field", "run_status_rejection",
]  # fmt: skip
