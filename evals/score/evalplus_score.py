"""HumanEval+ / MBPP+ scoring with evalplus semantics, executed in our sandbox.

Semantics (evalplus 0.3.1 `evalplus/eval/__init__.py`, reproduced in our own code):
- expected outputs and per-input times come from running the canonical solution (`prompt + canonical_solution`)
  on the base and plus inputs; each candidate input gets `max(min_time_limit, factor * canonical_time)` seconds,
  and each test set (base, plus) at most `min(60 s, sum of its limits)` in total;
- a set passes when every input's output matches: `out == exp`, then evalplus's per-task special oracles
  (MBPP set-equality and not-None tasks, Mbpp/164/295/558/581, HumanEval/32), then, when `atol` is set (or the
  expected value is a float / float sequence, which sets atol to 1e-6 for the rest of the set) `np.allclose`
  with rtol 1e-7 after equal types and lengths; the first failure ends the set;
- a sample is correct (HumanEval+ / MBPP+ pass@1) when the base and the plus sets both pass.

Differences from evalplus, on purpose: times and limits are CPU time of the child, not wall-clock time, so a
correct solution does not fail because the machine is busy (a wall-clock guard still stops sleeping programs);
outputs are compared in this process on parsed literals (an object with
an always-true `__eq__` cannot pass); HumanEval/32 (`find_zero`) is judged by its oracle |poly(x)| <= atol as
evalplus intends, but evalplus 0.3.1 fails every solution there (its oracle branch `continue`s before counting
the input as passed; see docs/evals.md); all inputs of a (problem, solution) pair run in one sandboxed child
(`child_calls.py`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import marshal
import math
import pickle
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azr_evals.data.fetch import cache_dir
from azr_evals.score.code_extract import extract_program, prompt_import_lines
from azr_evals.score.execution import decode_json_value, run_jobs
from azr_evals.score.literals import UNPARSABLE, literal_or_unparsable
from azr_evals.types import Grade, Problem

from azr_env.executor import ExecutionResult, Executor

_HARNESS = (Path(__file__).with_name("child_calls.py")).read_text()
REFERENCE_VERSION = 4  # bump when the harness's output encoding changes (invalidates cached references)
_FLOAT_STARTS = frozenset("-0123456789.[(in")


@dataclass(frozen=True)
class EvalPlusConfig:
    """Time limits and sizes for evalplus-style scoring.

    Attributes:
        min_time_limit: seconds, floor of every per-input limit (SPEC §7: 10 s in the paper's run; evalplus's
            own default is 1 s).
        time_limit_factor: per-input limit = factor x canonical time (SPEC §7: 8; evalplus default 4).
        set_budget_s: total seconds per test set (evalplus's EVALPLUS_TIMEOUT_PER_TASK, 60).
        reference_limit_s: per-input limit while computing the canonical outputs.
    """

    min_time_limit: float = 10.0
    time_limit_factor: float = 8.0
    set_budget_s: float = 60.0
    reference_limit_s: float = 60.0


@dataclass
class Reference:
    """Canonical outputs (encoded as by the child harness), times and float flags of one problem."""

    outputs: list[str | None]
    times: list[float]
    floats: list[bool]
    n_base: int


def _is_floats(value: Any) -> bool:
    if isinstance(value, float):
        return True
    return isinstance(value, list | tuple) and len(value) > 0 and all(isinstance(v, float) for v in value)


def encode_inputs(inputs: list) -> str:
    """Inputs as program text for the child: "m" + hex(zlib(marshal)) (no import needed in the child, a third of
    the size of base64 pickle), or "p" + base64(pickle) when marshal cannot hold a value."""
    try:
        return "m" + zlib.compress(marshal.dumps(inputs), 1).hex()
    except ValueError:
        return "p" + base64.b64encode(pickle.dumps(inputs, protocol=4)).decode("ascii")


def build_job(solution: str, entry_point: str, inputs: list, limits: list[float],
              segments: list[tuple[int, float]]) -> tuple[str, str, float]:
    """The (program, expression, timeout) that runs `solution` on all `inputs` in one child."""
    blob = encode_inputs(inputs)
    program = (f"{_HARNESS}\n_SOLUTION = {solution!r}\n_ENTRY = {entry_point!r}\n_INPUTS = {blob!r}\n"
               f"_LIMITS = {limits!r}\n_SEGMENTS = {[list(s) for s in segments]!r}\n")
    # wall-clock safety net only: the child enforces CPU-time limits itself (see child_calls.py)
    return program, "_azr_main()", 5.0 * sum(budget for _, budget in segments) + 30.0


def _all_inputs(problem: Problem) -> list:
    return list(problem.meta["base_input"]) + list(problem.meta["plus_input"])


def _reference_key(problem: Problem) -> str:
    meta = problem.meta
    blob = pickle.dumps((REFERENCE_VERSION, meta["prompt"], meta["canonical_solution"], meta["base_input"],
                         meta["plus_input"]), protocol=4)
    return hashlib.sha256(blob).hexdigest()[:32]


def _reference_path(problem: Problem) -> Path:
    return cache_dir() / "evalplus_references" / f"{_reference_key(problem)}.json"


def _cached_reference(problem: Problem) -> Reference | None:
    path = _reference_path(problem)
    return Reference(**json.loads(path.read_text())) if path.exists() else None


def _store_reference(problem: Problem, ref: Reference) -> None:
    if None not in ref.outputs:  # a canonical run that failed somewhere is not worth keeping
        path = _reference_path(problem)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(ref.__dict__))


def _reference_job(problem: Problem, config: EvalPlusConfig) -> tuple[str, str, float]:
    inputs, n_base = _all_inputs(problem), len(problem.meta["base_input"])
    budget = config.reference_limit_s * 10
    return build_job(problem.meta["prompt"] + problem.meta["canonical_solution"], problem.meta["entry_point"],
                     inputs, [config.reference_limit_s] * len(inputs),
                     [(n_base, budget), (len(inputs) - n_base, budget)])


def compute_references(problems: list[Problem], executor: Executor, config: EvalPlusConfig, *,
                       cache: bool = True, progress: bool = True) -> dict[str, Reference]:
    """Run every canonical solution once (or read the cached run) to get expected outputs and times."""
    refs: dict[str, Reference] = {}
    todo: list[Problem] = []
    for problem in problems:
        cached = _cached_reference(problem) if cache else None
        if cached is not None:
            refs[problem.problem_id] = cached
        else:
            todo.append(problem)
    jobs = [_reference_job(problem, config) for problem in todo]
    for problem, result in zip(todo, run_jobs(executor, jobs, desc="canonical outputs", progress=progress)):
        refs[problem.problem_id] = ref = _reference_from(problem, result)
        if cache:
            _store_reference(problem, ref)
    return refs


def score(pairs: list[tuple[Problem, str]], executor: Executor, config: EvalPlusConfig, *, cache: bool = True,
          progress: bool = True) -> list[Grade]:
    """Score (problem, solution program) pairs. Same verdicts as `compute_references` + `check_solutions`, scheduled
    for the shortest run: one queue feeds all executor workers, with no barrier. Canonical runs (unknown cost) go
    first, so every cost is known as early as possible; a problem's solution runs are queued when its canonical run
    is known (cached, or just finished) and taken costliest first (cost = canonical time). A slow canonical run
    found late is then followed only by its own solutions, while the other workers finish the rest: the worst
    case is about (canonical runs)/workers + 2 x the slowest problem, where running problems whole, in input-count
    order, could leave its two runs back to back at the very end (Mbpp/599: 2 x 24 s)."""
    import heapq
    import threading

    groups: dict[str, list[int]] = {}
    for index, (problem, _) in enumerate(pairs):
        groups.setdefault(problem.problem_id, []).append(index)
    refs: dict[str, Reference | None] = {
        pid: _cached_reference(pairs[idx[0]][0]) if cache else None for pid, idx in groups.items()}
    verdicts: list[Grade | None] = [None] * len(pairs)
    queue: list[tuple[tuple[int, float], int, str, int]] = []  # (priority, tie-break, problem id, pair index | -1)
    cond = threading.Condition()
    state = {"running": 0, "error": None, "seq": 0}
    bar = None
    if progress and len(pairs) > 1:
        from tqdm import tqdm

        bar = tqdm(total=len(pairs), desc="evalplus", unit="sample", leave=False)

    def push(priority: tuple[int, float], pid: str, index: int) -> None:
        state["seq"] += 1
        heapq.heappush(queue, (priority, state["seq"], pid, index))

    def queue_solutions(pid: str, ref: Reference) -> None:
        for index in groups[pid]:
            push((1, -sum(t for t in ref.times if math.isfinite(t))), pid, index)

    for pid, ref in refs.items():
        if ref is not None:
            queue_solutions(pid, ref)
        else:
            push((0, -len(_all_inputs(pairs[groups[pid][0]][0]))), pid, -1)

    def run_one(pid: str, index: int) -> None:
        problem = pairs[groups[pid][0]][0]
        if index < 0:  # the canonical run
            program, expression, timeout = _reference_job(problem, config)
            ref = _reference_from(problem, executor.run(program, expression, timeout_s=timeout))
            if cache:
                _store_reference(problem, ref)
            with cond:
                refs[pid] = ref
                queue_solutions(pid, ref)
            return
        ref = refs[pid]
        assert ref is not None
        limits, segments = limits_for(ref, config)
        solution = pairs[index][1]
        program, expression, timeout = build_job(solution, problem.meta["entry_point"], _all_inputs(problem),
                                                 limits, segments)
        verdicts[index] = _verdict(problem, solution, ref, executor.run(program, expression, timeout_s=timeout))
        if bar is not None:
            bar.update(1)

    def worker() -> None:
        while True:
            with cond:
                while not queue and state["running"] and state["error"] is None:
                    cond.wait()
                if not queue or state["error"] is not None:
                    return
                _, _, pid, index = heapq.heappop(queue)
                state["running"] += 1
            try:
                run_one(pid, index)
            except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread below
                with cond:
                    state["error"] = state["error"] or exc
            finally:
                with cond:
                    state["running"] -= 1
                    cond.notify_all()

    threads = [threading.Thread(target=worker, name=f"evalplus-{i}", daemon=True)
               for i in range(max(1, executor.workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if bar is not None:
        bar.close()
    if state["error"] is not None:
        raise state["error"]
    return [v for v in verdicts if v is not None]


def _reference_from(problem: Problem, result: ExecutionResult) -> Reference:
    inputs = _all_inputs(problem)
    doc = decode_json_value(result) or {"records": []}
    outputs: list[str | None] = [None] * len(inputs)
    times = [math.inf] * len(inputs)
    for index, (status, output, seconds) in enumerate(doc["records"]):
        if status == "ok":
            outputs[index], times[index] = output, seconds
    # only reprs that can hold a float are parsed (most outputs cannot): one starting like a number or sequence
    # and containing what every float repr contains ("." or an exponent, or inf / nan)
    floats = [o is not None and o[:1] in _FLOAT_STARTS and ("." in o or "e" in o or "n" in o)
              and _is_floats(literal_or_unparsable(o)) for o in outputs]
    return Reference(outputs, times, floats, len(problem.meta["base_input"]))


def _special_oracles() -> Any:
    from evalplus.eval import _special_oracle

    return _special_oracle


def digests_equal(exp_repr: str, out_repr: str) -> bool:
    """Equality when at least one side came back as a digest (a large output). A float sequence always comes
    back in full, so when the other side is a digest we digest the parsed floats here with the child's own
    function (our code, on a parsed literal) and compare digests."""
    from azr_evals.score import child_calls

    if out_repr.startswith("#") and exp_repr.startswith("#"):
        return out_repr == exp_repr
    full, digest = (exp_repr, out_repr) if out_repr.startswith("#") else (out_repr, exp_repr)
    value = literal_or_unparsable(full)
    return value is not UNPARSABLE and _safe(lambda: child_calls.digest(value) == digest)


def _matches(problem: Problem, inp: list, exp_repr: str | None, out_repr: str, atol: float, exp_float: bool,
             ) -> tuple[bool, float]:
    """evalplus's per-input check (see module docstring); returns (match, atol for the following inputs)."""
    if exp_repr is None:
        return False, atol
    oracle = _special_oracles()
    entry, dataset = problem.meta["entry_point"], problem.meta["dataset"]
    same_repr = out_repr == exp_repr and "nan" not in out_repr
    if dataset == "mbpp" and entry in oracle.MBPP_OUTPUT_NOT_NONE_TASKS:
        out = literal_or_unparsable(out_repr)
        expected = exp_repr != "None"
        return (out == expected) if isinstance(out, bool) else (expected == (out_repr != "None")), atol
    if same_repr:
        exact, out, exp = True, None, None
    elif out_repr.startswith("#") or exp_repr.startswith("#"):
        exact, out, exp = digests_equal(exp_repr, out_repr), UNPARSABLE, UNPARSABLE
    else:
        out, exp = literal_or_unparsable(out_repr), literal_or_unparsable(exp_repr)
        exact = _safe(lambda: out is not UNPARSABLE and bool(out == exp))
    if dataset == "humaneval" and entry == "find_zero":
        out = literal_or_unparsable(out_repr)
        return _safe(lambda: abs(oracle._poly(*inp, out)) <= atol), atol
    if dataset == "mbpp" and not exact and out is not UNPARSABLE:
        out = literal_or_unparsable(out_repr) if out is None else out
        if entry == "are_equivalent":
            exact = True
        elif entry == "sum_div":
            exact = _safe(lambda: out == 0)
        elif entry == "surface_Area":
            exact = _safe(lambda: abs(out - oracle._surface_Area(*inp)) <= atol)
        elif entry == "digit_distance_nums":
            exact = _safe(lambda: out == oracle._digit_distance_nums(*inp))
        elif entry in oracle.MBPP_OUTPUT_SET_EQ_TASKS:
            exact = _safe(lambda: set(out) == set(exp))
    elif dataset == "mbpp" and same_repr and entry in _special_oracles().MBPP_OUTPUT_SET_EQ_TASKS:
        exact = True
    if atol == 0 and exp_float:
        atol = 1e-6
    if exact or atol == 0 or out is UNPARSABLE or exp is UNPARSABLE:
        return exact, atol
    return _safe(lambda: _close(out, exp, atol)), atol


def _close(out: Any, exp: Any, atol: float) -> bool:
    import numpy as np

    if type(out) is not type(exp):
        return False
    if isinstance(exp, list | tuple) and len(out) != len(exp):
        return False
    return bool(np.allclose(out, exp, rtol=1e-07, atol=atol))


def _safe(check: Any) -> bool:
    try:
        return bool(check())
    except Exception:  # noqa: BLE001 - evalplus counts any exception in a comparison as a mismatch
        return False


def solution_from_response(problem: Problem, response: str) -> str:
    """The program evalplus would test: the sanitized code of the response, with the prompt's imports."""
    from evalplus.sanitize import sanitize

    entry = problem.meta["entry_point"]
    code = sanitize(extract_program(response, entry), entry)
    return prompt_import_lines(problem.meta["prompt"]) + code


def limits_for(ref: Reference, config: EvalPlusConfig) -> tuple[list[float], list[tuple[int, float]]]:
    """Per-input limits and per-set budgets derived from the canonical run (see EvalPlusConfig)."""
    limits = [max(config.min_time_limit, config.time_limit_factor * t) if math.isfinite(t)
              else config.min_time_limit for t in ref.times]
    n_base = ref.n_base
    segments = [(n_base, min(config.set_budget_s, sum(limits[:n_base])) + 1.0),
                (len(limits) - n_base, min(config.set_budget_s, sum(limits[n_base:])) + 1.0)]
    return limits, segments


def check_solutions(pairs: list[tuple[Problem, str]], refs: dict[str, Reference], executor: Executor,
                    config: EvalPlusConfig, *, progress: bool = True) -> list[Grade]:
    """Score (problem, solution program) pairs; one sandboxed child per pair, all executor workers busy."""
    jobs = []
    for problem, solution in pairs:
        limits, segments = limits_for(refs[problem.problem_id], config)
        jobs.append(build_job(solution, problem.meta["entry_point"], _all_inputs(problem), limits, segments))
    results = run_jobs(executor, jobs, desc="evalplus", progress=progress)
    return [_verdict(problem, solution, refs[problem.problem_id], result)
            for (problem, solution), result in zip(pairs, results)]


def _verdict(problem: Problem, solution: str, ref: Reference, result: ExecutionResult) -> Grade:
    doc = decode_json_value(result)
    if doc is None:
        reason = {"timeout": "timeout", "memory": "memory"}.get(result.status, "crashed")
        return Grade(False, reason, solution, {"base": "timeout", "plus": "timeout", "message": result.error})
    if doc["load_error"] is not None:
        reason = "syntax_error" if doc["load_error"].startswith(("SyntaxError", "IndentationError")) else "error"
        return Grade(False, reason, solution, {"base": "fail", "plus": "fail", "message": doc["load_error"]})
    inputs, records = _all_inputs(problem), doc["records"]
    status = {"base": "pass", "plus": "pass"}
    atol = {"base": problem.meta["atol"], "plus": problem.meta["atol"]}
    failure: dict[str, Any] = {}
    for index in range(len(inputs)):
        which = "base" if index < ref.n_base else "plus"
        if index >= len(records):  # the child stopped early: an earlier input failed
            status[which] = "fail" if status[which] == "pass" else status[which]
            break
        state, output, _ = records[index]
        if state == "ok" and output == ref.outputs[index] and "nan" not in output:
            # the canonical output itself passes every oracle; only evalplus's sticky float atol needs updating
            if atol[which] == 0 and ref.floats[index]:
                atol[which] = 1e-6
            continue
        if state == "ok":
            ok, atol[which] = _matches(problem, inputs[index], ref.outputs[index], output, atol[which],
                                       ref.floats[index])
            if ok:
                continue
            state, message = "wrong_answer", f"output {output[:200]}"
        else:
            message = output
        status[which] = "timeout" if state == "timeout" else "fail"
        failure = {"reason": state, "set": which, "input_index": index - (0 if which == "base" else ref.n_base),
                   "message": message}
        if which == "base":
            status["plus"] = "fail"
        break
    correct = status["base"] == status["plus"] == "pass"
    return Grade(correct, "pass" if correct else failure.get("reason", "fail"), solution,
                   {**status, **{k: v for k, v in failure.items() if k != "reason"}})
