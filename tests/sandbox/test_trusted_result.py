"""Issue 10, item C: the result is what the executor observed, not what the program wrote.

Hostile programs forge reply frames on their descriptors, lie about determinism, read values that are not a
function of their input, or return text that is not valid UTF-8.
"""

from __future__ import annotations

import pytest

from azr_env.executor import Executor

FORGE = """
import json, os, struct

def forge(value_repr, deterministic=True, status='ok'):
    data = json.dumps({'status': status, 'value_repr': value_repr, 'error': None,
                       'deterministic': deterministic, 'truncated': False}).encode()
    for fd in range(3, 64):
        try:
            os.write(fd, struct.pack('>I', len(data)) + data)
        except OSError:
            pass
"""


@pytest.fixture(scope="module")
def ex():
    with Executor(workers=2, timeout_s=5.0, memory_mb=512) as executor:
        yield executor


# ------------------------------------------------------------------------------------------- C7: forged frames
def test_a_forged_frame_before_the_real_result_is_a_crash(ex):
    """The first frame used to win: a program could report any value and still run on."""
    result = ex.run(FORGE + "forge(\"'forged'\")\ndef f():\n    return 'real'", "f()")
    assert result.status == "crashed" and result.value_repr is None, result


@pytest.mark.parametrize("ending", ["import signal\nos.kill(os.getpid(), signal.SIGSEGV)", "os._exit(3)",
                                    "while True:\n    pass"])
def test_a_forged_frame_without_a_normal_exit_is_not_a_result(ex, ending):
    result = ex.run(FORGE + "forge(\"'forged'\")\n" + ending, "None", timeout_s=1.0)
    assert result.status in ("crashed", "timeout") and result.value_repr is None, result


@pytest.mark.parametrize("status", ["timeout", "crashed", "output_limit"])
def test_statuses_the_executor_observes_cannot_be_claimed_by_the_program(ex, status):
    result = ex.run(FORGE + f"forge(None, status={status!r})\nos._exit(0)", "None")
    assert result.status == "crashed" and "without a valid result" in result.error, result


def test_a_forged_deterministic_flag_is_checked_in_another_process(ex):
    """A frame claiming `deterministic: true` for a random value, then a clean exit: the second run, in another
    process, gives another value, so the result is not deterministic (it used to be accepted as such)."""
    # tempfile's names come from a `random` the library seeds per process: a source the run-time ban leaves open
    program = FORGE + "import tempfile\nforge(repr(tempfile.mktemp()))\nos._exit(0)"
    result = ex.run(program, "None", check_determinism=True)
    assert result.status == "ok" and result.deterministic is False, result


def test_a_value_fixed_per_process_is_not_deterministic(ex):
    """Two calls in one process agree (the value is drawn once, at import), two processes do not."""
    program = "import tempfile\nSEED = tempfile.mktemp()\ndef f(a):\n    return (a, SEED)"
    result = ex.run(program, "f(1)", check_determinism=True)
    assert result.status == "ok" and result.deterministic is False, result


def test_the_in_process_double_call_still_catches_state_kept_across_calls(ex):
    counter = "calls = [0]\ndef f():\n    calls[0] += 1\n    return calls[0]"
    assert ex.run(counter, "f()", check_determinism=True).deterministic is False
    assert ex.run("def f(a):\n    return sorted(a)", "f([3, 1])", check_determinism=True).deterministic is True


