"""Hostile model text through `env.step`: trainer CPU (`time.process_time`) and RSS growth per case.

    python benchmarks/hostile_answers.py            # every case, one table
    python benchmarks/hostile_answers.py --quick    # skip the 2,000-answer cache case

Goal (issue 10 D): every single `env.step` at most 1 s of this process's CPU and 100 MB of RSS growth. The
sandbox's own work runs in other processes and is not counted: what matters is the trainer's process. Each
case pins one task, resets, and times one `step` (the cache case times 2,000 steps and reports the worst).
Peak RSS is reset before each case through /proc/self/clear_refs where the kernel allows it.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
from azr_benchmarks.procs import status_mb

import azr_env  # noqa: F401  (registers the envs)
from azr_env.tasks import Task

DED = Task("deduction", "def f(x):\n    return [x] * 2", ("1",), ("[1, 1]",))
ABD = Task("abduction", "def f(x):\n    return len(x)", ("[1, 2]",), ("2",))
HASH_PRIME = 2**61 - 1  # ints that are multiples of it all hash to 0


def wrap(answer: str) -> str:
    return f"<think>x</think>\n<answer>{answer}</answer>"


def block(lang: str, text: str) -> str:
    return wrap(f"```{lang}\n{text}\n```")


def equal_hash_set(chars: int) -> str:
    items, size, i = [], 2, 0
    while size < chars:
        text = str(i * HASH_PRIME)
        items.append(text)
        size += len(text) + 2
        i += 1
    return "{" + ", ".join(items) + "}"


def helper_program(references: int) -> str:
    return "def helper(a):\n    return len([" + ", ".join(["helper"] * references) + "])"


def rss_mb() -> float:
    return status_mb("VmRSS") or 0.0


def peak_mb() -> float:
    peak = status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class Case:
    def __init__(self, name: str, env_id: str, task: Task | None, responses: Callable[[], list[str]]):
        self.name, self.env_id, self.task, self.responses = name, env_id, task, responses


CASES = [
    Case("10 MB list literal (deduction)", "AZR-Deduction-v0", DED,
         lambda: [block("output", "[" + "1, " * 3_500_000 + "]")]),
    Case("0.95 MB equal-hash int set (deduction)", "AZR-Deduction-v0", DED,
         lambda: [block("output", equal_hash_set(950_000))]),
    Case("0.95 MB equal-hash int set (abduction)", "AZR-Abduction-v0", ABD,
         lambda: [block("input", equal_hash_set(950_000))]),
    Case("16 KB equal-hash int set, under the cap (abduction)", "AZR-Abduction-v0", ABD,
         lambda: [block("input", equal_hash_set(16_000))]),
    Case("16 KB equal-hash int set, under the cap (deduction)", "AZR-Deduction-v0", DED,
         lambda: [block("output", equal_hash_set(16_000))]),
    Case("0x + 5000 hex digits (abduction)", "AZR-Abduction-v0", ABD,
         lambda: [block("input", "0x" + "f" * 5000)]),
    Case("0x + 5000 hex digits (deduction)", "AZR-Deduction-v0", DED,
         lambda: [block("output", "0x" + "f" * 5000)]),
    Case("deep nesting, 8,000 brackets (deduction)", "AZR-Deduction-v0", DED,
         lambda: [block("output", "[" * 8000 + "]" * 8000)]),
    Case("deep unary chain under the cap (deduction)", "AZR-Deduction-v0", DED,
         lambda: [block("output", "-" * 16_000 + "1")]),
    Case("40,000 unclosed ``` fences (abduction)", "AZR-Abduction-v0", ABD,
         lambda: [wrap("```input x" * 20_000)]),
    Case("30,000 unclosed input( / # Input: / <input> markers", "AZR-Abduction-v0", ABD,
         lambda: [wrap("input(" * 10_000 + "# Input:" * 10_000 + "<input>" * 10_000)]),
    Case("25,000 </think> tags before the answer", "AZR-Deduction-v0", DED,
         lambda: ["</think> x" * 25_000 + "<answer>1</answer>"]),
    Case("proposal: 400k references to a helper", "AZR-Propose-Deduction-v0", None,
         lambda: [block("python", helper_program(400_000)) + "\n```input\n1\n```"]),
    Case("proposal: 4k references under the cap", "AZR-Propose-Deduction-v0", None,
         lambda: [wrap(f"```python\n{helper_program(3_500)}\n```\n```input\n1\n```")]),
    Case("induction: 1 MB program", "AZR-Induction-v0", None, lambda: [block("python", "x = 1\n" * 170_000)]),
    Case("2,000 distinct set-heavy answers (cache)", "AZR-Deduction-v0", DED,
         lambda: [block("output", "{" + ", ".join(f"'{i}-{j}'" for j in range(300)) + "}") for i in range(2000)]),
]


def run_case(case: Case) -> tuple[str, float, float, float]:
    env = gym.make(case.env_id, disable_env_checker=True)
    responses = case.responses()
    options = {"task": case.task} if case.task is not None else None
    env.reset(seed=0, options=options)  # warm: executor started, task validated
    worst_cpu, reason, rewards = 0.0, "", set()
    gc.collect()
    reset_peak()
    rss_before, peak_before = rss_mb(), peak_mb()
    for response in responses:
        env.reset(seed=0, options=options)
        start = time.process_time()
        _, reward, _, _, info = env.step(response)
        worst_cpu = max(worst_cpu, time.process_time() - start)
        reason = info.get("reason", "")
        rewards.add(reward)
    growth = max(peak_mb() - peak_before, rss_mb() - rss_before, 0.0)
    env.close()
    label = f"{reason} ({', '.join(f'{r:g}' for r in sorted(rewards))})"
    return label, worst_cpu, growth, rss_mb()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azr bench hostile-answers", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 2,000-answer cache case")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not (args.quick and "2,000" in c.name)]
    print(f"{'case':<52} {'verdict (reward)':<34} {'CPU s':>7} {'RSS +MB':>8}  goal")
    failures = 0
    for case in cases:
        label, cpu, growth, _ = run_case(case)
        ok = cpu <= 1.0 and growth <= 100
        failures += not ok
        print(f"{case.name:<52} {label:<34} {cpu:>7.3f} {growth:>8.1f}  {'ok' if ok else 'OVER'}", flush=True)
    print(f"\n{len(cases) - failures} of {len(cases)} cases within 1 s CPU and 100 MB per step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
