"""Result capture, concurrency and misuse of `azr_env.executor` (the hostile suite is tests/sandbox/)."""

from __future__ import annotations

import asyncio
import time

import pytest

from azr_env.errors import ConfigError, ExecutorClosedError
from azr_env.executor import ExecutionResult, Executor


@pytest.mark.parametrize(
    ("program", "expression"),
    [
        ("", "{'a': [1, (2, 3.5)], 'b': {'c': None, 'd': frozenset()}}"),
        ("", "0.1 + 0.2"),
        ("", "[float('inf'), float('-inf'), -0.0, 1e300 * 10]"),
        ("", "{3, 1, 2}"),
        ("", "'héllo wörld ✓ 𝔘 \\x00 \\n'"),
        ("", "b'\\xff\\x00bytes'"),
        ("", "(1,)"),
        ("", "10**50"),
        ("from collections import Counter, deque, defaultdict, OrderedDict\n",
         "[Counter('abca'), deque([1, 2]), defaultdict(int, {'x': 1}), OrderedDict(a=1)]"),
        ("", "complex(1, -2)"),
    ],
)
def test_value_repr_matches_in_process_repr(executor, program, expression):
    namespace: dict = {}
    exec(program, namespace)
    expected = repr(eval(expression, namespace))
    result = executor.run(program, expression)
    assert result == ExecutionResult("ok", value_repr=expected, duration_s=result.duration_s)


def test_recursive_container_repr(executor):
    result = executor.run("x = [1]\nx.append(x)\nd = {}\nd['self'] = d", "(x, d)")
    assert result.value_repr == "([1, [...]], {'self': {...}})"


def test_nan_is_reported_and_deterministic(executor):
    result = executor.run("", "float('nan')", check_determinism=True)
    assert result.value_repr == "nan" and result.deterministic is True  # compared by repr, nan != nan aside


@pytest.mark.parametrize(
    ("program", "expected_error"),
    [
        ("raise ValueError('multi\\nline ✓ message')", "ValueError: multi\nline ✓ message"),
        ("raise KeyError('k')", "KeyError: 'k'"),
        ("raise SystemExit(3)", "SystemExit: 3"),
        ("raise KeyboardInterrupt", "KeyboardInterrupt"),
        ("class E(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\nraise E()",
         "E: <unprintable message>"),
        ("raise ValueError('x' * 100000)", "ValueError: " + "x" * 2000),
        ("def f(:\n    pass", "SyntaxError"),
        ("x = undefined_name", "NameError: name 'undefined_name' is not defined"),
    ],
)
def test_exceptions_are_reported_as_type_and_message(executor, program, expected_error):
    result = executor.run(program, "None")
    assert result.status == "error"
    assert result.error.startswith(expected_error)
    assert result.value_repr is None


def test_exception_in_value_repr_is_an_error(executor):
    result = executor.run("class V:\n    def __repr__(self):\n        raise TypeError('bad repr')", "V()")
    assert result.status == "error" and result.error == "TypeError: bad repr"


def test_repr_returning_non_string_is_an_error(executor):
    result = executor.run("class V:\n    def __repr__(self):\n        return 42", "V()")
    assert result.status == "error" and "TypeError" in result.error


def test_stdout_is_captured(executor):
    result = executor.run("print('hello')\nimport sys\nprint('err', file=sys.stderr)", "1")
    assert result.stdout == "hello\nerr\n"


def test_program_that_exits_without_result_is_crashed(executor):
    result = executor.run("import os\nos._exit(7)", "None")
    assert result.status == "crashed" and "code 7" in result.error


def test_segfault_is_crashed(executor):
    result = executor.run("import ctypes\nctypes.string_at(0)", "None")
    assert result.status == "crashed" and "SIGSEGV" in result.error


def test_installed_packages_are_importable(executor):
    result = executor.run("import numpy as np\ndef f(a):\n    return int(np.array(a).sum())", "f([1, 2, 3])")
    assert result.value_repr == "6"


