"""Issue 10 item B: from inside the bubblewrap sandbox the host is invisible and the kernel surface is small.

B4 host files (the view holds only what the interpreter needs), B5 host sockets, B6 namespaces, capabilities and
the seccomp filter. Every program here runs through the real Executor; probes are planted by the tests.
"""

from __future__ import annotations

import ast
import ctypes
import errno
import json
import os
import socket
import subprocess
import sys
import sysconfig
import threading
import uuid
from pathlib import Path

import pytest

import azr_env
from azr_env.errors import SandboxUnavailableError
from azr_env.executor import Executor
from azr_env.sandbox import isolation
from azr_env.sandbox.isolation import LOCKDOWN_SCRIPT, WORKER_CAPABILITIES, interpreter
from azr_env.sandbox.seccomp import AUDIT_ARCH, SYSCALLS, build_filter, native_arch


def _namespaces_available() -> bool:
    """Whether bubblewrap can make namespaces here at all. Deliberately not `bwrap_works()`, which also runs our
    recipe: a broken recipe must fail these tests, not skip them."""
    try:
        return subprocess.run(["bwrap", "--unshare-pid", "--unshare-net", "--ro-bind", "/", "/", "--proc", "/proc",
                               "true"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


pytestmark = pytest.mark.skipif(not _namespaces_available(), reason="bubblewrap cannot create namespaces here")

CHECKOUT = Path(azr_env.__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ex():
    with Executor(workers=1, timeout_s=20.0, isolation="bwrap") as executor:
        yield executor


def run_json(ex: Executor, program: str, expression: str = "f()", timeout_s: float = 20.0):
    """Run `program`, whose `expression` returns a JSON-able value, and return that value."""
    result = ex.run(program + "\nimport json as _json\n", f"_json.dumps({expression})", timeout_s=timeout_s)
    assert result.status == "ok", result
    return json.loads(ast.literal_eval(result.value_repr))  # the repr of a str


# ------------------------------------------------------------------------------------------ B4: host files
def allowed_roots() -> set[str]:
    """What SPEC §3.5 and the issue allow in the view: libraries, the loader cache, the interpreter's prefix and
    its environment's site-packages, the two scripts, /dev, /proc and the private /tmp."""
    roots = {"/dev", "/proc", "/tmp", "/azr", "/etc/ld.so.cache", os.path.realpath(sys.base_prefix)}
    roots |= {os.path.realpath(sysconfig.get_paths()[key]) for key in ("purelib", "platlib")}
    roots |= {p for p in ("/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32", "/lib", "/lib64", "/lib32",
                          "/libx32") if os.path.lexists(p)}
    return roots


WALK = """
import os
def f(allowed):
    seen, stack = [], ['/']
    while stack:
        folder = stack.pop()
        try:
            names = os.listdir(folder)
        except OSError as exc:
            seen.append(folder + ' !' + type(exc).__name__)
            continue
        for name in names:
            path = os.path.join(folder, name)
            seen.append(path)
            if path not in allowed and os.path.isdir(path) and not os.path.islink(path):
                stack.append(path)
    return sorted(seen)[:500], len(seen)
"""


def test_the_sandbox_root_holds_only_what_the_interpreter_needs(ex):
    roots = allowed_roots()
    seen, count = run_json(ex, WALK, f"f({sorted(roots)!r})")
    ancestors = {str(parent) for root in roots for parent in Path(root).parents}
    stray = [path for path in seen if path not in roots and path not in ancestors
             and not any(path.startswith(root + "/") for root in roots)]
    assert stray == [], f"visible outside the allowlist: {stray[:20]}"
    assert count == len(seen)  # all of it was checked
    assert "/etc/ld.so.cache" in seen and "/usr/lib" in seen  # the walk did see the view


def test_planted_probe_files_are_invisible(ex, tmp_path, monkeypatch):
    home = tmp_path / "home" / "someone"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    token = uuid.uuid4().hex
    probes = [CHECKOUT / f".probe-{token}.jsonl", tmp_path / "probe.txt", home / ".ssh" / "id_probe",
              CHECKOUT / "tests" / f"probe-{token}.txt"]
    try:
        for probe in probes:
            probe.write_text(token)
            probe.chmod(0o644)
        with Executor(workers=1, isolation="bwrap") as fresh:  # started after HOME changed
            seen = run_json(fresh, """
import os
def f(paths, checkout):
    found = {}
    for path in paths:
        try:
            with open(path) as handle:
                found[path] = 'read: ' + handle.read()[:40]
        except OSError as exc:
            found[path] = type(exc).__name__
    found['checkout'] = sorted(os.listdir(checkout)) if os.path.isdir(checkout) else None
    return found
""", f"f({[str(p) for p in probes]!r}, {str(CHECKOUT)!r})")
    finally:
        for probe in probes:
            probe.unlink(missing_ok=True)
    assert {str(p): seen[str(p)] for p in probes} == {str(p): "FileNotFoundError" for p in probes}
    assert seen["checkout"] in (None, [".venv"])  # at most the path down to the environment's site-packages


def test_installed_packages_and_the_standard_library_stay_importable(ex):
    """SPEC §3 item 5: programs import what is installed (read-only), also modules no worker preloaded, which are
    read after the uid drop through the view's world-traversable mount points."""
    pytest.importorskip("numpy")
    outcome = run_json(ex, """
import numpy, zoneinfo, wave, sqlite3
def f():
    return int(numpy.arange(10).sum()), wave.__name__, sqlite3.sqlite_version_info[0]
""")
    assert outcome == [45, "wave", 3]


@pytest.mark.slow
def test_a_disk_search_finds_no_task_file(ex, tmp_path):
    """The reward hack of issue 10: search the disk for JSONL task files and read the hidden outputs."""
    token = uuid.uuid4().hex
    planted = [CHECKOUT / f"probe-run-{token}" / "buffer.jsonl", tmp_path / "tasks.jsonl"]
    try:
        for path in planted:
            path.parent.mkdir(exist_ok=True)
            path.write_text(json.dumps({"inputs": [1], "outputs": [token]}) + "\n")
        found = run_json(ex, """
import os
def f(token):
    hits, files = [], 0
    for folder, dirs, names in os.walk('/'):
        if folder in ('/proc', '/dev'):
            dirs[:] = []
            continue
        for name in names:
            files += 1
            if name.endswith('.jsonl'):
                try:
                    with open(os.path.join(folder, name), errors='replace') as handle:
                        if token in handle.read(1 << 16):
                            hits.append(os.path.join(folder, name))
                except OSError:
                    pass
    return hits, files
""", f"f({token!r})", timeout_s=60)
    finally:
        for path in planted:
            path.unlink(missing_ok=True)
        (CHECKOUT / f"probe-run-{token}").rmdir()
    hits, files = found
    assert files > 1000  # the search really walked the view
    assert hits == []


# ---------------------------------------------------------------------------------------- B5: host sockets
CONNECT = """
import socket
def f(targets):
    out = {}
    for target in targets:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            client.connect(target.encode('latin-1'))
            client.sendall(b'hello')
            out[target] = 'connected: ' + client.recv(16).decode()
        except OSError as exc:
            out[target] = type(exc).__name__
        finally:
            client.close()
    return out
"""


def test_no_host_unix_socket_is_reachable(ex, tmp_path):
    token = uuid.uuid4().hex[:12]
    paths = [str(tmp_path / "host.sock"), str(CHECKOUT / f".probe-{token}.sock")]
    abstract = f"\0azr-probe-{token}"
    servers, accepted = [], []
    for address in [*paths, abstract]:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(address)
        server.listen(4)
        server.settimeout(0.2)
        servers.append(server)
    if os.geteuid() == 0:  # a dropped-uid child could not open a root-owned socket anyway; make it permissive
        for path in paths:
            os.chmod(path, 0o777)
    stop = threading.Event()

    def serve(server):
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            accepted.append(connection.recv(16))
            connection.sendall(b"answer")
            connection.close()

    threads = [threading.Thread(target=serve, args=(s,), daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    try:
        # the probe itself works from the host, so a refusal inside the sandbox means something
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(abstract)
        probe.sendall(b"host")
        assert probe.recv(16) == b"answer"
        probe.close()
        outcome = run_json(ex, CONNECT, f"f({[*paths, abstract]!r})")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=2)
        for server in servers:
            server.close()
        for path in paths:
            Path(path).unlink(missing_ok=True)
    assert outcome == {paths[0]: "FileNotFoundError", paths[1]: "FileNotFoundError",
                       abstract: "ConnectionRefusedError"}
    assert accepted == [b"host"]


# -------------------------------------------------------------------- B6: namespaces, capabilities, seccomp
STATUS = """
import os
def fields(pid):
    with open(f'/proc/{pid}/status') as handle:
        pairs = (line.split(':', 1) for line in handle)
        return {key: value.strip() for key, value in pairs if key.startswith(('Cap', 'Seccomp', 'NoNewPrivs'))}
def f():
    return fields('self'), fields(os.getppid())
def every_process():
    return {pid: fields(pid) for pid in os.listdir('/proc') if pid.isdigit()}
"""


def test_programs_hold_no_capability_and_the_worker_only_what_the_uid_drop_needs(ex):
    program, worker = run_json(ex, STATUS)
    for name in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        assert int(program[name], 16) == 0, (name, program)
    assert int(worker["CapBnd"], 16) == 0 and int(worker["CapAmb"], 16) == 0, worker
    allowed = sum(1 << number for number in WORKER_CAPABILITIES.values()) if os.geteuid() == 0 else 0
    assert int(worker["CapEff"], 16) & ~allowed == 0 and int(worker["CapPrm"], 16) & ~allowed == 0, worker
    assert program["Seccomp"] == worker["Seccomp"] == "2"  # filter mode, in the worker and inherited
    assert program["NoNewPrivs"] == "1"
    processes = run_json(ex, STATUS, "every_process()")
    assert len(processes) >= 3  # bubblewrap's init, the worker, this program
    for pid, status in processes.items():  # "in any process inside the sandbox"
        assert int(status["CapEff"], 16) & ~allowed == 0 and int(status["CapPrm"], 16) & ~allowed == 0, (pid, status)


def _syscall_cases() -> list[tuple[str, tuple, int]]:
    """(syscall, arguments, errno the filter must give). Arguments are harmless and chosen so that, without the
    filter, the call would succeed or fail with another errno."""
    clone_newuser_sigchld = 0x10000000 | 17
    return [
        ("unshare", (0x10000000,), errno.EPERM),  # CLONE_NEWUSER: succeeds for anyone without the filter
        ("unshare", (0x40000000,), errno.EPERM),  # CLONE_NEWNET
        ("setns", (-1, 0), errno.EPERM),
        ("clone", (clone_newuser_sigchld, 0, 0, 0, 0), errno.EPERM),
        ("clone3", (0, 0), errno.ENOSYS),
        ("mount", (b"none", b"/tmp", b"tmpfs", 0, 0), errno.EPERM),
        ("ptrace", (0, 0, 0, 0), errno.EPERM),  # PTRACE_TRACEME
        ("process_vm_readv", ("self", 0, 0, 0, 0, 0), errno.EPERM),
        ("keyctl", (0, -3, 0), errno.EPERM),  # KEYCTL_GET_KEYRING_ID of the session keyring
        ("add_key", (b"user", b"probe", b"x", 1, -2), errno.EPERM),
        ("bpf", (9999, 0, 0), errno.EPERM),
        ("perf_event_open", (0, 0, -1, -1, 0), errno.EPERM),
        ("userfaultfd", (1,), errno.EPERM),  # UFFD_USER_MODE_ONLY
        ("io_uring_setup", (1, 0), errno.EPERM),
        ("init_module", (0, 0, b""), errno.EPERM),
        ("finit_module", (-1, b"", 0), errno.EPERM),
        ("shmget", (0, 4096, 0o600), errno.EPERM),  # IPC_PRIVATE
        ("msgget", (0, 0o600), errno.EPERM),
        ("semget", (0, 1, 0o600), errno.EPERM),
    ]


SYSCALL = """
import ctypes, os
def f(cases):
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    out = []
    for number, args in cases:
        args = [os.getpid() if a == 'self' else ctypes.c_char_p(a.encode()) if isinstance(a, str) else
                ctypes.c_long(a) for a in args]
        ctypes.set_errno(0)
        result = libc.syscall(ctypes.c_long(number), *args)
        out.append([result, ctypes.get_errno()])
    return out
"""


@pytest.mark.skipif(native_arch() is None, reason="no seccomp syscall table for this architecture")
def test_the_filter_denies_what_a_pure_function_never_needs(ex):
    numbers = SYSCALLS[native_arch()]
    cases = _syscall_cases()
    encoded = [[numbers[name], [a.decode() if isinstance(a, bytes) else a for a in args]]
               for name, args, _ in cases]
    outcome = run_json(ex, SYSCALL, f"f({encoded!r})")
    got = {f"{name}{args}": tuple(result) for (name, args, _), result in zip(cases, outcome)}
    expected = {f"{name}{args}": (-1, code) for name, args, code in cases}
    assert got == expected


def test_unshare_of_a_user_namespace_fails_inside_a_program(ex):
    outcome = run_json(ex, """
import ast
import ctypes
def f():
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.unshare(0x10000000), ctypes.get_errno()
""")
    assert outcome == [-1, errno.EPERM]


INT80_GETPID = """
import ctypes, mmap, os
code = bytes([0xB8, 0x14, 0, 0, 0, 0xCD, 0x80, 0xC3])  # mov eax, 20 (getpid in the i386 ABI); int 0x80; ret
buffer = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
buffer.write(code)
address = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
result = [ctypes.CFUNCTYPE(ctypes.c_int)(address)(), os.getpid()]
"""


@pytest.mark.skipif(native_arch() != "x86_64", reason="the i386 ABI exists on x86-64 only")
def test_syscalls_through_the_32_bit_abi_kill_the_program(ex):
    """A deny list keyed by x86-64 numbers would be bypassed through `int 0x80`, where the numbers differ: the
    filter checks the ABI first. The host run shows the probe works where the kernel has 32-bit emulation."""
    host = subprocess.run([sys.executable, "-S", "-c", INT80_GETPID + "print(result[0] == result[1])"],
                          capture_output=True, text=True, timeout=30)
    if host.stdout.strip() != "True":
        pytest.skip("this kernel has no 32-bit syscall emulation")
    result = ex.run(INT80_GETPID, "result")
    assert (result.status, result.error) == ("crashed", "killed by signal SIGSYS")


@pytest.mark.skipif(native_arch() is None, reason="no seccomp syscall table for this architecture")
def test_threads_fork_and_spawn_still_work_under_the_filter():
    """The filter must not break what the worker and ordinary Python use: glibc's fork (clone), threads and
    posix_spawn (clone3 first, then clone after ENOSYS). Run outside the executor, whose children may not fork."""
    code = """
import os, subprocess, sys, threading
box = []
thread = threading.Thread(target=box.append, args=(1,))
thread.start(); thread.join()
pid = os.fork()
if pid == 0:
    os._exit(7)
_, status = os.waitpid(pid, 0)
spawned = subprocess.run([sys.executable, '-S', '-c', 'print(6 * 7)'], capture_output=True, text=True).stdout
seccomp = [l.split()[1] for l in open('/proc/self/status') if l.startswith('Seccomp:')]
print(box, os.waitstatus_to_exitcode(status), spawned.strip(), seccomp)
"""
    done = subprocess.run([interpreter(), "-s", "-S", "-B", str(LOCKDOWN_SCRIPT), "", build_filter(native_arch()).hex(),
                           "--", interpreter(), "-S", "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[0] == "[1] 7 42 ['2']"


def test_syscall_tables_match_libseccomp():
    try:
        lib = ctypes.CDLL("libseccomp.so.2")
    except OSError:
        pytest.skip("libseccomp is not installed")
    lib.seccomp_syscall_resolve_name_arch.argtypes = [ctypes.c_uint32, ctypes.c_char_p]
    for arch, table in SYSCALLS.items():
        resolved = {name: lib.seccomp_syscall_resolve_name_arch(AUDIT_ARCH[arch], name.encode()) for name in table}
        assert resolved == table, arch


def test_a_sandbox_whose_lockdown_fails_is_refused_not_run_unconfined(monkeypatch):
    """lockdown.py exits non-zero when it cannot install the filter; the start-up probe then reports the sandbox
    unusable (with the reason) instead of letting workers run without it."""
    monkeypatch.setattr(isolation, "_bwrap_ok", None)
    monkeypatch.setattr(isolation, "seccomp_filter_hex", lambda: "00" * 8)  # one BPF instruction with code 0: invalid
    with pytest.raises(SandboxUnavailableError, match="installing seccomp filter"):
        Executor(workers=1, isolation="bwrap")