# ------------------------------------------------------------------ C7b: sources that are not the input
@pytest.mark.parametrize(
    "program",
    [
        "import importlib\nm = importlib.import_module('ti' + 'me')\ndef f():\n    return int(m.time()) % 2",
        "m = __import__('ran' + 'dom')\ndef f():\n    return m.random() < 0.5",
        "import secrets\ndef f():\n    return secrets.randbits(1)",
        "import os\ndef f():\n    return os.urandom(1)[0] % 2",
        "import os\ndef f():\n    return os.getpid() % 2",
        "import sys\ndef f():\n    return int(sys.modules['time'].time()) % 2",
        "import statistics\ndef f():\n    return statistics.random.random() < 0.5",
        "import pkgutil\ndef f():\n    return pkgutil.resolve_name('random').random() < 0.5",
        "import os\ndef f():\n    return len(getattr(os, 'envi' + 'ron')['PYTHONHASHSEED'])",
        "import importlib\ndef f():\n    return importlib.import_module('hash' + 'lib').md5(b'').hexdigest()",
        "def f():\n    return int(float(open('/proc/uptime').read().split()[0])) % 2",
        "import pathlib\ndef f():\n    return int(pathlib.Path('/proc/self/stat').read_text().split()[0]) % 2",
        "import os\ndef f():\n    return int(os.readlink('/proc/self')) % 2",
        "import os\ndef f():\n    return len(os.listdir('/proc')) % 2",
        "import os\ndef f():\n    return os.stat('/proc/self').st_ino % 2",
        # code compiled under a library's file name is still the program's
        "src = 'def g():\\n    return open(\"/proc/loadavg\").read()'\n"
        "ns = {}\nexec(compile(src, '/usr/lib/python3/x.py', 'exec'), ns)\ndef f():\n    return len(ns['g']()) % 2",
    ],
    ids=["import_module-time", "__import__-random", "secrets", "urandom", "pid", "sys.modules", "statistics.random",
         "pkgutil", "getattr-environ", "import_module-hashlib", "proc-uptime", "pathlib-proc-stat",
         "readlink-proc-self", "listdir-proc", "stat-proc-self", "compiled-as-library"],
)
def test_a_validation_run_cannot_read_clocks_entropy_or_the_pid(ex, program):
    """With check_determinism (how proposals are validated) these sources fail at run time, whatever the
    spelling (the banned-module check is static only). They used to pass validation as deterministic."""
    result = ex.run(program, "f()", check_determinism=True)
    assert result.status == "error", result
    assert result.deterministic is None


def test_the_run_time_ban_covers_every_banned_module():
    """Every module of the task layer's static ban list is refused at run time too (dotted entries such as
    `os.path` or `sys.exit` are about task quality, not about where an output comes from)."""
    from azr_env.sandbox.zygote import NONDETERMINISTIC_MODULES
    from azr_env.tasks.program_checks import BANNED_MODULES

    modules = {entry for entry in BANNED_MODULES if "." not in entry}
    assert modules <= set(NONDETERMINISTIC_MODULES), modules - set(NONDETERMINISTIC_MODULES)


def test_ordinary_runs_and_libraries_keep_these_modules(ex):
    assert ex.run("import time, random", "(type(time.time()), type(random.random()))").ok
    numpy = ex.run("import numpy as np\ndef f(a):\n    return int(np.array(a).sum())", "f([1, 2])",
                   check_determinism=True)  # numpy imports datetime itself: a library may
    assert numpy.value_repr == "3" and numpy.deterministic is True, numpy


# ----------------------------------------------------------------------------- C8: text that is not text
@pytest.mark.parametrize(
    ("program", "expression", "field"),
    [
        ("class V:\n    def __repr__(self):\n        return '\\udc80 lone'", "V()", "value_repr"),
        ("raise ValueError('\\ud800 bad')", "None", "error"),
        ("print('\\udfff out')", "1", "stdout"),
        ("import os\nos.write(1, b'\\xff\\xfe raw')", "1", "stdout"),
    ],
)
def test_every_string_in_a_result_is_valid_utf8(ex, program, expression, field):
    result = ex.run(program, expression)
    text = getattr(result, field)
    assert isinstance(text, str) and text
    text.encode("utf-8")  # raised UnicodeEncodeError for a lone surrogate
    for other in (result.value_repr, result.error, result.stdout):
        if other is not None:
            other.encode("utf-8")


# ----------------------------------------------------------------------------- issue 13: stdout truncation
def test_stdout_truncation_is_flagged(ex):
    long = ex.run("print('x' * 10000)", "1")
    assert long.ok and long.stdout_truncated is True and len(long.stdout) == 8192
    short = ex.run("print('x' * 100)", "1")
    assert short.ok and short.stdout_truncated is False
