"""Fixtures for the evaluation harness tests: a data directory with every benchmark (shared files linked from
../shared/data, plus small LiveCodeBench and CRUXEval files of the upstream shape, which have no offline copy)."""

from __future__ import annotations

import base64
import json
import pickle
import zlib

import pytest

LCB_ROWS = [
    {"question_title": "A+B", "question_content": "Read two integers and print their sum.", "platform": "atcoder",
     "question_id": "abc300_a", "contest_id": "abc300", "contest_date": "2024-09-01T00:00:00", "starter_code": "",
     "difficulty": "easy",
     "public_test_cases": json.dumps([{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]),
     "private_test_cases": base64.b64encode(zlib.compress(pickle.dumps(json.dumps(
         [{"input": "10 20\n", "output": "30\n", "testtype": "stdin"}])))).decode(),
     "metadata": "{}"},
    {"question_title": "Double", "question_content": "Return twice x.", "platform": "leetcode",
     "question_id": "9001", "contest_id": "weekly-400", "contest_date": "2024-10-05T00:00:00",
     "starter_code": "class Solution:\n    def double(self, x: int) -> int:\n        ", "difficulty": "easy",
     "public_test_cases": json.dumps([{"input": "2", "output": "4", "testtype": "functional"}]),
     "private_test_cases": json.dumps([{"input": "-5", "output": "-10", "testtype": "functional"}]),
     "metadata": json.dumps({"func_name": "double"})},
]
LCB_SOLUTIONS = {"abc300_a": "a, b = map(int, input().split())\nprint(a + b)\n",
                 "9001": "class Solution:\n    def double(self, x: int) -> int:\n        return 2 * x\n"}
CRUX_ROWS = [
    {"code": "def f(text):\n    return text[::-1]", "input": "'abc'", "output": "'cba'", "id": "sample_0"},
    {"code": "def f(n):\n    return n * n", "input": "7", "output": "49", "id": "sample_1"},
]


@pytest.fixture(scope="session")
def lcb_solutions() -> dict[str, str]:
    """A correct program for each LiveCodeBench fixture row, by question id."""
    return dict(LCB_SOLUTIONS)


@pytest.fixture(scope="session")
def eval_data_dir(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("eval_data")
    for entry in shared_data.iterdir():
        (root / entry.name).symlink_to(entry)
    lcb = root / "livecodebench"
    lcb.mkdir()
    (lcb / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in LCB_ROWS))
    for name in ("test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl"):
        (lcb / name).write_text("")
    (root / "cruxeval").mkdir()
    (root / "cruxeval" / "cruxeval.jsonl").write_text("".join(json.dumps(r) + "\n" for r in CRUX_ROWS))
    return root
