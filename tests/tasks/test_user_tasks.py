"""Issue 10 E: user-supplied tasks are executed once before use (azr_env.tasks.user_tasks)."""

import warnings

import gymnasium as gym
import pytest
from task_helpers import wrap

from azr_env.errors import ConfigError, DataError
from azr_env.tasks import Task, TaskConfig
from azr_env.tasks.user_tasks import check_tasks, task_from_row, validate_tasks

CFG = TaskConfig()
GOOD = {"program": "def f(x):\n    return x * 2", "input": "3", "output": "6", "source": "good"}
ROWS = [
    GOOD,
    {"program": "def f(x):\n    return x * 2", "input": "4", "source": "missing"},  # output computed
    {"program": "def f(x):\n    return x * 2", "input": "3", "output": "7", "source": "wrong"},
    {"program": "def f(x):\n    while True:\n        pass", "input": "1", "output": "1", "source": "loop"},
    {"program": "import time\ndef f(x):\n    return time.time()", "input": "1", "output": "1", "source": "clock"},
    {"program": "def f(x):\n    return 1 / x", "input": "0", "output": "1", "source": "raises"},
    {"program": "def f(x:\n    return x", "input": "1", "output": "1", "source": "syntax"},
    {"program": "calls = [0]\ndef f(x):\n    calls[0] += 1\n    return calls[0]", "input": "1",
     "output": "1", "source": "nondet"},
]


@pytest.fixture(scope="module")
def fast_executor():
    from azr_env.executor import Executor

    with Executor(workers=2, timeout_s=1.0, memory_mb=512) as ex:
        yield ex


def _tasks():
    return [task_from_row(row, "deduction") for row in ROWS]


def test_each_row_is_reported_by_rule(fast_executor):
    checked = check_tasks(_tasks(), fast_executor, CFG)
    assert isinstance(checked[0], Task) and checked[1].outputs == ("8",)
    reasons = {item.task_id: item.reason for item in checked[2:]}
    assert reasons == {"wrong": "wrong_output", "loop": "timeout", "clock": "banned_module",
                       "raises": "execution_error", "syntax": "syntax_error", "nondet": "nondeterministic"}


def test_collection_drops_invalid_rows_with_one_summary_warning(fast_executor):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        good = validate_tasks(_tasks(), fast_executor, CFG, "warn")
    assert [t.source for t in good] == ["good", "missing"]
    assert len(caught) == 1
    text = str(caught[0].message)
    assert "dropped 6 of 8" in text and "timeout: 1" in text and "first: wrong, loop" in text


def test_strict_and_pinned_raise_off_skips(fast_executor):
    with pytest.raises(DataError, match="wrong: wrong_output"):
        validate_tasks(_tasks(), fast_executor, CFG, "strict")
    with pytest.raises(DataError, match="timeout"):
        validate_tasks([_tasks()[3]], fast_executor, CFG, "warn", pinned=True)
    assert len(validate_tasks(_tasks()[2:], fast_executor, CFG, "off")) == 6  # nothing runs
    with pytest.raises(DataError, match="no output"):
        validate_tasks(_tasks()[1:2], fast_executor, CFG, "off")
    with pytest.raises(ConfigError, match="validate"):
        validate_tasks(_tasks(), fast_executor, CFG, "maybe")


def test_results_are_cached_per_process(fast_executor):
    class Counting:
        calls = 0

        def run_many(self, pairs, **kwargs):
            Counting.calls += 1
            return fast_executor.run_many(pairs, **kwargs)

    rows = [task_from_row(dict(GOOD, input="11", output="22"), "deduction")]
    counting = Counting()
    validate_tasks(rows, counting, CFG)
    validate_tasks(rows, counting, CFG)
    assert Counting.calls == 1


def test_error_type_rows_keep_the_exception_as_gold(fast_executor):
    row = {"program": "def f(x):\n    return [1][x]", "input": "5", "output": "IndexError"}
    [task] = validate_tasks([task_from_row(row, "error_type")], fast_executor, CFG)
    assert task.output == "IndexError"
    missing = task_from_row({"program": row["program"], "input": "5"}, "error_type")
    assert validate_tasks([missing], fast_executor, CFG)[0].output == "IndexError"


def test_envs_validate_user_tasks(tmp_path):
    env = gym.make("AZR-Deduction-v0", disable_env_checker=True)  # its checker cannot follow a failed reset
    with pytest.raises(DataError, match="wrong_output"):
        env.reset(options={"task": ROWS[2]})
    env.close()
    env = gym.make("AZR-Deduction-v0")
    env.reset(options={"task": ROWS[1]})  # the missing output is computed
    assert env.step(wrap("```output\n8\n```"))[1] == 1.0
    env.close()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        env = gym.make("AZR-Deduction-v0", tasks=[GOOD, ROWS[2]])
        env.reset(seed=0)
        assert env.step(wrap("```output\n6\n```"))[1] == 1.0  # only the valid row is left
        env.close()
    assert sum("dropped 1 of 2" in str(w.message) for w in caught) == 1
    env = gym.make("AZR-Deduction-v0", tasks=[GOOD, ROWS[2]], validate="strict", disable_env_checker=True)
    with pytest.raises(DataError, match="wrong_output"):
        env.reset(seed=0)
    env.close()
