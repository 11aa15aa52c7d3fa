"""Issue 10, item A: one program never sees or affects another program (bubblewrap mode).

Each test writes the hostile program as its input: a program that plants a marker, then one that looks for it
(in its stack frames, in every object of its heap, in the raw bytes of its writable memory, in SysV IPC, in the
kernel keyrings), or a program that leaves a mess the next one must not pay for.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from azr_env.executor import Executor
from azr_env.sandbox.isolation import bwrap_works

from .test_hostile import _descendants, assert_still_healthy

pytestmark = pytest.mark.skipif(not bwrap_works(), reason="bubblewrap not usable here")
is_root = os.geteuid() == 0

# The marker is written literally only by the planting programs; the looking programs hold it in two pieces.
HEAD, TAIL = "ZQXplanted", "-marker-7f3a"
PLANT = f"secret = {HEAD + TAIL!r} * 3\nreply_holder = [secret]\n"
QUEUED = f"queued = {HEAD + TAIL!r}\n"

FRAME_WALKER = f"""
import gc, sys
HEAD, TAIL = {HEAD!r}, {TAIL!r}

def hits(text):
    i = text.find(HEAD)
    while i >= 0:
        if text[i + len(HEAD):i + len(HEAD) + len(TAIL)] == TAIL:
            return True
        i = text.find(HEAD, i + 1)
    return False

def scan():
    found = 0
    frame = sys._getframe()
    while frame is not None:
        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            try:
                found += hits(repr(value))
            except Exception:
                pass
        frame = frame.f_back
    for obj in gc.get_objects() + gc.get_referents(*gc.get_objects()):
        if isinstance(obj, (str, bytes, bytearray)):
            text = obj if isinstance(obj, str) else bytes(obj).decode('latin-1')
            found += hits(text)
    return found
"""

MEMORY_SCANNER = f"""
import ctypes
HEAD, TAIL = {HEAD!r}.encode(), {TAIL!r}.encode()

def scan():
    found = 0
    with open('/proc/self/maps') as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        if not fields[1].startswith('rw') or (len(fields) > 5 and fields[5].startswith('[v')):
            continue
        start, end = (int(x, 16) for x in fields[0].split('-'))
        for offset in range(start, end, 1 << 20):
            data = ctypes.string_at(offset, min(1 << 20, end - offset))
            i = data.find(HEAD)
            while i >= 0:
                if data[i + len(HEAD):i + len(HEAD) + len(TAIL)] == TAIL:
                    found += 1
                i = data.find(HEAD, i + 1)
    return found
"""


@pytest.fixture
def one_worker():
    """A single worker, so the planting and the looking program run in the same sandbox, one after another."""
    with Executor(workers=1, timeout_s=10.0, memory_mb=512) as executor:
        yield executor


# --------------------------------------------------------------------------------------------------- A1
@pytest.mark.parametrize("looker", [FRAME_WALKER, MEMORY_SCANNER], ids=["frames-and-heap", "raw-memory"])
def test_a_program_finds_no_trace_of_earlier_or_queued_programs(one_worker, looker):
    """A1: an earlier program's request and reply, and the next queued request, are not in the memory of the
    process that runs a program (the old worker forked children from the process that handled every request)."""
    planted = one_worker.run(PLANT, "reply_holder")
    assert planted.ok and HEAD in planted.value_repr
    results = one_worker.run_many([(PLANT, "secret"), (looker, "scan()"), (QUEUED, "queued"), (looker, "scan()")])
    assert [r.status for r in results] == ["ok"] * 4, results
    assert results[1].value_repr == "0"  # not the previous program, not the request queued behind it
    assert results[3].value_repr == "0"
    assert_still_healthy(one_worker)


def test_the_looker_can_see_its_own_marker(one_worker):
    """The scanners do find a marker that is really there (so a 0 above means absent, not a blind scanner)."""
    for looker in (FRAME_WALKER, MEMORY_SCANNER):
        result = one_worker.run(PLANT + looker, "scan()")
        assert result.ok and int(result.value_repr) > 0, result


# --------------------------------------------------------------------------------------------------- A2
SYSV = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000
KEY = 0x5A0C
"""


def test_sysv_ipc_objects_do_not_outlive_their_program(one_worker):
    """A2: shared memory, message queues and semaphores made by one program are gone for the next."""
    make = SYSV + ("shm = libc.shmget(KEY, 1 << 20, IPC_CREAT | 0o666)\n"
                   "msg = libc.msgget(KEY, IPC_CREAT | 0o666)\n"
                   "sem = libc.semget(KEY, 1, IPC_CREAT | 0o666)\n"
                   "mq = libc.mq_open(b'/azr-test-queue', 0o102, 0o600, None)\n")  # O_CREAT | O_RDWR
    made = one_worker.run(make, "(shm >= 0, msg >= 0, sem >= 0, mq)")
    # POSIX queues are refused (RLIMIT_MSGQUEUE=0). SysV objects: the seccomp filter denies them outright
    # ("(False, False, False, -1)"); where no filter is installed they may be made, and the worker that held them is
    # replaced before the next program. The check below must hold either way.
    assert made.ok and made.value_repr.endswith(", -1)"), made
    look = SYSV + ("found = (libc.shmget(KEY, 0, 0), libc.msgget(KEY, 0), libc.semget(KEY, 0, 0))\n"
                   "tables = [len(open(f'/proc/sysvipc/{t}').read().splitlines()) - 1 for t in ('shm', 'msg', 'sem')]")
    seen = one_worker.run(look, "(found, tables)")
    assert seen.ok and ast.literal_eval(seen.value_repr) == ((-1, -1, -1), [0, 0, 0]), seen
    assert_still_healthy(one_worker)


