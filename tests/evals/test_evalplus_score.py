"""HumanEval+/MBPP+ scoring (azr_evals.score.evalplus_score): canonical solutions pass, broken ones fail with
the right reason, and our verdicts agree with evalplus's own evaluator."""

from __future__ import annotations

import pytest
from azr_evals.data import load_problems
from azr_evals.score.evalplus_score import (
    EvalPlusConfig,
    check_solutions,
    compute_references,
    score,
    solution_from_response,
)
from azr_evals.score.execution import make_executor

# evalplus's own defaults (1 s floor, 4x): keeps the timeout cases short.
FAST = EvalPlusConfig(min_time_limit=1.0, time_limit_factor=4.0)
PICK = ["HumanEval/0", "HumanEval/4", "HumanEval/12", "HumanEval/32", "HumanEval/53"]


@pytest.fixture(scope="module")
def scoring_executor():
    with make_executor(workers=2, memory_mb=2048) as ex:
        yield ex


@pytest.fixture(scope="module")
def he(shared_data):
    problems = {p.problem_id: p for p in load_problems("humanevalplus", data_dir=shared_data)}
    return [problems[i] for i in PICK]


def broken(problem, kind: str) -> str:
    head = problem.meta["prompt"]
    body = {"wrong_answer": "    return None\n",
            "error": "    raise ValueError('boom')\n",
            "timeout": "    while True:\n        pass\n",
            "syntax_error": "    return (\n"}[kind]
    return head + body


def test_canonical_and_broken_solutions(he, scoring_executor):
    refs = compute_references(he, scoring_executor, FAST, cache=False, progress=False)
    pairs = [(p, p.meta["prompt"] + p.meta["canonical_solution"]) for p in he]
    kinds = ["wrong_answer", "error", "timeout", "syntax_error"]
    pairs += [(he[0], broken(he[0], kind)) for kind in kinds]
    verdicts = check_solutions(pairs, refs, scoring_executor, FAST, progress=False)
    assert [v.correct for v in verdicts[: len(he)]] == [True] * len(he)
    assert [v.reason for v in verdicts[len(he):]] == kinds
    assert all(not v.correct and v.details["base"] != "pass" for v in verdicts[len(he):])


def test_wrong_only_on_plus_inputs(he, scoring_executor):
    """A solution right on the base inputs and wrong on one plus input fails HumanEval+ but passes HumanEval."""
    problem = he[2]
    refs = compute_references([problem], scoring_executor, FAST, progress=False)
    canonical = problem.meta["prompt"] + problem.meta["canonical_solution"]
    cheat = canonical.replace(f"def {problem.meta['entry_point']}(", "def _right(") + (
        f"\n_BASE = {problem.meta['base_input']!r}\n"
        f"def {problem.meta['entry_point']}(*args):\n    return _right(*args) if list(args) in _BASE else 'x'\n")
    (verdict,) = check_solutions([(problem, cheat)], refs, scoring_executor, FAST, progress=False)
    assert verdict.details["base"] == "pass" and verdict.details["plus"] == "fail"
    assert verdict.reason == "wrong_answer" and not verdict.correct


def test_lying_eq_object_does_not_pass(he, scoring_executor):
    problem = he[1]
    refs = compute_references([problem], scoring_executor, FAST, progress=False)
    liar = problem.meta["prompt"] + (
        "    class Liar(float):\n        def __eq__(self, other):\n            return True\n"
        "        __hash__ = float.__hash__\n        def __repr__(self):\n            return 'Liar()'\n"
        "    return Liar(0.0)\n")
    (verdict,) = check_solutions([(problem, liar)], refs, scoring_executor, FAST, progress=False)
    assert not verdict.correct and verdict.reason == "wrong_answer"


def test_solution_from_response_sanitizes_and_adds_prompt_imports(he):
    problem = he[0]  # uses `List` from typing
    response = ("<think>easy</think><answer>```python\ndef has_close_elements(numbers: List[float], threshold: "
                "float) -> bool:\n    return False\n\nprint(has_close_elements([1.0], 0.5))\n```</answer>")
    program = solution_from_response(problem, response)
    assert program.startswith("from typing import List\n")
    assert "print(" not in program and "def has_close_elements" in program


