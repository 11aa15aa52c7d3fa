"""Run a prompts.py's own prompt functions (the reference's, or a test-written one) and print the prompts as JSON.

Used by tests/tasks/test_reference_prompts.py in a subprocess, so that the product never imports such a file:
    python prompt_runner.py PROMPTS_PY [PROCESS_DATA_PY] < cases.json
Each case is {"kind": "gen" | "pred", ...keyword arguments of the function}; every prompt is wrapped with
`instruction_following.format(...)` as the reference's constructor does (read with `ast.literal_eval`, since its
process_data.py imports packages this machine lacks).
"""

from __future__ import annotations

import ast
import importlib.util
import json
import sys


def _instruction(path: str | None) -> str:
    if path is None:
        return "{}"
    with open(path, encoding="utf-8") as handle:
        tree = ast.parse(handle.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "instruction_following":
            return ast.literal_eval(node.value)
    raise SystemExit(f"no instruction_following in {path}")


def main() -> None:
    spec = importlib.util.spec_from_file_location("prompts_under_test", sys.argv[1])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    wrap = _instruction(sys.argv[2] if len(sys.argv) > 2 else None)
    out = []
    for case in json.load(sys.stdin):
        kind = case.pop("kind")
        if kind == "gen":
            prompt = module.get_code_problem_generator_prompt(**case)
        else:
            if "input_output_pairs" in case:
                case["input_output_pairs"] = [tuple(p) for p in case["input_output_pairs"]]
            prompt = module.get_code_problem_predictor_prompt(**case)
        out.append(wrap.format(prompt))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
