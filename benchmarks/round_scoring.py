"""Round scoring: validating a step's proposals and scoring N=8 answers each, ours vs the reference pattern.

`azr bench round` (or `python benchmarks/round_scoring.py`). A fixed workload: `--tasks` (64) generated proposals
per AZR task type (the seeded program generator; validated with the determinism check), and for each task 8 scripted
answers drawn with a fixed seed, half gold and half wrong (gold in one of two spellings, wrong ones taken from
other tasks of the type), as learnability rollouts. Rounds alternate between two designs:

  ours: `Referee.validate` (one `run_many`; the hash-seed re-run on a second executor unless
        --no-hash-seed-check) and `Referee.score` (purpose "rollout"): literal answers decided in this process,
        each distinct (task, answer) run once, every other answer in its own forked sandbox process, all of a
        batch submitted together so both workers stay busy;
  reference pattern (design d of `azr bench executor`): a pebble pool with one worker, one call with a per-call
        timeout at a time, one namespace shared by every program. Validation: one determinism-checked run per
        deduction/abduction proposal, one per input of an induction proposal (its check_all loop). Scoring:
        the N answers of a deduction/abduction task in ONE execution (its eval_k templates, the
        `batched_estimate` option), an induction answer once per hidden input (what it does for code_f).

The reference pattern is handed the answers already extracted (no parsing cost), ours parses every response.
It prints wall time per phase and type, executions, verdict agreement, the ratio reference/ours, and the load.
"""

from __future__ import annotations

import argparse
import ast
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azr_env.generators.tasks import generate_tasks
from azr_env.rounds import Referee, RoundConfig
from azr_env.tasks.base import Task, TaskConfig, fence
from azr_env.tasks.program_task import import_lines
from azr_env.tasks.registry import AZR_TASK_TYPES, get_task_type

N_ANSWERS = 8
TIMEOUT_S = 10.0


@dataclass
class Workload:
    """Per task type: the proposals (response, references), their tasks and 8 answers per task."""

    proposals: dict[str, list[tuple[str, str, list[Task]]]]
    tasks: dict[str, list[Task]]
    answers: dict[str, list[list[str]]]  # extracted answer texts, N per task
    gold: dict[str, list[list[bool]]]  # whether each answer was drawn from the gold spellings

    def responses(self, task_type: str) -> tuple[list[Task], list[str]]:
        """Flat (task, response) lists as the rollouts of `task_type` arrive at the referee."""
        block = "python" if task_type == "induction" else get_task_type(task_type).answer_block
        tasks = [t for t, row in zip(self.tasks[task_type], self.answers[task_type]) for _ in row]
        texts = [f"<think>rollout</think>\n<answer>{fence(block, a)}</answer>"
                 for row in self.answers[task_type] for a in row]  # fmt: skip
        return tasks, texts


def _gold_spellings(task: Task) -> list[str]:
    """Two spellings of the right answer: as the task states it, and with surrounding blanks or a comment."""
    if task.task_type == "induction":
        return [task.program, task.program + "\n# checked against the examples"]
    gold = task.input if task.task_type == "abduction" else task.output
    return [gold, f" {gold}  "]


def _wrong_candidates(task: Task, others: list[Task]) -> list[str]:
    """Three wrong answers taken from other tasks of the same type (programs, inputs or outputs)."""
    if task.task_type == "induction":
        pool = [t.program for t in others if t.outputs != task.outputs]
    elif task.task_type == "abduction":
        pool = [t.input for t in others if t.input != task.input]
    else:
        pool = [t.output for t in others if t.output != task.output]
    return list(dict.fromkeys(pool))[:3] or ["None"]