def test_agreement_with_evalplus_evaluator(he, scoring_executor):
    """Same pass/fail per test set as evalplus's `untrusted_check` on canonical and broken solutions, except
    HumanEval/32 where evalplus 0.3.1 fails every solution (documented in docs/evals.md)."""
    from evalplus.eval import untrusted_check
    from evalplus.gen.util import trusted_exec

    refs = compute_references(he, scoring_executor, FAST, progress=False)
    cases = [(p, p.meta["prompt"] + p.meta["canonical_solution"]) for p in he]
    cases += [(he[0], broken(he[0], k)) for k in ("wrong_answer", "error", "syntax_error")]
    ours = check_solutions(cases, refs, scoring_executor, FAST, progress=False)
    for (problem, code), verdict in zip(cases, ours):
        meta = problem.meta
        canonical = meta["prompt"] + meta["canonical_solution"]
        theirs = {}
        for which in ("base", "plus"):
            expected, times = trusted_exec(canonical, meta[f"{which}_input"], meta["entry_point"], record_time=True)
            status, _ = untrusted_check("humaneval", code, meta[f"{which}_input"], meta["entry_point"], expected,
                                        meta["atol"], times, fast_check=True, min_time_limit=1.0,
                                        gt_time_limit_factor=4.0)
            theirs[which] = status == "pass"
        mine = {which: verdict.details[which] == "pass" for which in ("base", "plus")}
        if problem.problem_id == "HumanEval/32" and code == canonical:
            assert mine == {"base": True, "plus": True} and theirs == {"base": False, "plus": False}
        elif verdict.reason in ("error", "syntax_error", "wrong_answer"):
            assert not theirs["base"] and not mine["base"]  # ours stops after base; evalplus runs plus alone
        else:
            assert mine == theirs, problem.problem_id


@pytest.mark.slow
@pytest.mark.parametrize(("name", "count"), [("humanevalplus", 164), ("mbppplus", 378)])
def test_all_canonical_solutions_pass(name, count, shared_data, scoring_executor):
    """Every canonical solution passes its base and plus inputs under the paper's limits (SPEC §7), through the
    pipelined production path (canonical outputs cached on disk after the first run)."""
    problems = load_problems(name, data_dir=shared_data)
    config = EvalPlusConfig()
    verdicts = score([(p, p.meta["prompt"] + p.meta["canonical_solution"]) for p in problems], scoring_executor,
                     config, progress=False)
    failed = {p.problem_id: (v.reason, v.details) for p, v in zip(problems, verdicts) if not v.correct}
    assert len(problems) == count
    assert not failed


def test_child_encoding_of_large_outputs_follows_equality():
    """Large outputs travel as digests: values that are == must compare equal, others not."""
    from azr_evals.score.child_calls import _encode
    from azr_evals.score.evalplus_score import digests_equal

    def same(a, b) -> bool:
        x, y = _encode(a), _encode(b)
        return x == y if not (x.startswith("#") or y.startswith("#")) else digests_equal(x, y)

    n = 5000
    assert same([2.0] * n, [2] * n) and same([2] * n, [2.0] * n) and not same([2.0] * n, [3] * n)
    assert same([1, 2.0] * n, [1.0, 2] * n)
    assert same(set(range(n)), set(reversed(range(n))))
    assert same({i: str(i) for i in range(n)}, {i: str(i) for i in reversed(range(n))})
    assert not same(list(range(n)), tuple(range(n)))
    assert not same(["ab", "c"] * n, ["a", "bc"] * n)
    big = 7 ** 20000  # far over the int-to-str digit limit: hashed via hex, never converted to decimal
    assert same(big, 7 ** 20000) and not same(big, big + 1)
    assert same([big, 1.0] * 300, [7 ** 20000, 1] * 300)
    assert _encode([0.1, 0.2]) == "[0.1, 0.2]"  # small outputs travel as reprs
