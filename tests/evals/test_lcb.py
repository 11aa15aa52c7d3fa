"""LiveCodeBench loading and scoring (azr_evals.data.livecodebench, azr_evals.score.lcb_score), on fixture rows of
the exact upstream shape (no copy of the dataset is available offline)."""

from __future__ import annotations

import base64
import json
import pickle
import zlib

import pytest
from azr_evals.data import load_problems
from azr_evals.data.livecodebench import decode_tests, release_files, row_to_problem
from azr_evals.score import lcb_score
from azr_evals.score.execution import make_executor

from azr_env.errors import ConfigError, DataError


def encode_private(tests: list[dict]) -> str:
    """The upstream encoding: JSON -> pickle -> zlib -> base64."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


def stdin_row(date: str = "2024-09-01T00:00:00", qid: str = "abc001_a") -> dict:
    public = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]
    private = [{"input": "10 20\n", "output": "30\n", "testtype": "stdin"},
               {"input": "0.5 0.25\n", "output": "0.75\n", "testtype": "stdin"}]
    return {"question_title": "A+B", "question_content": "Read two numbers and print their sum.",
            "platform": "atcoder", "question_id": qid, "contest_id": "abc001", "contest_date": date,
            "starter_code": "", "difficulty": "easy", "public_test_cases": json.dumps(public),
            "private_test_cases": encode_private(private), "metadata": "{}"}


def functional_row(date: str = "2024-10-05T00:00:00") -> dict:
    tests = [{"input": "[2, 7, 11, 15]\n9", "output": "[0, 1]", "testtype": "functional"},
             {"input": "[3, 2, 4]\n6", "output": "[1, 2]", "testtype": "functional"}]
    return {"question_title": "Two Sum", "question_content": "Return indices of the two numbers adding to target.",
            "platform": "leetcode", "question_id": "1", "contest_id": "weekly-1", "contest_date": date,
            "starter_code": "class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n",
            "difficulty": "easy", "public_test_cases": json.dumps(tests[:1]),
            "private_test_cases": json.dumps(tests[1:]), "metadata": json.dumps({"func_name": "twoSum"})}


@pytest.fixture(scope="module")
def lcb_executor():
    with make_executor(workers=2, memory_mb=1024) as ex:
        yield ex


def test_private_tests_decode_from_base64_zlib_pickle_json():
    tests = [{"input": "x", "output": "y", "testtype": "stdin"}]
    assert decode_tests(encode_private(tests)) == tests
    assert decode_tests(json.dumps(tests)) == tests


def test_private_test_pickles_may_not_reference_globals():
    evil = base64.b64encode(zlib.compress(pickle.dumps(print))).decode()
    with pytest.raises(pickle.UnpicklingError):
        decode_tests(evil)


def test_release_files_and_date_window(tmp_path):
    assert release_files("release_v5") == ["test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl"]
    with pytest.raises(ConfigError, match="release_v1"):
        release_files("v5")
    folder = tmp_path / "livecodebench"
    folder.mkdir()
    rows = [stdin_row("2023-04-30T00:00:00", "old"), stdin_row("2024-09-01T00:00:00", "in"),
            functional_row("2025-03-01T00:00:00")]
    (folder / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    problems = load_problems("livecodebench", data_dir=tmp_path, release="release_v1")
    assert [p.problem_id for p in problems] == ["in"]
    assert len(problems[0].meta["tests"]) == 3
    everything = load_problems("livecodebench", path=folder / "test.jsonl", start_date="2000-01-01",
                               end_date="2030-01-01")
    assert len(everything) == 3
    with pytest.raises(DataError, match=r"test2\.jsonl"):
        load_problems("livecodebench", data_dir=tmp_path, release="release_v2")


STDIN_OK = "a, b = map(float, input().split())\nr = a + b\nprint(int(r) if r == int(r) else r)\n"
STDIN_BUFFER = "import sys\nnums = sys.stdin.buffer.read().split()\nprint(float(nums[0]) + float(nums[1]))\n"
FUNC_OK = ("class Solution:\n    def twoSum(self, nums: List[int], target: int) -> List[int]:\n"
           "        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n"
           "                return (seen[target - x], i)\n            seen[x] = i\n")


@pytest.mark.parametrize(("row", "code", "reason", "code_value"), [
    (stdin_row(), STDIN_OK, "pass", None),
    (stdin_row(), STDIN_BUFFER, "pass", None),  # 3.0 vs 3 matches as decimals, like LCB
    (stdin_row(), "print(3)\n", "wrong_answer", -2),
    (stdin_row(), "while True:\n    pass\n", "timeout", -3),
    (stdin_row(), "raise RuntimeError('x')\n", "error", -4),
    (stdin_row(), "print(\n", "compile_error", -1),
    (functional_row(), FUNC_OK, "pass", None),  # a tuple result counts as a list
    (functional_row(), FUNC_OK.replace("(seen[target - x], i)", "[i, seen[target - x]]"), "wrong_answer", -2),
    (functional_row(), "class Solution:\n    def twoSum(self, nums, target):\n        return nums[99]\n",
     "error", -4),
])
def test_scoring_both_test_types(row, code, reason, code_value, lcb_executor):
    problem = row_to_problem(row)
    response = f"<think>...</think><answer>```python\n{code}```</answer>"
    (verdict,) = lcb_score.score([(problem, response)], lcb_executor, lcb_score.LCBConfig(test_timeout_s=1.0),
                                 progress=False)
    assert verdict.reason == reason, verdict.details
    assert verdict.correct == (reason == "pass")
    if code_value is not None:
        assert verdict.details["code"] == code_value


def test_stdin_comparison_rules():
    assert lcb_score.stdin_output_matches("3\n\n", "3")
    assert lcb_score.stdin_output_matches("1.50 2", "1.5 2.0")
    assert not lcb_score.stdin_output_matches("1 2", "1\n2")
    assert not lcb_score.stdin_output_matches("abc", "abd")
