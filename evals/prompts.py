"""Prompt builders, one per benchmark family, then the template wrap shared with training.

The user prompt says what to produce (a Python block for code, `\\boxed{}` for math, SPEC §7); `format_prompt`
from `azr_env.tasks` then wraps it in the R1 template ("r1", the reference's and the default) or leaves it raw
("raw", and "chat": the backend applies the tokenizer's chat template). CRUXEval prompts come whole from the
env's own solver templates (the same text a training solver sees).
"""

from __future__ import annotations

from typing import Any

from azr_evals.types import Problem

from azr_env.errors import ConfigError
from azr_env.tasks.base import PROMPT_FORMATS  # defined once (r1, raw, chat)

MATH_INSTRUCTION = "Please reason step by step, and put your final answer within \\boxed{}."


def evalplus_prompt(problem: Problem) -> str:
    return ("Please provide a self-contained Python script that solves the following problem in a markdown code "
            f"block:\n```python\n{problem.meta['prompt'].strip()}\n```")


def livecodebench_prompt(problem: Problem) -> str:
    head = ("You will be given a question (problem specification) and will generate a correct Python program "
            "that matches the specification and passes all tests.\n\n"
            f"### Question:\n{problem.question.strip()}\n\n")
    starter = problem.meta.get("starter_code") or ""
    if starter.strip():
        fmt = ("### Format: You will use the following starter code to write the solution to the problem and "
               f"enclose your code within delimiters.\n```python\n{starter.strip()}\n```\n\n")
    else:
        fmt = ("### Format: Read the inputs from stdin, solve the problem and write the answer to stdout (do not "
               "directly test on the sample inputs). Enclose your code within delimiters as follows.\n"
               "```python\n# YOUR CODE HERE\n```\n\n")
    return head + fmt + "### Answer: (use the provided format with backticks)\n"


def math_prompt(problem: Problem) -> str:
    return f"{problem.question.strip()}\n{MATH_INSTRUCTION}"


def build_prompt(problem: Problem, family: str, prompt_format: str = "r1", *, referee: Any = None) -> str:
    """The complete text prompt for one problem; CRUXEval needs the `referee` (see cruxeval_score)."""
    if prompt_format not in PROMPT_FORMATS:
        raise ConfigError(f"prompt_format={prompt_format!r}; choose one of {', '.join(PROMPT_FORMATS)}")
    if family == "cruxeval":
        from azr_evals.score.cruxeval_score import to_task

        if referee is None:
            raise ConfigError("CRUXEval prompts come from the env's templates: pass referee=")
        return referee.solver_prompt(to_task(problem))
    builders = {"evalplus": evalplus_prompt, "livecodebench": livecodebench_prompt, "math": math_prompt}
    if family not in builders:
        raise ConfigError(f"no prompt builder for family {family!r}; known: {', '.join(builders)}, cruxeval")
    from azr_env.tasks import format_prompt

    return format_prompt(builders[family](problem), prompt_format)
