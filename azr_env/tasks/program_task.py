"""What deduction, abduction and error-type tasks share: a proposal is one program and one input (SPEC §2–3).

Subclasses set `name`, the solver template and how a solver answer is checked. Checks happen in the order of
SPEC §3; each failure is a `Rejection` with a stable reason code (listed in docs/envs.md).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from azr_env.tasks.answer_checks import (
    ANSWER_TOO_LONG,
    program_prelude,
    proposal_precheck,
    solver_precheck,
    text_too_long,
)
from azr_env.tasks.base import (
    Job,
    ParsedAnswer,
    Pending,
    Rejection,
    Task,
    TaskConfig,
    Verdict,
    apply_long_output,
    fence,
    run_status_rejection,
)
from azr_env.tasks.parsing import answer_section, answer_value, code_blocks, first_block
from azr_env.tasks.program_checks import check_program
from azr_env.tasks.templates import banned_keyword_fields, reference_sections, render
from azr_env.tasks.values import argument_list_problem

ZERO_PROGRAM = "def f(a):\n    return a"
ZERO_INPUT = "'Hello world'"


def call_expression(arguments: str) -> str:
    """`f(<arguments>)` with line breaks, so that a trailing comment in the arguments cannot eat the `)`."""
    return f"f(\n{arguments}\n)"


def import_lines(program: str) -> str:
    """The program's top-level imports only: context for evaluating a value without giving away `f`."""
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return ""
    segments = [
        ast.get_source_segment(program, node) or ""
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    return "\n".join(s for s in segments if s)


def parse_program_proposal(response: str, config: TaskConfig) -> tuple[str, str] | Rejection:
    """Response -> (program renamed to `f`, input text), or the first rule it breaks (pure, no execution).

    The program is the first fenced block of any tag (reference); the input the first ```input block.
    """
    early = proposal_precheck(response, config)
    if early:
        return early
    answer = answer_section(response) or ""
    programs = code_blocks(answer)
    if not programs:
        return Rejection("no_program", "no fenced code block inside <answer>")
    code = programs[0]
    too_long = text_too_long(code, config.max_program_chars, "the program")
    if too_long:
        return Rejection(ANSWER_TOO_LONG, too_long)
    program, problem = check_program(code, banned=config.banned_modules, forbid_input=config.forbid_input,
                                     reject_multiple_functions=config.reject_multiple_functions,
                                     f_replace_location=config.f_replace_location)  # fmt: skip
    if problem:
        return Rejection(problem.reason, problem.detail)
    arguments = first_block(answer, "input")
    if arguments is None:
        return Rejection("no_input", "no ```input block inside <answer>")
    too_long = text_too_long(arguments, config.max_answer_chars, "the input")
    if too_long:
        return Rejection(ANSWER_TOO_LONG, too_long)
    problem_text = argument_list_problem(arguments)
    if problem_text:
        return Rejection("bad_input", f"input {arguments[:80]!r}: {problem_text}")
    return program, arguments.strip()


class ProgramTaskType:
    """Base of the single-input task types. Stateless; one shared instance per type lives in the registry."""

    name = ""
    reference_types: tuple[str, ...] = ()
    solve_template = ""
    propose_template = ""

    # ---- proposer side -------------------------------------------------------------------------------------
    def num_references(self, config: TaskConfig) -> int:
        return config.num_references

    output_block = "output"  # the reference sections' block name for the gold output ("error" for error type)

    def proposer_prompt(self, references: Sequence[Task], config: TaskConfig) -> str:
        source = config.template_dir
        refs = reference_sections(references, source, output_block=self.output_block)
        rules = render("program_rules", source)
        banned = config.prompt_banned_keywords or config.banned_modules
        fields = banned_keyword_fields(banned, config.banned_error_keywords, source)
        return render(self.propose_template, source, references=refs, rules=rules, **fields)

    def propose(self, response: str, references: Sequence[Task], config: TaskConfig) -> Task | Rejection | Pending:
        """Validate a proposal: a Task, a Rejection, or the executor work that decides (SPEC §3)."""
        parsed = parse_program_proposal(response, config)
        if isinstance(parsed, Rejection):
            return parsed
        program, arguments = parsed
        job = Job(program_prelude(config) + program, call_expression(arguments), check_determinism=True)
        return Pending([job], lambda results: self.finish_proposal(program, arguments, results[0], config))

    def finish_proposal(self, program: str, arguments: str, result, config: TaskConfig) -> Task | Rejection:
        failed = run_status_rejection(result)
        if failed:
            return failed
        if result.deterministic is False:
            return Rejection("nondeterministic", "two calls of f on the input returned different values")
        output, rejection = apply_long_output(result.value_repr or "", result.truncated, config)
        if rejection:
            return rejection
        return Task(self.name, program, (arguments,), (output,), source="proposal")

    def recheck_jobs(self, task: Task, config: TaskConfig) -> list[Job]:
        """Jobs whose results must reproduce the task's outputs (run under another hash seed, SPEC §3.4)."""
        return [Job(program_prelude(config) + task.program, call_expression(x)) for x in task.inputs]

    def recheck_matches(self, task: Task, results: list, config: TaskConfig) -> bool:
        for gold, result in zip(task.outputs, results):
            if not result.ok:
                return False
            output, _ = apply_long_output(result.value_repr or "", result.truncated, config)
            if output != gold:
                return False
        return True

    # ---- solver side ---------------------------------------------------------------------------------------
    def solver_prompt(self, task: Task, config: TaskConfig) -> str:
        return render(self.solve_template, config.template_dir, program=task.program, input=task.input,
                      output=task.output)  # fmt: skip

    answer_block = "output"

    def parse_answer(self, response: str, config: TaskConfig) -> ParsedAnswer:
        """Cap and format first; then the answer text, possibly empty (an empty answer is wrong, not
        unparsable: `check` decides). A value over `max_answer_chars` is cut to the cap plus one character
        here, so that `check` sees it is too long without anything downstream holding the whole text."""
        early = solver_precheck(response, config)
        if early:
            return early
        text = answer_value(answer_section(response) or "", self.answer_block, fallbacks=config.answer_fallbacks)
        return ParsedAnswer(True, text[: config.max_answer_chars + 1], "")

    def check(self, task: Task, answer: str, config: TaskConfig) -> Verdict | Pending:
        raise NotImplementedError

    def zero_task(self) -> Task:
        return Task(self.name, ZERO_PROGRAM, (ZERO_INPUT,), (ZERO_INPUT,), source="zero")

    # ---- scripted responses (TaskType) ---------------------------------------------------------------------
    def gold_answer(self, task: Task) -> str:
        """The solving answer: the `answer_block` with the task's input (abduction) or output (the others)."""
        return fence(self.answer_block, task.input if self.answer_block == "input" else task.output)

    def proposal_answer(self, task: Task) -> str:
        """A proposal of `task` again: its program and input."""
        return fence("python", task.program) + "\n" + fence("input", task.input)
