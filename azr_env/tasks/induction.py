"""Induction (`code_f`): from a message and (input, output) pairs, write the program (SPEC §2).

The proposer is shown one program (from the deduction and abduction buffers) and writes inputs plus a
message; the last `induction_num_inputs` (10) inputs are kept and all must run (together, in one sandbox
process and one time limit; on an error they are re-run one by one to name the failing input). The solver
sees the message and the first half of the pairs; its program must reproduce every hidden output (binary).
All hidden inputs run in one sandbox call that never sees the hidden outputs: the list of reprs it returns is
compared here (exact text or equal literals), and an output only evaluation can judge (`Counter(...)`, `inf`)
is compared in a second process that runs no solver code.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from azr_env.tasks.abduction import output_cut
from azr_env.tasks.answer_checks import (
    ANSWER_TOO_LONG,
    program_prelude,
    proposal_precheck,
    sandbox_verdicts,
    solver_precheck,
    states_gold,
    text_too_long,
    value_comparison,
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
from azr_env.tasks.parsing import answer_section, code_blocks, fenced_blocks, message_text
from azr_env.tasks.program_task import ZERO_PROGRAM, call_expression, import_lines
from azr_env.tasks.templates import pair_sections, render
from azr_env.tasks.values import argument_list_problem

MAX_REPRS_CHARS = 1 << 20  # reprs of all inputs of one induction task, as the executor returns them
ZERO_MESSAGE = "Write a function that returns whatever you input"
ZERO_INPUTS = ("'Hello world'", "1", "[1, 2, 3]", "{'a': 1}", "(2, 'b')", "True")
_CODE_IN_MESSAGE = re.compile(r"\bdef\s+\w+\s*\(|\blambda\b[^:\n]*:|```")


def solver_program(code: str) -> tuple[str | None, str]:
    """The solver's code if it defines a top-level `f` (a single other top-level def is renamed to `f`)."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, MemoryError, RecursionError) as exc:
        return None, f"program does not parse: {type(exc).__name__}"
    top = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if any(n.name == "f" for n in top):
        return code, ""
    if len(top) == 1 and isinstance(top[0], ast.FunctionDef):
        return code + f"\n\nf = {top[0].name}\n", ""
    return None, "program defines no function f"


def reprs_expression(inputs: Sequence[str]) -> str:
    """One expression evaluating `[repr(f(x1)), repr(f(x2)), ...]`: all inputs in one sandbox process."""
    return "[" + ", ".join(f"repr({call_expression(x)})" for x in inputs) + "]"


def _read_reprs(result, count: int) -> list[str] | None:
    """The list of reprs a `reprs_expression` job returned, or None if it cannot be read back in full.

    The text is the executor's own repr of a list of `count` strings (at most its value cap): it is parsed
    only after checking that the tree is exactly that shape, so the cost stays linear in its length.
    """
    text = result.value_repr or ""
    if result.truncated or len(text) > MAX_REPRS_CHARS:
        return None
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    items = tree.body.elts if isinstance(tree.body, ast.List) else None
    if items is None or len(items) != count:
        return None
    if not all(isinstance(item, ast.Constant) and isinstance(item.value, str) for item in items):
        return None
    return [item.value for item in items]