KEYS = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
RINGS = {'user': -4, 'user-session': -5, 'session': -3, 'persistent': libc.syscall(250, 22, -1, -2)}
NAME = b'azr-test-key-' + str(__import__('os').geteuid()).encode()
"""


@pytest.mark.skipif(not is_root, reason="the per-program uid (and its keyrings) exists only when running as root")
def test_keyring_entries_do_not_outlive_their_program(one_worker):
    """A2: keys a program adds to its keyrings are not visible to the next program with the same uid."""
    add = KEYS + ("added = {name: libc.syscall(248, b'user', NAME, b'secret', 6, ring) for name, ring in "
                  "RINGS.items()}")
    one_worker.run(add, "added")
    find = KEYS + "found = {name: libc.syscall(249, b'user', NAME, None, ring) for name, ring in RINGS.items()}"
    found = ast.literal_eval(one_worker.run(find, "found").value_repr)
    assert set(found) == {"user", "user-session", "session", "persistent"}
    assert all(key_id < 0 for key_id in found.values()), found
    assert_still_healthy(one_worker)


def test_many_files_left_behind_replace_the_worker_instead_of_slowing_the_next_program(one_worker):
    """A2: a program that leaves more than the cleanup budget gets its whole sandbox replaced; the next
    program finds an empty directory and none of the cleanup is done in its time (structural: the worker
    process changed, and nothing was cleaned file by file)."""
    first_pid = one_worker._workers[0].pid
    made = one_worker.run("import os\nfor i in range(6000):\n    open(f'f{i}', 'w').close()",
                          "len(os.listdir('.'))")
    assert made.value_repr == "6000"
    after = one_worker.run("import os", "os.listdir('.')")
    assert after.ok and after.value_repr == "[]"
    assert one_worker._workers[0].pid != first_pid
    assert one_worker._workers[0].retirements == 1 and one_worker.worker_restarts == 0
    assert_still_healthy(one_worker)


def test_a_deep_directory_chain_does_not_break_the_worker(one_worker):
    """A2: a 1,500-deep directory chain once made every later program on the worker crash, forever."""
    deep = "import os\nfor i in range(1500):\n    os.mkdir('d')\n    os.chdir('d')"
    assert one_worker.run(deep, "os.getcwd().count('/d')").value_repr == "1500"
    results = one_worker.run_many([("import os", "os.listdir('.')")] * 3)
    assert [r.value_repr for r in results] == ["[]"] * 3
    assert_still_healthy(one_worker)


def test_a_few_files_left_behind_are_cleaned_in_place(one_worker):
    """The common case stays cheap: a handful of files is removed without replacing the worker."""
    first_pid = one_worker._workers[0].pid
    made = one_worker.run("import os\nos.makedirs('a/b/c')\nopen('a/b/c/x', 'w').write('x')\nos.chmod('a', 0)",
                          "1")
    assert made.ok
    assert one_worker.run("import os", "os.listdir('.')").value_repr == "[]"
    assert one_worker._workers[0].pid == first_pid


# --------------------------------------------------------------------------------------------------- A3
QUADRATIC_FOLDING = "x = " + " + ".join(["'ab' * 2048"] * 2000)  # 26 kB; constant folding is quadratic


def test_compiling_runs_under_the_programs_own_limits(one_worker):
    """A3: compiling happens in the program's child, under its CPU, wall-clock and memory limits. This 26 kB
    program takes ~30 s and gigabytes to compile without limits; here it ends as "memory" (or "timeout") like
    any runaway program, and the worker carries on (it used to run past the deadline and be killed)."""
    result = one_worker.run(QUADRATIC_FOLDING, "len(x)", timeout_s=1.0)
    assert result.status in ("timeout", "memory"), result
    assert one_worker.worker_restarts == 0
    assert_still_healthy(one_worker)


def test_a_huge_program_does_not_grow_the_worker(one_worker):
    """A3: compiling a ~900 kB program used to grow the worker for good (later programs then hit ENOMEM)."""
    one_worker.run("", "1")
    before = _sandbox_rss_kb(one_worker)
    big = "\n".join(f"v{i} = [{i}, {i + 1}, {i + 2}, 'x{i}']" for i in range(24000))
    assert len(big) > 800_000
    assert one_worker.run(big, "v23999[0]").value_repr == "23999"
    after = _sandbox_rss_kb(one_worker)
    assert after - before < 20_000, (before, after)  # the program's memory went away with its child


def _sandbox_rss_kb(ex: Executor) -> int:
    """Resident memory of the worker's long-lived processes (bubblewrap, handler, template, waiting child)."""
    total = 0
    for pid in _descendants([ex._workers[0].pid]):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except (FileNotFoundError, ProcessLookupError):
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total


def test_requests_queued_behind_a_retiring_worker_run_on_its_replacement(one_worker):
    """A retiring worker answers its program, then exits: the requests already in its pipe never ran there, so
    they run on the fresh worker (none is lost or failed)."""
    mess = ("import os\nfor i in range(6000):\n    open(f'f{i}', 'w').close()", "'messy'")
    results = one_worker.run_many([mess] + [("import os", f"({i}, os.listdir('.'))") for i in range(5)])
    assert [r.value_repr for r in results] == ["'messy'"] + [f"({i}, [])" for i in range(5)]
    assert one_worker._workers[0].retirements == 1 and one_worker.worker_restarts == 0