def build_workload(referee: Referee, n_tasks: int, seed: int) -> Workload:
    """Generate the tasks (seeded), turn them back into proposals, draw the scripted answers (seeded)."""
    rng = random.Random(seed)
    proposals, tasks, answers, gold = {}, {}, {}, {}
    for task_type in AZR_TASK_TYPES:
        kind = get_task_type(task_type)
        made = generate_tasks(task_type, n_tasks, referee, seed=seed)
        tasks[task_type] = made
        proposals[task_type] = [
            (task_type, f"<think>generated</think>\n<answer>{kind.proposal_answer(t)}</answer>",
             [Task("deduction", t.program, t.inputs[:1], t.outputs[:1])] if task_type == "induction" else [])
            for t in made
        ]  # fmt: skip
        rows, flags = [], []
        for index, task in enumerate(made):
            others = [made[(index + step) % len(made)] for step in range(1, 8)]
            picks = [(True, rng.choice(_gold_spellings(task))) for _ in range(N_ANSWERS // 2)]
            picks += [(False, rng.choice(_wrong_candidates(task, others))) for _ in range(N_ANSWERS - N_ANSWERS // 2)]
            rng.shuffle(picks)
            flags.append([g for g, _ in picks])
            rows.append([a for _, a in picks])
        answers[task_type], gold[task_type] = rows, flags
    return Workload(proposals, tasks, answers, gold)


# ---- the reference pattern (design d), re-written from its description, not copied ---------------------------
def _reference_runner() -> tuple[object, Callable[[str, str], str | None]]:
    """A one-worker pebble pool and `run(program, expression) -> repr or None` over it (design d)."""
    from azr_benchmarks.executor import _reference_one
    from pebble import ProcessPool

    pool = ProcessPool(max_workers=1)

    def run(program: str, expression: str) -> str | None:
        out = _reference_one(pool, (program, expression), TIMEOUT_S)
        return out or None

    return pool, run


def _with_imports(task: Task, code: str) -> str:
    imports = import_lines(task.program)
    return f"{imports}\n{code}" if imports else code


def _parses(text: str) -> bool:
    try:
        ast.parse(text)
        return True
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False


def reference_validate(run: Callable[[str, str], str | None], task: Task) -> tuple[bool, int]:
    """Whether the proposal is valid the reference's way, and how many executions that took."""
    checked = 0
    for arguments in task.inputs:  # one input for deduction/abduction, each of the 10 for induction
        program = (f"{task.program}\n__returns = f({arguments})\n"
                   f"if __returns != f({arguments}):\n    raise Exception('not deterministic')")  # fmt: skip
        checked += 1
        if run(program, "__returns") is None:
            return False, checked
    return True, checked


def reference_score(run: Callable[[str, str], str | None], task: Task, answers: list[str]) -> tuple[list[bool], int]:
    """Verdicts of the N answers of one task the reference's way, and the executions it took."""
    if task.task_type == "induction":
        verdicts, runs = [], 0
        hidden = list(zip(task.inputs[task.num_shown:], task.outputs[task.num_shown:]))
        for answer in answers:
            results = []
            for arguments, output in hidden:
                runs += 1
                results.append(run(_with_imports(task, answer), f"{output} == f({arguments})") == "True")
            verdicts.append(all(results))
        return verdicts, runs
    usable = [a.strip() for a in answers if a.strip() and _parses(f"f({a.strip()})")]
    lines = [task.program, "__acc = []"]
    for answer in usable:
        compared = f"f({answer})" if task.task_type == "abduction" else answer
        lines.append(f"try:\n    __acc.append({task.output} == {compared})\nexcept Exception:\n    __acc.append(False)")
    out = run("\n".join(lines), "__acc")
    try:
        flags = iter(ast.literal_eval(out or "[]"))
    except (SyntaxError, ValueError):
        flags = iter(())
    return [bool(next(flags, False)) if a.strip() in usable else False for a in answers], 1


# ---- order independence: programs that keep state across calls ----------------------------------------------
# Each passes the determinism check (two calls with one input agree) but keeps state across calls; gold input 1,
# gold output 10; answers `1.0` (right, needs a run), `2` (wrong, leaves state behind), `3` (wrong).
STATEFUL_PROGRAMS = (
    "seen = []\n\ndef f(x):\n    seen.append(x)\n    return seen[0] * 10",
    "import builtins\n\ndef f(x):\n    if x == 2:\n        builtins.abs = lambda v: 0\n    return abs(x) * 10",
    "import math\n\ndef f(x):\n    if x == 2:\n        math.pi = 0.0\n    return x * 10 + int(math.pi) - 3",
)
STATEFUL_ANSWERS = ("1.0", "2", "3")


def order_check(referee: Referee, run_ref: Callable[[str, str], str | None]) -> dict[str, int]:
    """Per design: verdicts (of 3 programs x 3 answers) that differ from the right ones, answers given in order
    and reversed. Run last: the reference pattern's worker keeps what these programs patch."""
    wrong = {"ours": 0, "reference": 0}
    expected = [a == "1.0" for a in STATEFUL_ANSWERS]
    for program in STATEFUL_PROGRAMS:
        task = Task("abduction", program, ("1",), ("10",))
        for order in (list(STATEFUL_ANSWERS), list(reversed(STATEFUL_ANSWERS))):
            texts = [f"<think>x</think>\n<answer>{fence('input', a)}</answer>" for a in order]
            ours = {a: r.correct for a, r in zip(order, referee.score([task] * len(order), texts))}
            ref = dict(zip(order, reference_score(run_ref, task, order)[0]))
            for answer, right in zip(STATEFUL_ANSWERS, expected):
                wrong["ours"] += ours[answer] != right
                wrong["reference"] += ref[answer] != right
    return wrong


# ---- the measurement -----------------------------------------------------------------------------------------
def measure(workload: Workload, referee: Referee, run_ref: Callable[[str, str], str | None], rounds: int,
            hash_seed_check: bool) -> dict:  # fmt: skip
    """Alternate ours and the reference `rounds` times; per design, phase and type: seconds (list), runs."""
    times: dict[tuple[str, str, str], list[float]] = {}
    runs: dict[tuple[str, str, str], int] = {}
    verdicts: dict[tuple[str, str], list[bool]] = {}

    def clock(key: tuple[str, str, str], fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        times.setdefault(key, []).append(time.perf_counter() - start)
        return out

    def ref_validate(tasks: list[Task]) -> list[tuple[bool, int]]:
        return [reference_validate(run_ref, t) for t in tasks]

    def ref_score(tasks: list[Task], answers: list[list[str]]) -> list[tuple[list[bool], int]]:
        return [reference_score(run_ref, t, a) for t, a in zip(tasks, answers)]

    for _ in range(rounds):
        for task_type in AZR_TASK_TYPES:
            before = referee.executor_programs
            valid = clock(("ours", "validate", task_type), referee.validate, workload.proposals[task_type],
                          hash_seed_check=hash_seed_check)  # fmt: skip
            assert all(r.valid for r in valid), [r.reason for r in valid if not r.valid][:3]
            runs[("ours", "validate", task_type)] = referee.executor_programs - before
            tasks, texts = workload.responses(task_type)
            before = referee.executor_programs
            scored = clock(("ours", "score", task_type), referee.score, tasks, texts, purpose="rollout")
            runs[("ours", "score", task_type)] = referee.executor_programs - before
            verdicts[("ours", task_type)] = [s.correct for s in scored]
        for task_type in AZR_TASK_TYPES:
            checks = clock(("reference", "validate", task_type), ref_validate, workload.tasks[task_type])
            assert all(ok for ok, _ in checks)
            runs[("reference", "validate", task_type)] = sum(n for _, n in checks)
            scored = clock(("reference", "score", task_type), ref_score, workload.tasks[task_type],
                           workload.answers[task_type])  # fmt: skip
            runs[("reference", "score", task_type)] = sum(n for _, n in scored)
            verdicts[("reference", task_type)] = [v for row, _ in scored for v in row]
    return {"times": times, "runs": runs, "verdicts": verdicts}


def format_report(result: dict, workload: Workload) -> str:
    times, runs, verdicts = result["times"], result["runs"], result["verdicts"]
    med = {key: statistics.median(values) for key, values in times.items()}
    lines = [f"{'phase':9} {'type':10} {'ours s':>8} {'runs':>6} {'reference s':>12} {'runs':>6} {'ref/ours':>9}"]
    totals = {"ours": 0.0, "reference": 0.0}
    phase_totals: dict[tuple[str, str], float] = {}
    for phase in ("validate", "score"):
        for task_type in AZR_TASK_TYPES:
            ours, ref = med[("ours", phase, task_type)], med[("reference", phase, task_type)]
            totals["ours"] += ours
            totals["reference"] += ref
            for design, value in (("ours", ours), ("reference", ref)):
                phase_totals[(design, phase)] = phase_totals.get((design, phase), 0.0) + value
            lines.append(f"{phase:9} {task_type:10} {ours:8.3f} {runs[('ours', phase, task_type)]:6} {ref:12.3f} "
                         f"{runs[('reference', phase, task_type)]:6} {ref / ours:8.2f}x")  # fmt: skip
    for phase in ("validate", "score"):
        ours, ref = phase_totals[("ours", phase)], phase_totals[("reference", phase)]
        lines.append(f"{phase:9} {'all':10} {ours:8.3f} {'':6} {ref:12.3f} {'':6} {ref / ours:8.2f}x")
    ded_abd = [("score", t) for t in ("deduction", "abduction")]
    ours_da = sum(med[("ours", *k)] for k in ded_abd)
    ref_da = sum(med[("reference", *k)] for k in ded_abd)
    lines.append(f"\nround (validate + score, all types): ours {totals['ours']:.3f} s, reference pattern "
                 f"{totals['reference']:.3f} s -> ratio {totals['reference'] / totals['ours']:.2f}x (goal >= 1x)")
    lines.append(f"scoring deduction+abduction only (where the reference batches N answers in one execution): "
                 f"ratio {ref_da / ours_da:.2f}x")
    for task_type in AZR_TASK_TYPES:
        ours, ref = verdicts[("ours", task_type)], verdicts[("reference", task_type)]
        gold = [g for row in workload.gold[task_type] for g in row]
        lines.append(f"verdicts {task_type:10}: ours correct {sum(ours)}/{len(ours)} (gold drawn {sum(gold)}), "
                     f"reference correct {sum(ref)}, agree {sum(a == b for a, b in zip(ours, ref))}/{len(ours)}")
    lines.append("load average (1, 5, 15 min) at the end: " + ", ".join(f"{x:.2f}" for x in os.getloadavg())
                 + f" on {os.cpu_count()} CPUs")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azr bench round", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--tasks", type=int, default=64, help="generated proposals per task type (default 64)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds alternating between designs (median)")
    parser.add_argument("--seed", type=int, default=0, help="generator and answer seed (default 0)")
    parser.add_argument("--workers", type=int, default=2, help="our executor's workers (default 2)")
    parser.add_argument("--no-hash-seed-check", action="store_true",
                        help="ours skips the hash-seed re-run of valid proposals (the reference has none)")
    args = parser.parse_args(argv)
    if args.tasks < 8 or args.rounds < 1:
        parser.error("--tasks must be >= 8 and --rounds >= 1")
    config = RoundConfig(task=TaskConfig(timeout_s=TIMEOUT_S), workers=args.workers)
    print(f"load average at the start: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    with Referee(config) as referee:
        start = time.perf_counter()
        workload = build_workload(referee, args.tasks, args.seed)
        again = build_workload(referee, args.tasks, args.seed)
        if again.tasks != workload.tasks or again.answers != workload.answers:
            raise SystemExit("the workload is not deterministic: two builds with one seed differ")
        print(f"workload: {args.tasks} tasks per type x {N_ANSWERS} answers, built twice and identical "
              f"({time.perf_counter() - start:.1f} s)")
        pool, run_ref = _reference_runner()
        try:
            run_ref("x = 1", "x")  # warm both designs before timing
            referee.score(*workload.responses("abduction"))
            result = measure(workload, referee, run_ref, args.rounds, not args.no_hash_seed_check)
            wrong = order_check(referee, run_ref)
        finally:
            pool.stop()
            pool.join()
    print(format_report(result, workload))
    print(f"stateful programs (3 programs x 3 answers, in order and reversed, 18 verdicts): wrong verdicts: "
          f"ours {wrong['ours']}, reference pattern {wrong['reference']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
