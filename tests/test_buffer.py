import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from azr_env.buffer import BufferSet, TaskBuffer
from azr_env.errors import ConfigError, DataError
from azr_env.tasks import Task


def task(i: int, kind: str = "deduction") -> Task:
    return Task(kind, f"def f(a):\n    return a + {i}", ("1",), (str(1 + i),))


def test_starts_from_the_zero_triplet():
    buffer = TaskBuffer("deduction")
    [zero] = buffer.tasks
    assert zero.program == "def f(a):\n    return a" and zero.input == zero.output == "'Hello world'"
    assert len(TaskBuffer("deduction", seed_zero=False)) == 0
    assert len(TaskBuffer("induction").tasks[0].inputs) == 6


def test_exact_dedup_and_type_check():
    buffer = TaskBuffer("deduction", seed_zero=False, dedup="always")
    assert buffer.add_many([task(1), task(1), task(2)]) == [True, False, True]
    assert task(1) in buffer and len(buffer) == 2
    with pytest.raises(ConfigError, match="got a 'abduction' task"):
        buffer.add(task(3, "abduction"))


def test_duplicates_are_dropped_while_seeding_and_kept_after_it():
    """Reference: exact de-duplication only in the seeding stage; later valid tasks are appended as they come."""
    buffer = TaskBuffer("deduction", seed_zero=False)
    assert buffer.add_many([task(1), task(1)], step=-1) == [True, False]
    assert buffer.add_many([task(1), task(2), task(2)], step=0) == [True, True, True]
    assert [t.output for t in buffer] == ["2", "2", "3", "3"] and buffer.added_at(0).count(task(2)) == 2
    with pytest.raises(ConfigError, match="dedup='never'"):
        TaskBuffer("deduction", dedup="never")


def test_evicting_one_copy_keeps_the_others():
    buffer = TaskBuffer("deduction", capacity=2, policy="evict_oldest", seed_zero=False)
    buffer.add_many([task(1), task(1), task(2)])
    assert [t.output for t in buffer] == ["2", "3"] and task(1) in buffer


def test_keep_first_and_evict_oldest():
    first = TaskBuffer("deduction", capacity=3, seed_zero=False)
    first.add_many([task(i) for i in range(5)])
    assert [t.outputs[0] for t in first] == ["1", "2", "3"] and first.rejected_full == 2
    oldest = TaskBuffer("deduction", capacity=3, policy="evict_oldest", seed_zero=False)
    oldest.add_many([task(i) for i in range(5)])
    assert [t.outputs[0] for t in oldest] == ["3", "4", "5"]
    with pytest.raises(ConfigError, match="policy='lru'"):
        TaskBuffer("deduction", policy="lru")


def test_sampling_is_uniform_without_replacement_and_seeded():
    buffer = TaskBuffer("deduction", seed_zero=False)
    buffer.add_many([task(i) for i in range(10)])
    a = buffer.sample(6, np.random.default_rng(1))
    assert len({t.key() for t in a}) == 6
    assert a == buffer.sample(6, np.random.default_rng(1))
    assert len(buffer.sample(50, np.random.default_rng(0))) == 10


def test_references_are_redrawn_when_the_prompt_is_too_long():
    buffers = BufferSet(("deduction",))
    big = Task("deduction", "def f(a):\n    return a" + " " * 3000, ("1",), ("1",))
    buffers["deduction"].add_many([big] + [task(i) for i in range(3)])

    def prompt_of(refs):
        return "".join(t.program for t in refs)

    for seed in range(20):
        refs, prompt = buffers.draw_references(["deduction"], 2, np.random.default_rng(seed), prompt_of, max_chars=1000)
        assert len(prompt) <= 1000 and len(refs) >= 1 and big not in refs


def test_induction_references_come_from_deduction_and_abduction():
    buffers = BufferSet()
    refs, _ = buffers.draw_references(["deduction", "abduction"], 1, np.random.default_rng(0), str)
    assert refs[0].task_type in ("deduction", "abduction")