class InductionTask:
    name = "induction"
    reference_types = ("deduction", "abduction")

    def num_references(self, config: TaskConfig) -> int:
        return 1

    def proposer_prompt(self, references: Sequence[Task], config: TaskConfig) -> str:
        program = references[0].program if references else ZERO_PROGRAM
        return render("propose_induction", config.template_dir, program=program,
                      num_inputs=config.induction_num_inputs)  # fmt: skip

    def propose(self, response: str, references: Sequence[Task], config: TaskConfig) -> Task | Rejection | Pending:
        if not references:
            return Rejection("no_reference", "induction proposals need the program they were shown")
        program = references[0].program
        early = proposal_precheck(response, config)
        if early:
            return early
        answer = answer_section(response) or ""
        wanted = config.induction_num_inputs
        inputs = [x.strip() for x in fenced_blocks(answer, "input")][-wanted:]
        if len(inputs) < wanted:
            return Rejection("too_few_inputs", f"{len(inputs)} ```input blocks; exactly {wanted} needed")
        for index, arguments in enumerate(inputs):
            too_long = text_too_long(arguments, config.max_answer_chars, f"input {index + 1}")
            if too_long:
                return Rejection(ANSWER_TOO_LONG, too_long)
        message = message_text(answer)
        if message is None:
            return Rejection("no_message", "no ```message block, <message> or # Message: inside <answer>")
        if not message and not config.induction_empty_message:
            return Rejection("no_message", "the message is empty (allowed with induction_empty_message=True)")
        too_long = text_too_long(message, config.max_answer_chars, "the message")
        if too_long:
            return Rejection(ANSWER_TOO_LONG, too_long)
        if _CODE_IN_MESSAGE.search(message):
            return Rejection("message_has_code", "the message must be a hint, not code")
        for index, arguments in enumerate(inputs):
            problem = argument_list_problem(arguments)
            if problem:
                return Rejection("bad_input", f"input {index + 1} {arguments[:80]!r}: {problem}")
        job = Job(program_prelude(config) + program, reprs_expression(inputs), check_determinism=True)
        return Pending([job], lambda results: self._finish_all(program, inputs, message.strip(), results[0], config))

    def _finish_all(self, program, inputs, message, result, config: TaskConfig) -> Task | Rejection | Pending:
        """All inputs ran in one process. On an error, re-run them one by one to name the failing input."""
        if result.status == "error":
            prelude = program_prelude(config)
            jobs = [Job(prelude + program, call_expression(x), check_determinism=True) for x in inputs]
            return Pending(jobs, lambda results: self._finish(program, inputs, message, results, config))
        failed = run_status_rejection(result)
        if failed:
            return Rejection(failed.reason, f"running the {len(inputs)} inputs together: {failed.detail}")
        if result.deterministic is False:
            return Rejection("nondeterministic", "two runs over the inputs returned different values")
        reprs = _read_reprs(result, len(inputs))
        if reprs is None:
            return Rejection("output_too_long", "the outputs together exceed the executor's value cap")
        outputs = []
        for index, value_repr in enumerate(reprs):
            output, rejection = apply_long_output(value_repr, False, config)
            if rejection:
                return Rejection(rejection.reason, f"input {index + 1}: {rejection.detail}")
            outputs.append(output)
        return Task(self.name, program, tuple(inputs), tuple(outputs), message=message, source="proposal")

    def _finish(self, program, inputs, message, results, config: TaskConfig) -> Task | Rejection:
        outputs = []
        for index, result in enumerate(results):
            failed = run_status_rejection(result)
            if failed:
                return Rejection(failed.reason, f"input {index + 1}: {failed.detail}")
            if result.deterministic is False:
                return Rejection("nondeterministic", f"input {index + 1}: two calls returned different values")
            output, rejection = apply_long_output(result.value_repr or "", result.truncated, config)
            if rejection:
                return Rejection(rejection.reason, f"input {index + 1}: {rejection.detail}")
            outputs.append(output)
        return Task(self.name, program, tuple(inputs), tuple(outputs), message=message, source="proposal")

    def recheck_jobs(self, task: Task, config: TaskConfig) -> list[Job]:
        return [Job(program_prelude(config) + task.program, reprs_expression(task.inputs))]

    def recheck_matches(self, task: Task, results: list, config: TaskConfig) -> bool:
        reprs = _read_reprs(results[0], len(task.inputs)) if results[0].ok else None
        if reprs is None:
            return False
        return all(apply_long_output(r, False, config)[0] == gold for r, gold in zip(reprs, task.outputs))

    def solver_prompt(self, task: Task, config: TaskConfig) -> str:
        shown = task.num_shown
        pairs = pair_sections(list(zip(task.inputs[:shown], task.outputs[:shown])), config.template_dir)
        return render("solve_induction", config.template_dir, message=task.message, pairs=pairs)

    def parse_answer(self, response: str, config: TaskConfig) -> ParsedAnswer:
        """The last fenced block of any tag is the program (reference); none is no answer (−1)."""
        early = solver_precheck(response, config)
        if early:
            return early
        blocks = code_blocks(answer_section(response) or "")
        if not blocks:
            return ParsedAnswer(True, None, "no_answer", "no fenced code block inside <answer>")
        code = blocks[-1]
        if not code.strip():
            return ParsedAnswer(True, None, "no_answer", "the last fenced block inside <answer> is empty")
        return ParsedAnswer(True, code[: config.max_program_chars + 1], "")

    def check(self, task: Task, answer: str, config: TaskConfig) -> Verdict | Pending:
        too_long = text_too_long(answer, config.max_program_chars, "the program")
        if too_long:
            return Verdict(False, ANSWER_TOO_LONG, too_long)
        program, why = solver_program(answer)
        if program is None:
            return Verdict(False, "bad_program", why)
        if config.induction_gold_imports:  # the reference prepends the gold program's imports
            program = import_lines(task.program) + "\n" + program
        # Only the hidden inputs enter the solver's process: its outputs come back as reprs and are compared
        # here, so code that reads its caller's frame, patches builtins or writes its own reply can neither see
        # the hidden outputs nor state a verdict.
        job = Job(program_prelude(config) + program, reprs_expression(task.inputs[task.num_shown :]))
        return Pending([job], lambda results: _finish(task, results[0], config))

    def zero_task(self) -> Task:
        return Task(self.name, ZERO_PROGRAM, ZERO_INPUTS, ZERO_INPUTS, message=ZERO_MESSAGE, source="zero")

    # ---- scripted responses (TaskType) ---------------------------------------------------------------------
    def gold_answer(self, task: Task) -> str:
        """The solving answer: the gold program."""
        return fence("python", task.program)

    def proposal_answer(self, task: Task) -> str:
        """A proposal of `task` again: its inputs and message."""
        return "\n".join(fence("input", x) for x in task.inputs) + "\n" + fence("message", task.message)


def _finish(task: Task, result, config: TaskConfig) -> Verdict | Pending:
    golds = task.outputs[task.num_shown :]
    if not result.ok:
        return Verdict(False, "answer_error", f"the program failed: {result.error or result.status}"[:500])
    reprs = _read_reprs(result, len(golds))
    if reprs is None:
        return Verdict(False, "answer_error", "the program's outputs could not be read back in full")
    undecided = []
    for index, (gold, text) in enumerate(zip(golds, reprs)):
        same = states_gold(gold, text, output_cut(config))
        if same is False:
            return Verdict(False, "wrong", f"hidden case {index + 1} differs")
        if same is None:
            undecided.append((index, gold, text))
    if not undecided:
        return Verdict(True, "correct")
    # A fresh process that runs no solver code evaluates the output's data expression beside the gold value.
    jobs = [value_comparison(gold, text) for _, gold, text in undecided]
    return Pending(jobs, lambda results: _finish_values([index for index, _, _ in undecided], results))


def _finish_values(indices: list[int], results: list) -> Verdict:
    for index, result in zip(indices, results):
        flags = sandbox_verdicts(result, 1, f"comparing hidden case {index + 1}")
        if isinstance(flags, Verdict):
            return flags
        if not flags[0]:
            return Verdict(False, "wrong", f"hidden case {index + 1} differs")
    return Verdict(True, "correct")