def test_run_many_preserves_order_when_durations_differ(executor):
    jobs = [(f"import time\ntime.sleep({0.05 * (5 - i)})", str(i)) for i in range(6)]
    assert [r.value_repr for r in executor.run_many(jobs)] == [str(i) for i in range(6)]


def test_run_many_runs_in_parallel():
    with Executor(workers=2) as ex:
        ex.run("", "1")  # warm both
        start = time.monotonic()
        ex.run_many([("import time\ntime.sleep(0.4)", "1")] * 4)
        elapsed = time.monotonic() - start
    assert elapsed < 1.4  # 4 x 0.4 s on 2 workers: ~0.8 s, not 1.6 s


def test_arun_under_asyncio_gather(executor):
    async def main():
        return await asyncio.gather(*[executor.arun("def f(a):\n    return a * a", f"f({i})") for i in range(12)])

    results = asyncio.run(main())
    assert [r.value_repr for r in results] == [str(i * i) for i in range(12)]


def test_arun_does_not_block_the_event_loop(executor):
    async def main():
        ticks = 0

        async def ticker():
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        await executor.arun("import time\ntime.sleep(0.3)", "1")
        task.cancel()
        return ticks

    assert asyncio.run(main()) >= 10


def test_closed_executor_raises_clear_error():
    ex = Executor(workers=1)
    ex.close()
    ex.close()  # idempotent
    with pytest.raises(ExecutorClosedError, match="closed"):
        ex.run("", "1")
    with pytest.raises(ExecutorClosedError):
        ex.run_many([("", "1")])


@pytest.mark.parametrize(
    "kwargs",
    [{"workers": 0}, {"timeout_s": -1}, {"memory_mb": 10}, {"isolation": "docker"}, {"hash_seed": -1},
     {"workers": True}],
)
def test_bad_constructor_arguments(kwargs):
    with pytest.raises(ConfigError):
        Executor(**kwargs)


def test_bad_run_arguments(executor):
    with pytest.raises(ConfigError, match="program must be a str"):
        executor.run(b"x = 1", "x")
    with pytest.raises(ConfigError, match="timeout_s"):
        executor.run("", "1", timeout_s=0)
    with pytest.raises(ConfigError, match="pair"):
        executor.run_many(["just a string"])


def test_oversized_and_null_byte_programs_are_errors_not_exceptions(executor):
    assert executor.run("x = 1\n" * 200_000, "x").status == "error"
    assert executor.run("x = '\x00'", "x").status == "error"


@pytest.mark.timeout(60)
def test_large_requests_and_replies_do_not_deadlock_the_pipelined_workers():
    # Requests and replies both larger than a pipe buffer: a request queued behind another while the worker writes
    # a large reply used to block both sides forever.
    big = "x" * 300_000
    jobs = [(f"data = {big!r} + {str(i)!r}", "data") for i in range(6)]
    with Executor(workers=1, value_cap=1_000_000) as ex:
        results = ex.run_many(jobs)
    assert [r.value_repr[-2:] for r in results] == [f"{i}'" for i in range(6)]
    assert all(len(r.value_repr) == 300_003 for r in results)


def test_in_child_determinism_check_keeps_the_double_call_and_refuses_unknown_modes(executor):
    """"in_child": the child's double call still catches state kept across calls; no second process is asked for
    (the caller compares another process's result itself); anything else is a ConfigError."""
    stateful = "calls = []\ndef f():\n    calls.append(1)\n    return len(calls)"
    assert executor.run(stateful, "f()", check_determinism="in_child").deterministic is False
    assert executor.run("def f():\n    return 7", "f()", check_determinism="in_child").deterministic is True
    assert executor.run("def f():\n    return 7", "f()").deterministic is None
    with pytest.raises(ConfigError, match="check_determinism"):
        executor.run("def f():\n    return 7", "f()", check_determinism="twice")
