"""The reference's released seed files load as they are (issue 12 item 4), on rows of the same shape written here."""

from __future__ import annotations

import json

import numpy as np
import pytest

from azr_env.buffer import BufferSet
from azr_env.envs.solve import AZRSolveEnv
from azr_env.errors import DataError
from azr_env.rounds import Referee, RoundConfig
from azr_env.seeds import load_seed_file, seed_buffers_from_files, seed_file_task_types, task_from_seed_row
from azr_env.tasks import Task

POOL_ROWS = [  # `data/<model>_seed_io.jsonl`: one pool for deduction and abduction
    {"snippet": "import math\ndef f(n):\n    return math.factorial(n)", "input": "5", "output": "120",
     "imports": ["import math"], "original_snippet": "import math\ndef f(n):\n    return math.factorial(n)",
     "composite_functions": []},
    {"snippet": "def f(s):\n    import string\n    return s.upper()", "input": "'ab'", "output": "'AB'",
     "imports": ["import string"], "original_snippet": "", "composite_functions": []},
]
CODE_F_ROWS = [  # `data/<model>_code_f_seed_io.jsonl`: lists written as strings (their repr)
    {"snippet": "def f(a, b):\n    return a + b", "inputs": repr(["1, 2", "'a', 'b'", "[1], [2]", "0, 0"]),
     "outputs": repr(["3", "'ab'", "[1, 2]", "0"]), "message": "Combine the two arguments.", "imports": "[]"},
]
ERROR_ROWS = [{"snippet": "def f(a):\n    return 1 / a", "input": "0", "output": "ZeroDivisionError", "imports": [],
               "original_snippet": "def f(a):\n    return 1 / a", "composite_functions": []}]


def _write(path, rows, extra_lines=()):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + "".join(line + "\n" for line in extra_lines))
    return path


def test_task_from_dict_accepts_seed_rows_which_it_used_to_refuse():
    task = Task.from_dict(POOL_ROWS[0], "abduction")
    assert (task.task_type, task.program, task.input, task.output) == ("abduction", POOL_ROWS[0]["snippet"], "5", "120")
    induction = Task.from_dict(CODE_F_ROWS[0])
    assert induction.task_type == "induction" and induction.inputs[1] == "'a', 'b'" and induction.outputs[2] == "[1, 2]"
    assert induction.message == "Combine the two arguments."


def test_imports_the_snippet_lacks_are_put_in_front_others_left_alone():
    assert task_from_seed_row(POOL_ROWS[0], "deduction").program == POOL_ROWS[0]["snippet"]  # shown unchanged
    nested = task_from_seed_row(POOL_ROWS[1], "deduction").program
    assert nested == "import string\n" + POOL_ROWS[1]["snippet"]  # the reference runs it with a global import
    row = dict(POOL_ROWS[0], snippet="def f(n):\n    return math.factorial(n)", imports="import math")
    assert task_from_seed_row(row, "deduction").program.startswith("import math\ndef f(n):")


def test_seed_file_fills_both_pool_buffers_and_drops_bad_rows_with_a_summary(tmp_path):
    bad = [{"snippet": "def f(a):\n    return a", "input": "1"},  # no output
           {"snippet": 3, "input": "1", "output": "1"}]
    path = _write(tmp_path / "7b_seed_io.jsonl", POOL_ROWS + bad, ["{not json"])
    load = load_seed_file(path)
    assert seed_file_task_types(path) == ("deduction", "abduction")
    assert sorted(t.task_type for t in load.tasks) == ["abduction", "abduction", "deduction", "deduction"]
    assert load.rows == 5 and load.dropped == {"bad_output": 1, "bad_snippet": 1, "not_json": 1}
    assert "dropped 3" in load.summary() and "2 deduction" in load.summary()


def test_code_f_and_error_files_feed_their_own_buffers(tmp_path):
    code_f = _write(tmp_path / "7b_code_f_seed_io.jsonl", [*CODE_F_ROWS, dict(CODE_F_ROWS[0], inputs="[1, ")])
    error = _write(tmp_path / "7b_error_seed_io.jsonl", ERROR_ROWS)
    pool = _write(tmp_path / "7b_seed_io.jsonl", POOL_ROWS)
    buffers = BufferSet(("deduction", "abduction", "induction"), seed_zero=False)
    loads = seed_buffers_from_files(buffers, [pool, code_f, error], limit=1)
    assert buffers.counts() == {"deduction": 1, "abduction": 1, "induction": 1}  # limit per type; no error buffer
    assert loads[str(code_f)].dropped == {"bad_inputs": 1}
    assert buffers["induction"].tasks[0].inputs == ("1, 2", "'a', 'b'", "[1], [2]", "0, 0")


def test_a_validator_drops_tasks_that_do_not_reproduce(tmp_path, executor):
    wrong = dict(POOL_ROWS[0], output="121")
    path = _write(tmp_path / "x_seed_io.jsonl", [POOL_ROWS[0], wrong])

    def validate(tasks):  # runs each task once in the sandbox, as the user-task validation does
        results = executor.run_many([(t.program, f"f({t.input})") for t in tasks])
        return [None if r.ok and r.value_repr == t.output else "output_differs" for t, r in zip(tasks, results)]

    load = load_seed_file(path, ("deduction",), validate=validate)
    assert [t.output for t in load.tasks] == ["120"] and load.dropped == {"invalid:output_differs": 1}


def test_solver_env_plays_a_released_seed_file(tmp_path, executor):
    path = _write(tmp_path / "7b_seed_io.jsonl", [*POOL_ROWS, {"snippet": "def f(a):\n    return a"}])
    with Referee(RoundConfig(), executor=executor) as referee, pytest.warns(UserWarning, match="dropped 1"):
        env = AZRSolveEnv("deduction", tasks=str(path), referee=referee)
    assert len(env.tasks) == 2
    prompt, info = env.reset(seed=0, options={"task": POOL_ROWS[0]})
    assert "math.factorial" in prompt
    _, reward, terminated, _, info = env.step("<think>5! is 120</think><answer>```output\n120\n```</answer>")
    assert reward == 1.0 and terminated and info["correct"]
    with pytest.raises(DataError, match="no induction tasks"):
        AZRSolveEnv("induction", tasks=str(path), referee=referee)


def test_seed_tasks_serve_as_proposer_references(tmp_path):
    buffers = BufferSet(("deduction", "abduction"), seed_zero=False)
    seed_buffers_from_files(buffers, [_write(tmp_path / "m_seed_io.jsonl", POOL_ROWS)])
    refs, prompt = buffers.draw_references(("deduction",), 2, np.random.default_rng(0), lambda rs: str(len(rs)))
    assert {r.source for r in refs} == {"seed_file:m_seed_io.jsonl"} and prompt == "2"


def test_a_released_code_f_row_can_be_pinned_in_the_induction_env(executor):
    with Referee(RoundConfig(), executor=executor) as referee:
        env = AZRSolveEnv("induction", tasks=[CODE_F_ROWS[0]], referee=referee)
        prompt, _ = env.reset(seed=0, options={"task": CODE_F_ROWS[0]})
    assert "'a', 'b'" in prompt and "Combine the two arguments." in prompt and "[]\ndef f" not in prompt
