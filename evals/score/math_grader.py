"""Math answer checking: exact numbers first, then math-verify in worker processes under our own timeout.

math-verify's own timeouts use `signal.alarm`, which only works on the main thread; we call it with its timeouts
off (`parsing_timeout=None`, `timeout_seconds=None`) inside long-lived worker processes and enforce one deadline
per answer from the parent: a worker that overruns (sympy expanding `10^{10^{10^{10}}}`, say) is killed and
replaced, and that answer is judged wrong with reason "grader_timeout". Workers are forked from a parent that
has already imported math-verify, so a replacement starts in milliseconds.

Reasons: "pass", "wrong_answer", "no_answer" (nothing extractable), "grader_timeout", "grader_error".
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from azr_evals.score.math_answer import extract_answer, numbers_equal, strip_decorations
from azr_evals.types import Grade

from azr_env.errors import ConfigError, require


def _verify(gold: str, pred: str) -> bool:
    """math-verify's equivalence (gold first: it is not symmetric), run in a worker with its timeouts off."""
    from math_verify import ExprExtractionConfig, LatexExtractionConfig, parse, verify

    configs = [LatexExtractionConfig(), ExprExtractionConfig()]

    def _parse(text: str) -> list:
        return parse(f"\\boxed{{{text}}}", extraction_config=configs, parsing_timeout=None)

    gold_parsed, pred_parsed = _parse(gold), _parse(pred)
    if not gold_parsed or not pred_parsed:
        return False
    if verify(gold_parsed, pred_parsed, timeout_seconds=None):
        return True
    stripped_gold, stripped_pred = strip_decorations(gold), strip_decorations(pred)
    if (stripped_gold, stripped_pred) != (gold, pred):
        return bool(verify(_parse(stripped_gold), _parse(stripped_pred), timeout_seconds=None))
    return False


def _serve(conn: Any) -> None:
    """Worker loop: receive (gold, pred), send (ok, value or error text); exits when the pipe closes."""
    import logging

    logging.getLogger("math_verify").setLevel(logging.ERROR)  # "timeout is disabled": we enforce our own
    while True:
        try:
            gold, pred = conn.recv()
        except EOFError:
            return
        try:
            conn.send((True, _verify(gold, pred)))
        except Exception as exc:  # noqa: BLE001 - a parser bug on odd latex must not kill the worker
            conn.send((False, f"{type(exc).__name__}: {exc}"[:300]))


class MathGrader:
    """Grades math responses against gold answers; use as a context manager (it owns worker processes).

    Args:
        workers: worker processes running math-verify (default 2).
        timeout_s: wall-clock limit for one answer's symbolic check (default 10 s: math-verify's own default
            is 5 s for parsing plus 5 s for verifying).
    """

    def __init__(self, workers: int = 2, timeout_s: float = 10.0) -> None:
        if workers < 1 or timeout_s <= 0:
            raise ConfigError(f"MathGrader needs workers >= 1 and timeout_s > 0, got {workers=} {timeout_s=}")
        require("math_verify", "eval", "math answer checking")
        self._mp = require("multiprocess", "eval", "math answer checking").get_context("fork")
        self.workers, self.timeout_s = workers, timeout_s
        self._procs: list[Any] = []

    def __enter__(self) -> MathGrader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spawn(self) -> tuple[Any, Any]:
        parent, child = self._mp.Pipe()
        proc = self._mp.Process(target=_serve, args=(child,), daemon=True)
        proc.start()
        child.close()
        return proc, parent

    def close(self) -> None:
        for proc, conn in self._procs:
            conn.close()
            proc.kill()
            proc.join(timeout=1)
        self._procs = []

    def equivalent_many(self, pairs: list[tuple[str, str]]) -> list[tuple[bool, str]]:
        """(gold, pred) pairs -> (equal, reason) each, in order; reason is "pass", "wrong_answer",
        "grader_timeout" or "grader_error"."""
        from multiprocess.connection import wait

        results: list[tuple[bool, str] | None] = [None] * len(pairs)
        todo = []
        for i, (gold, pred) in enumerate(pairs):
            quick = numbers_equal(gold, pred)
            if quick is not None:
                results[i] = (quick, "pass" if quick else "wrong_answer")
            else:
                todo.append(i)
        if todo:
            import math_verify  # noqa: F401  (imported before forking so workers start warm)
        while len(self._procs) < min(self.workers, len(todo)):
            self._procs.append(self._spawn())
        busy: dict[int, tuple[int, float]] = {}  # worker slot -> (pair index, deadline)
        queue = list(reversed(todo))
        while queue or busy:
            for slot in range(len(self._procs)):
                if slot not in busy and queue:
                    index = queue.pop()
                    self._procs[slot][1].send(pairs[index])
                    busy[slot] = (index, time.monotonic() + self.timeout_s)
            soonest = min(deadline for _, deadline in busy.values())
            ready = wait([self._procs[s][1] for s in busy], timeout=max(0.0, soonest - time.monotonic()))
            for slot in list(busy):
                index, deadline = busy[slot]
                conn = self._procs[slot][1]
                if conn in ready:
                    try:
                        ok, value = conn.recv()
                    except EOFError:  # the worker died (memory, segfault in a C extension)
                        ok, value = False, "worker died"
                        self._procs[slot] = self._restart(slot)
                    results[index] = (bool(value), "pass" if value else "wrong_answer") if ok else (
                        False, "grader_error")
                    del busy[slot]
                elif time.monotonic() >= deadline:
                    self._procs[slot] = self._restart(slot)
                    results[index] = (False, "grader_timeout")
                    del busy[slot]
        return [r if r is not None else (False, "grader_error") for r in results]

    def _restart(self, slot: int) -> tuple[Any, Any]:
        proc, conn = self._procs[slot]
        proc.kill()
        proc.join(timeout=1)
        conn.close()
        return self._spawn()

    def grade_many(self, items: Iterable[tuple[str, str]]) -> list[Grade]:
        """(gold answer, model response) pairs -> one Grade each, extracting the response's final answer."""
        items = list(items)
        extracted = [extract_answer(response) for _, response in items]
        pairs = [(gold, answer) for (gold, _), (answer, _) in zip(items, extracted) if answer is not None]
        checked = iter(self.equivalent_many(pairs))
        verdicts = []
        for answer, how in extracted:
            if answer is None:
                verdicts.append(Grade(False, "no_answer", None, {"extraction": how}))
                continue
            ok, reason = next(checked)
            verdicts.append(Grade(ok, reason, answer, {"extraction": how}))
        return verdicts