def test_solver_batch_starts_with_the_last_step_then_tops_up():
    buffers = BufferSet(("deduction",))
    buffers["deduction"].add_many([task(i) for i in range(3)], step=1)
    buffers["deduction"].add_many([task(i) for i in range(10, 12)], step=2)
    batch = buffers.solver_batch("deduction", 5, np.random.default_rng(0), step=2)
    assert batch[:2] == [task(10), task(11)] and len(batch) == 5
    assert len(buffers.solver_batch("deduction", 100, np.random.default_rng(0))) == 100


def test_persists_and_resumes(tmp_path):
    buffers = BufferSet(directory=tmp_path)
    buffers["deduction"].add_many([task(i) for i in range(3)], step=4)
    resumed = BufferSet(directory=tmp_path)
    assert resumed.counts() == {"deduction": 4, "abduction": 1, "induction": 1}
    assert resumed["deduction"].added_at(4) == [task(0), task(1), task(2)]
    assert resumed["deduction"].add(task(0), step=-1) is False  # seeding dedup survives the restart
    rows = (tmp_path / "deduction.jsonl").read_text().splitlines()
    assert len(rows) == 4 and json.loads(rows[1])["step"] == 4


def test_partial_last_line_is_cut_and_corrupt_lines_named(tmp_path):
    path = tmp_path / "deduction.jsonl"
    TaskBuffer("deduction", path).add(task(1))
    with open(path, "ab") as handle:
        handle.write(b'{"task_type": "deduction", "prog')
    assert len(TaskBuffer("deduction", path)) == 2
    assert path.read_bytes().endswith(b"\n")
    path.write_text('{"nope": 1}\n')
    with pytest.raises(DataError, match=r"deduction.jsonl:1"):
        TaskBuffer("deduction", path)


WRITER = """
import sys
from azr_env.buffer import TaskBuffer
from azr_env.tasks import Task
buffer = TaskBuffer("deduction", sys.argv[1], seed_zero=False)
start = int(sys.argv[2])
pad = "#" * 1_000_000
for i in range(start, start + 100_000):
    batch = [Task("deduction", f"def f(a):\\n    return a + {i}  {pad}", ("1",), (str(i),)),
             Task("deduction", f"def f(a):\\n    return a - {i}", ("1",), (str(-i),))]
    buffer.add_many(batch)
    print(i, flush=True)
"""


@pytest.mark.slow
def test_sigkill_at_any_moment_loses_and_duplicates_nothing(tmp_path):
    path = tmp_path / "deduction.jsonl"
    acknowledged: set[int] = set()
    partial_writes = 0  # kills that landed mid-line (usually most of them; not asserted)
    start = 1  # not 0: the rows store i and -i
    for round_ in range(6):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(start)], stdout=subprocess.PIPE, text=True
        )
        first = proc.stdout.readline()  # the writer is up and appending
        time.sleep(0.005 + 0.015 * round_)
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        acknowledged |= {int(x) for x in (first + out).split()}
        assert proc.returncode == -signal.SIGKILL
        partial_writes += not path.read_bytes().endswith(b"\n")
        buffer = TaskBuffer("deduction", path, seed_zero=False)  # resume: must read cleanly
        outputs = [int(t.output) for t in buffer]
        assert len(outputs) == len(set(outputs))  # no duplicated rows
        assert all(i in outputs and -i in outputs for i in acknowledged)  # no lost rows
        lines = path.read_bytes().split(b"\n")
        assert lines[-1] == b"" and len(lines) - 1 == len(buffer)  # file holds exactly the buffer
        start = max(acknowledged, default=0) + 1_000
    assert len(acknowledged) >= 6
    print(f"{partial_writes} of 6 kills left a partial line")


def test_evict_oldest_replays_to_the_same_buffer(tmp_path):
    path = tmp_path / "deduction.jsonl"
    buffer = TaskBuffer("deduction", path, capacity=3, policy="evict_oldest", seed_zero=False)
    buffer.add_many([task(i) for i in range(5)])
    buffer.add(task(0))  # evicted earlier, so accepted again
    resumed = TaskBuffer("deduction", path, capacity=3, policy="evict_oldest", seed_zero=False)
    assert resumed.tasks == buffer.tasks == [task(3), task(4), task(0)]
