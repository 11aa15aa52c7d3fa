"""LiveCodeBench scoring: a sample passes when every test (public and private) passes.

Semantics follow LiveCodeBench's `testing_util`: stdin outputs are compared line by line after stripping, a line
that differs as text may still match when both parse as the same whitespace-separated decimals; functional
outputs are compared as JSON values (`prediction == json.loads(expected)`, tuples as lists). Programs get the
usual competitive-programming imports prepended (LCB prepends a similar block). Execution stops at the first
failing test; the first failure's LCB result code is reported: -1 compile error, -2 wrong answer, -3 time limit
exceeded, -4 runtime error.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from azr_evals.score.code_extract import extract_program
from azr_evals.score.execution import decode_json_value, run_jobs
from azr_evals.types import Grade, Problem

from azr_env.executor import ExecutionResult, Executor

_HARNESS = Path(__file__).with_name("child_lcb.py").read_text()
IMPORT_HEADER = (
    "from typing import *\nfrom collections import *\nfrom heapq import *\nfrom bisect import *\n"
    "from itertools import *\nfrom functools import *\nfrom math import *\nimport sys, math, re, heapq, bisect, "
    "itertools, functools, collections, string, copy, operator, json\nsys.setrecursionlimit(50000)\n"
)
CODES = {"compile_error": -1, "wrong_answer": -2, "timeout": -3, "error": -4}


@dataclass(frozen=True)
class LCBConfig:
    """Attributes:
    test_timeout_s: seconds per test (SPEC §7: 60 s in the paper's run; LiveCodeBench's default is 6 s).
    """

    test_timeout_s: float = 60.0


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.strip().split("\n")]


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(token) for token in line.split()]
    except InvalidOperation:
        return None


def stdin_output_matches(prediction: str, expected: str) -> bool:
    """LCB's stdio check: same number of stripped lines; each equal as text or as a list of decimals."""
    if prediction.startswith("#sha256:"):
        digest = hashlib.sha256("\n".join(_lines(expected)).encode("utf-8", "backslashreplace")).hexdigest()
        return prediction == "#sha256:" + digest
    got, want = _lines(prediction), _lines(expected)
    if len(got) != len(want):
        return False
    for a, b in zip(got, want):
        if a == b:
            continue
        da, db = _decimals(a), _decimals(b)
        if da is None or db is None or da != db:
            return False
    return True


def functional_output_matches(prediction: str, expected: str) -> bool:
    """LCB's call-based check: the returned value equals the expected JSON value."""
    try:
        want = json.loads(expected)
    except ValueError:
        return False
    if prediction.startswith("#sha256:"):
        canonical = json.dumps(want, sort_keys=True, separators=(",", ":"))
        return prediction == "#sha256:" + hashlib.sha256(canonical.encode("utf-8", "backslashreplace")).hexdigest()
    try:
        got = json.loads(prediction)
    except ValueError:
        return False
    return got == want


def build_job(problem: Problem, code: str, config: LCBConfig) -> tuple[str, str, float]:
    tests = problem.meta["tests"]
    mode = problem.meta["testtype"]
    program = (f"{_HARNESS}\n_CODE = {IMPORT_HEADER + code!r}\n_MODE = {mode!r}\n"
               f"_FUNC = {problem.meta.get('func_name')!r}\n_INPUTS = {[t['input'] for t in tests]!r}\n"
               f"_LIMIT = {float(config.test_timeout_s)!r}\n")
    return program, "_azr_main()", (config.test_timeout_s + 1) * max(1, len(tests)) + 5


def verdict_from(problem: Problem, code: str, result: ExecutionResult) -> Grade:
    """Turn the child's records into a Grade with LCB's result code of the first failing test."""
    tests = problem.meta["tests"]
    doc = decode_json_value(result)
    if doc is None:
        reason = "timeout" if result.status == "timeout" else "error"
        return Grade(False, reason, code, {"code": CODES[reason], "message": result.error})
    if doc["compile_error"] is not None:
        return Grade(False, "compile_error", code, {"code": -1, "message": doc["compile_error"]})
    check = functional_output_matches if problem.meta["testtype"] == "functional" else stdin_output_matches
    for index, test in enumerate(tests):
        if index >= len(doc["records"]):
            return Grade(False, "error", code, {"code": -4, "test_index": index, "message": "not run"})
        status, output = doc["records"][index]
        if status != "ok":
            return Grade(False, status, code, {"code": CODES[status], "test_index": index, "message": output})
        if not check(output, test["output"]):
            return Grade(False, "wrong_answer", code, {"code": -2, "test_index": index,
                                                          "message": f"output {output[:200]!r}"})
    return Grade(True, "pass", code, {"tests": len(tests)})


def score(pairs: list[tuple[Problem, str]], executor: Executor, config: LCBConfig | None = None, *,
          progress: bool = True) -> list[Grade]:
    """(problem, response) pairs -> verdicts; the program is the last Python block of the response."""
    config = config or LCBConfig()
    codes = [extract_program(response) for _, response in pairs]
    jobs = [build_job(problem, code, config) for (problem, _), code in zip(pairs, codes)]
    results = run_jobs(executor, jobs, desc="livecodebench", progress=progress)
    return [verdict_from(problem, code, result) for (problem, _), code, result in zip(pairs, codes, results)]


