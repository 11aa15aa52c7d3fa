"""The worker inside one sandbox: a request handler, and a pristine template that forks one child per program.

This file runs as a script (`python -s -S zygote.py CONFIG_JSON`), inside bubblewrap when available, and uses
only the standard library. At start, before it has read a single request, the process forks a **template**:
the template never handles a request, a reply or a program; it only forks children on command. The parent
becomes the **handler**: it reads requests, hands each one to a fresh child, watches the child, and answers.
So the process that runs a program has never held another program's data, freed or not (no stack frame, no
heap page of the handler is in it), and everything derived from the program (parsing the request, compiling)
happens in the child under the program's own limits.

Per program: the template has already forked the child, which waits on a socket of its own (the template gave
the other end to the handler, with the pid). The handler puts the request in an anonymous memory file and
passes it, with an output capture file and the write end of a reply pipe, to the waiting child. The child
confines itself (process group, descriptors, rlimits, uid), then reads and compiles its request, runs it and
writes one length-prefixed JSON frame. The template, its parent, reaps it, reports the wait status to the
handler, and forks the next child while the handler answers. A result is
accepted only as exactly one frame followed by a normal exit within the limits; timeout, crash and output
limit are what the handler observed, never what the program said.

Protocol with the host: 4-byte big-endian length + UTF-8 JSON, both ways. A request is
`{"program", "expression", "timeout_s", "check_determinism"}`; the reply is a dict with the fields of
`azr_env.executor.ExecutionResult`, plus `"retire": true` when this worker must be replaced (a program left
behind what cannot be cleaned cheaply); the handler then exits after that reply.
"""

import builtins
import gc
import json
import math
import os
import resource
import select
import signal
import socket
import struct
import sys
import time
from collections.abc import MutableMapping

MAX_REQUEST_BYTES = 64 * 1024 * 1024
# Captured at start: a program may monkey-patch os and json in its own process before the harness reports.
_write, _exit, _repr, _isinstance = os.write, os._exit, repr, isinstance
_encode_str = json.encoder.encode_basestring_ascii
_LENGTH = struct.Struct(">I")
# template -> handler: (b"P", pid, 0) a child waits, its socket attached; (b"X", pid, wait status) it was reaped
_EVENT = struct.Struct(">cii")
# What a program may leave in its working directory and still have it cleaned in place; more replaces the worker.
CLEANUP_BUDGET_ENTRIES = 5000
# Seconds the handler waits for the template to report a killed child before it gives the worker up.
REAP_GRACE_S = 5.0
SYSV_IPC_TABLES = ("/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/sysvipc/sem")
# Modules that make a program's output depend on something other than its input (clocks, entropy, the pid,
# threads, the host). A validation run (check_determinism) refuses to import them from the program's own code,
# whatever the spelling (`__import__('ti' + 'me')`, `importlib.import_module`, `sys.modules[...]`).
NONDETERMINISTIC_MODULES = ("random", "_random", "secrets", "time", "datetime", "_datetime", "uuid", "_uuid",
                            "zoneinfo", "_strptime", "threading", "_thread", "multiprocessing", "_multiprocessing",
                            "subprocess", "asyncio", "socket", "_socket", "select", "selectors", "resource",
                            "ctypes", "_ctypes", "posix", "nt", "pwd", "grp", "platform", "faulthandler",
                            # and the modules of azr_env.tasks.program_checks.BANNED_MODULES (checked statically too)
                            "logging", "pebble", "hashlib", "_hashlib", "hmac", "bcrypt", "calendar")
# os functions that read the pid, the clock, entropy or host state; a validation run gets ones that raise.
NONDETERMINISTIC_OS_NAMES = ("urandom", "getrandom", "getpid", "getppid", "getpgrp", "getpgid", "getsid", "times",
                             "getloadavg", "cpu_count", "sched_getaffinity", "uname", "getlogin", "get_terminal_size")
# What a validation run's own code may not read: the kernel's view of the process and the machine (/proc/uptime is
# a clock, /proc/self/stat the pid, /proc/loadavg the host's load) and what is left of the host (the minimal /etc).
HOST_STATE_PATHS = ("/proc", "/sys", "/dev", "/etc", "/run", "/var")
HOST_READ_EVENTS = frozenset({"open", "os.listdir", "os.scandir", "os.chdir"})
HOST_PATH_OS_NAMES = ("readlink", "stat", "lstat", "access")  # no audit event; readlink('/proc/self') is the pid
# Library files that import on a caller's behalf: an import they make is attributed to whoever called them.
_IMPORT_TRAMPOLINES = ("importlib", "<frozen", "pkgutil", "runpy", "pickle", "copyreg", "zipimport")


class WorkerBroken(Exception):
    """The handler lost track of a child or its template: this worker must be replaced."""


def write_message(stream, message):
    data = json.dumps(message).encode("utf-8")
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def result(status, *, value_repr=None, error=None, stdout="", duration_s=0.0, deterministic=None,
           truncated=False, stdout_truncated=False):
    return {"status": status, "value_repr": value_repr, "error": error, "stdout": stdout,
            "duration_s": duration_s, "deterministic": deterministic, "truncated": truncated,
            "stdout_truncated": stdout_truncated}


def utf8_clean(text):
    """`text` with anything that is not encodable as UTF-8 (lone surrogates) escaped: every string that leaves
    the sandbox is valid UTF-8."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


# --------------------------------------------------------------------------------------------------- handler
class Handler:
    """Reads requests, runs each in a fresh child forked by the template, answers with what it observed."""

    def __init__(self, config, control):
        self.control = control
        self.stdout_cap = int(config["stdout_cap"])
        self.value_cap = int(config["value_cap"])
        self.output_limit = int(config["output_limit_bytes"])
        self.uid = config.get("uid")
        self.workdir = os.path.join(config["workdir_root"], "work")
        self.reply_cap = self.value_cap * 6 + 65536  # JSON escaping can grow a repr up to 6x
        # In bubblewrap the working directory is on a private tmpfs: its usage tells whether a program left
        # anything anywhere. The fallback's directory is on the host's file system, shared with everyone.
        self.private_tmp = not config.get("audit_hook")
        self.tmp_root = config["workdir_root"]
        self.make_workdir()
        self.tmp_usage = self.usage()
        self.persistent_keyring = PersistentKeyring(self.uid) if self.uid is not None else None

    def handle(self, body):
        """(reply, retire) for one request body (raw JSON bytes, passed to the child as they are)."""
        request = json.loads(body)
        timeout_s = float(request["timeout_s"])
        start = time.monotonic()
        pid, channel = self.take_child(start + REAP_GRACE_S)
        request_fd = out_fd = read_fd = write_fd = -1
        try:
            request_fd = _memfd("azr-request")
            out_fd = _memfd("azr-stdout")
            read_fd, write_fd = os.pipe()
            view = memoryview(body)
            while view:
                view = view[os.write(request_fd, view):]
            try:
                socket.send_fds(channel, [b"F"], [request_fd, out_fd, write_fd])
            except OSError as exc:
                raise WorkerBroken(f"the waiting child is gone: {exc}") from exc
            channel.close()
            os.close(write_fd)
            write_fd = -1
            reply, wait_status, timed_out = self.watch(pid, read_fd, start + timeout_s)
            duration = time.monotonic() - start
            output_size = os.fstat(out_fd).st_size
            stdout = os.pread(out_fd, self.stdout_cap, 0).decode("utf-8", "replace")
        finally:
            channel.close()
            for fd in (request_fd, out_fd, read_fd, write_fd):
                if fd >= 0:
                    os.close(fd)
        reply = self.classify(reply, wait_status, timed_out, output_size, stdout, duration)
        return reply, not self.dispose_leftovers()

    def take_child(self, deadline):
        """(pid, channel) of the pristine child the template forked in advance, waiting for its request."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([self.control], [], [], remaining)[0]:
            raise WorkerBroken("the template did not fork a child in time")
        message, fds, _, _ = socket.recv_fds(self.control, _EVENT.size, 1)
        if len(message) != _EVENT.size or len(fds) != 1 or message[:1] != b"P":
            for fd in fds:
                os.close(fd)
            raise WorkerBroken("the template is gone")
        return _EVENT.unpack(message)[1], socket.socket(fileno=fds[0])

    def watch(self, pid, read_fd, deadline):
        """Collect the child's reply bytes until it exits or the deadline passes (the child is then killed).

        Returns (reply bytes or None when over the size cap, wait status, timed_out). The reply pipe's only
        writer is the child, so its end of file comes with the child's exit; the wait status comes from the
        template, the child's parent.
        """
        poller = select.poll()
        poller.register(read_fd, select.POLLIN)
        poller.register(self.control, select.POLLIN)
        reply, timed_out, wait_status = bytearray(), False, None
        while wait_status is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                kill_group(pid)
                wait_status = self.exit_status(pid, time.monotonic() + REAP_GRACE_S)
                break
            for fd, _ in poller.poll(remaining * 1000):
                if fd == read_fd:
                    chunk = os.read(read_fd, 1 << 16)
                    if not chunk:
                        poller.unregister(read_fd)
                    elif reply is not None:
                        reply += chunk
                        if len(reply) > _LENGTH.size + self.reply_cap:
                            reply = None  # oversized: a crash; the child is killed, its reply never parsed
                            kill_group(pid)
                else:
                    wait_status = self.exit_status(pid, time.monotonic() + REAP_GRACE_S)
        if reply is not None and not timed_out:
            os.set_blocking(read_fd, False)
            try:
                while chunk := os.read(read_fd, 1 << 16):
                    reply += chunk
                    if len(reply) > _LENGTH.size + self.reply_cap:
                        reply = None
                        break
            except BlockingIOError:  # a writer outlived the child: nothing it wrote after now counts
                pass
        return reply, wait_status, timed_out

    def exit_status(self, pid, deadline):
        """The wait status of `pid`, as the template reports it after reaping the child."""
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([self.control], [], [], remaining)[0]:
            raise WorkerBroken(f"child {pid} was not reaped in time")
        message = self.control.recv(_EVENT.size)
        if len(message) != _EVENT.size:
            raise WorkerBroken("the template is gone")
        event, reaped, status = _EVENT.unpack(message)
        if event != b"X" or reaped != pid:
            raise WorkerBroken(f"unexpected template event {event!r} for pid {reaped}")
        return status

    def classify(self, reply, wait_status, timed_out, output_size, stdout, duration):
        """The result from what the handler observed: exit status, deadline, output size, and the reply bytes,
        accepted only as exactly one well-formed frame followed by a normal exit."""
        stdout = utf8_clean(stdout)
        common = {"stdout": stdout, "duration_s": duration, "stdout_truncated": output_size > self.stdout_cap}
        if output_size >= self.output_limit:
            return result("output_limit", error=f"output reached the {self.output_limit} byte limit", **common)
        if timed_out:
            return result("timeout", error="wall-clock time limit exceeded", **common)
        if os.WIFSIGNALED(wait_status):
            sig = os.WTERMSIG(wait_status)
            if sig == signal.SIGXCPU:
                return result("timeout", error="CPU time limit exceeded", **common)
            if reply is None:
                return result("crashed", error="reply over the size limit", **common)
            return result("crashed", error=f"killed by signal {signal.Signals(sig).name}", **common)
        code = os.WEXITSTATUS(wait_status)
        if reply is None:
            return result("crashed", error="reply over the size limit", **common)
        data = parse_frame(bytes(reply)) if code == 0 else None
        if data is None:
            return result("crashed", error=f"exited with code {code} without a valid result", **common)
        value_repr = data["value_repr"]
        truncated = data["truncated"] is True
        if value_repr is not None and len(value_repr) > self.value_cap:
            value_repr, truncated = value_repr[: self.value_cap], True
        return result(data["status"], value_repr=utf8_clean(value_repr) if value_repr is not None else None,
                      error=utf8_clean(data["error"]) if data["error"] is not None else None,
                      deterministic=data["deterministic"], truncated=truncated, **common)

    # ------------------------------------------------------------------------------ what a program leaves
    def make_workdir(self):
        if os.path.lexists(self.workdir):
            if os.path.isdir(self.workdir) and not os.path.islink(self.workdir):
                if not clear_directory(self.workdir, CLEANUP_BUDGET_ENTRIES):
                    raise WorkerBroken("the working directory cannot be cleaned")
                os.rmdir(self.workdir)
            else:
                os.unlink(self.workdir)
        os.mkdir(self.workdir, 0o700)
        if self.uid is not None:
            os.chown(self.workdir, self.uid, self.uid)

    def usage(self):
        """What the next program's sandbox state is compared with: tmpfs usage, or the working directory's
        entries where the directory is not on a private tmpfs."""
        return tmpfs_usage(self.tmp_root) if self.private_tmp else tuple(os.listdir(self.workdir))

    def dispose_leftovers(self):
        """Leave the sandbox as the next program must find it; False when that is not cheaply possible (the
        worker is then replaced, so a program's mess is never cleaned at another program's expense)."""
        try:
            if self.persistent_keyring is not None:
                self.persistent_keyring.clear()
            if any(_has_rows(table) for table in SYSV_IPC_TABLES):
                return False  # SysV IPC objects live in this worker's IPC namespace: only a new worker drops them
            info = os.lstat(self.workdir)
            usage = self.usage()
            if usage == self.tmp_usage and info.st_mode == 0o40700 and (self.uid is None or info.st_uid == self.uid):
                return True
            if not clear_directory(self.workdir, CLEANUP_BUDGET_ENTRIES):
                return False
            os.chmod(self.workdir, 0o700)
            if self.uid is not None:
                os.chown(self.workdir, self.uid, self.uid)
            return self.usage() == self.tmp_usage
        except (OSError, ValueError):
            return False


def parse_frame(reply):
    """The reply dict when `reply` is exactly one length-prefixed JSON object of the expected shape, else None."""
    if len(reply) < _LENGTH.size:
        return None
    (length,) = _LENGTH.unpack_from(reply)
    if len(reply) != _LENGTH.size + length:
        return None  # a frame with anything before or after it (a forged frame plus the real one) is no result
    try:
        data = json.loads(reply[_LENGTH.size:].decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("status") not in ("ok", "error", "memory"):
        return None
    out = {}
    for key in ("value_repr", "error"):
        out[key] = data.get(key) if isinstance(data.get(key), str) else None
    out["deterministic"] = data.get("deterministic") if data.get("deterministic") in (True, False) else None
    out["truncated"] = data.get("truncated") is True
    out["status"] = data["status"]
    return out


def tmpfs_usage(path):
    """(inodes, blocks) in use on the file system holding `path`: any change means a program left something."""
    info = os.statvfs(path)
    return info.f_files - info.f_ffree, info.f_blocks - info.f_bfree


def _has_rows(table):
    try:
        with open(table, "rb") as handle:
            return handle.read(1 << 16).count(b"\n") > 1  # a header line, then one line per object
    except FileNotFoundError:
        return False


def clear_directory(root, budget):
    """Remove everything under `root` (kept) without recursion; False after `budget` entries or on any error."""
    pending, directories, seen = [root], [], 0
    try:
        while pending:
            directory = pending.pop()
            with os.scandir(directory) as entries:
                for entry in entries:
                    seen += 1
                    if seen > budget:
                        return False
                    if entry.is_dir(follow_symlinks=False):
                        os.chmod(entry.path, 0o700)
                        pending.append(entry.path)
                        directories.append(entry.path)
                    else:
                        os.unlink(entry.path)
        for directory in reversed(directories):
            os.rmdir(directory)
    except (OSError, ValueError):
        return False
    return True


# -------------------------------------------------------------------------------------------------- template
class Template:
    """Forks the children, one at a time. It never reads a request or a reply, so its memory (and therefore every
    child's, at the fork) holds no program's data."""

    def __init__(self, config, control):
        self.control = control
        self.memory_bytes = int(config["memory_mb"]) * 1024 * 1024
        self.uid = config.get("uid")
        self.workdir = os.path.join(config["workdir_root"], "work")
        self.value_cap = int(config["value_cap"])
        self.output_limit = int(config["output_limit_bytes"])
        self.audit = bool(config.get("audit_hook"))
        self.devnull = os.open(os.devnull, os.O_RDONLY)
        self.child_streams = tuple(
            open(fd, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
            for fd in (1, 2)
        )
        self.nondeterminism_references = nondeterminism_references()

    def serve(self):
        """Fork the next child ahead of its request, hand the handler its pid and socket, reap it, report its
        wait status; again. The child waits on its own socket for its request's descriptors."""
        while True:
            ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            pid = os.fork()
            if pid == 0:
                ours.close()
                self.control.close()
                self.child(theirs)  # never returns
            theirs.close()
            try:
                socket.send_fds(self.control, [_EVENT.pack(b"P", pid, 0)], [ours.fileno()])
            except OSError:
                _exit(0)  # the handler is gone: nothing more to fork for (the child sees its socket close)
            ours.close()
            _, status = os.waitpid(pid, 0)
            try:
                self.control.send(_EVENT.pack(b"X", pid, status))
            except OSError:
                _exit(0)

    # ---------------------------------------------------------------------------------------- child side
    def child(self, channel):
        code = 70
        try:
            try:
                message, fds, _, _ = socket.recv_fds(channel, 16, 3)
                channel.close()
                if message != b"F" or len(fds) != 3:
                    code = 0  # the handler is gone before this child was needed
                    return
                request_fd, out_fd, reply_fd = fds
                request = self.confine(request_fd, out_fd, reply_fd)
            except BaseException as exc:  # noqa: BLE001 - a child that cannot confine itself must not run code
                os.write(2, f"sandbox setup failed: {exc!r}\n".encode("utf-8", "replace"))
                return
            code = 71
            reply = run_untrusted(request["program"], request["expression"], bool(request["check_determinism"]),
                                  self.value_cap)
            try:
                data = encode_reply(reply)
            except BaseException:  # noqa: BLE001
                data = b'{"status": "error", "error": "result could not be encoded"}'
            for stream in self.child_streams:
                try:
                    stream.flush()
                except BaseException:  # noqa: BLE001 - a closed or broken stream loses only its own output
                    pass
            view = memoryview(_LENGTH.pack(len(data)) + data)
            while view:
                view = view[_write(reply_fd, view):]
            code = 0
        finally:
            _exit(code)

    def confine(self, request_fd, out_fd, reply_fd):
        """Limits first, then the request: parsing and compiling it are work done on the program's behalf."""
        # setpgid, not setsid: a new session also makes a new scheduler autogroup, ~0.8 ms per program here.
        os.setpgid(0, 0)
        os.dup2(self.devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        keep = sorted({0, 1, 2, reply_fd, request_fd})
        for low, high in zip(keep, [*keep[1:], None]):
            os.closerange(low + 1, high if high is not None else os.sysconf("SC_OPEN_MAX"))
        resource.setrlimit(resource.RLIMIT_AS, (self.memory_bytes, self.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.output_limit, self.output_limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no fork, no threads (enforced for non-root)
        resource.setrlimit(resource.RLIMIT_MSGQUEUE, (0, 0))  # no POSIX message queue can be created
        if self.uid is not None:
            os.setgroups([])
            os.setgid(self.uid)
            os.setuid(self.uid)
        size = os.fstat(request_fd).st_size
        if size > MAX_REQUEST_BYTES:
            raise ValueError("request over the size limit")
        body = os.pread(request_fd, size, 0)
        os.close(request_fd)
        request = json.loads(body)
        del body
        cpu = max(1, math.ceil(float(request["timeout_s"])))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        os.chdir(self.workdir)
        # Text streams made once in the template (creating them costs ~0.4 ms per child); they wrap fds 1 and
        # 2, which now point at the capture file, and were never written to before the fork.
        sys.stdout, sys.stderr = self.child_streams
        reseed_random()
        if self.audit:
            install_audit_hook(self.workdir)
        if request["check_determinism"]:
            close_nondeterminism_sources(self.nondeterminism_references)
        return request


def warm_up():
    """Compile and run one small program in the template: the first compile in a process initialises the parser
    (~0.7 ms), which every child would otherwise pay again."""
    namespace = {"__builtins__": builtins}
    exec(compile(_WARM_UP_PROGRAM, "<warm-up>", "exec", dont_inherit=True), namespace)
    safe_repr(eval(compile("f([3, 1, 2], 'ab')", "<warm-up>", "eval", dont_inherit=True), namespace))


_WARM_UP_PROGRAM = """
def f(items, text):
    total = sum(x * 2 for x in sorted(items) if x % 2 == 1)
    counts = {c: text.count(c) for c in set(text)}
    return (total, [i for i in range(len(items))], counts, f"{text}-{total}", tuple(items), 1.5, None, True)
"""


def reseed_random():
    """Every child starts from a fresh `random` state (a preloaded module holds the template's): a program that
    reaches randomness by any path gives different values in two runs, which the determinism check sees."""
    module = sys.modules.get("random")
    if module is not None:
        module.seed()


def nondeterminism_references():
    """Where the loaded modules hold the modules a validation run blocks: [(namespace, key)], plus the names in
    sys.modules. Found once, in the template: scanning in every child would copy-on-write most module pages."""
    blocked = frozenset(NONDETERMINISTIC_MODULES)
    names = [name for name in sys.modules if name.split(".")[0] in blocked]
    references = []
    for module_name, module in list(sys.modules.items()):  # references kept by modules (statistics.random)
        if module_name.startswith(("_frozen_importlib", "importlib", "zipimport")):
            continue  # the import system keeps its own (posix, _thread); the program cannot reach them by name
        namespace = getattr(module, "__dict__", None)
        if isinstance(namespace, dict):
            references += [(namespace, key) for key, value in namespace.items()
                           if type(value) is type(sys) and value.__name__.split(".")[0] in blocked]
    return names, references


def close_nondeterminism_sources(references):
    """For a validation run: the program's own imports of clock, entropy and host-state modules fail, whatever
    the spelling, and the `os` functions that read the pid, entropy or host state raise for the program. Best
    effort (C code reached some other way can still read a clock); the executor's second run in another
    process catches the rest."""
    names, held = references
    for name in names:
        sys.modules.pop(name, None)
    for namespace, key in held:
        namespace.pop(key, None)
    for name in NONDETERMINISTIC_OS_NAMES:
        if name in os.__dict__:
            os.__dict__[name] = _refused_to_the_program(os.__dict__[name])
    os.__dict__["environ"] = _EnvironmentForLibrariesOnly(os.environ)  # getattr(os, "envi" + "ron") too
    sys.meta_path.insert(0, _BlockImports(frozenset(NONDETERMINISTIC_MODULES)))
    for name in HOST_PATH_OS_NAMES:
        os.__dict__[name] = _refusing_host_paths(os.__dict__[name])
    sys.addaudithook(_refuse_host_reads)


def _is_host_state(path):
    try:
        path = os.path.abspath(os.fsdecode(path))
    except (TypeError, ValueError):
        return False
    return path != "/dev/null" and any(path == p or path.startswith(p + "/") for p in HOST_STATE_PATHS)


def _refusing_host_paths(function):
    """`function` refusing host-state paths for whoever calls it in a validation run (see `_refuse_host_reads`)."""

    def guarded(path, *args, **kwargs):
        if not isinstance(path, int) and _is_host_state(path):
            raise PermissionError(f"not allowed: {path!r} is host state")
        return function(path, *args, **kwargs)

    return guarded


def _refuse_host_reads(event, args):
    """Audit hook of a validation run: nothing the run does opens or lists host-state paths (a clock in
    /proc/uptime, the pid in /proc/self/stat, the machine in /proc/loadavg and /sys); /dev/null stays usable.
    Unlike the import guard this does not ask who is calling: library code run for the program counts as the
    program (pathlib reading /proc/uptime for it, or code compiled under a library's file name)."""
    if event in HOST_READ_EVENTS and args and not isinstance(args[0], int) and _is_host_state(args[0]):
        raise PermissionError(f"not allowed: {args[0]!r} is host state; this program's output must be a function "
                              "of its input")


class _EnvironmentForLibrariesOnly(MutableMapping):
    """os.environ for a validation run: library code reads it as usual (numpy reads its settings there), the
    program's own code gets PermissionError (the environment differs between executors: PYTHONHASHSEED)."""

    def __init__(self, environ):
        self._environ = environ

    def _check(self):
        if _called_by_the_program(2):
            raise PermissionError("not allowed: this program's output must be a function of its input")

    def __getitem__(self, key):
        self._check()
        return self._environ[key]

    def __setitem__(self, key, value):
        self._check()
        self._environ[key] = value

    def __delitem__(self, key):
        self._check()
        del self._environ[key]

    def __iter__(self):
        self._check()
        return iter(self._environ)

    def __len__(self):
        self._check()
        return len(self._environ)

    def copy(self):
        self._check()
        return dict(self._environ)


def _called_by_the_program(depth):
    """Whether the nearest caller that is not an import trampoline is the program's own code (not a file)."""
    frame = sys._getframe(depth + 1)
    while frame is not None and any(t in frame.f_code.co_filename for t in _IMPORT_TRAMPOLINES):
        frame = frame.f_back
    filename = frame.f_code.co_filename if frame is not None else "<program>"
    return filename.startswith("<") or not os.path.isabs(filename)


def _refused_to_the_program(function):
    """`function` for library code (numpy asks for the CPU count), PermissionError for the program itself."""

    def guarded(*args, **kwargs):
        if _called_by_the_program(1):
            raise PermissionError("not allowed: this program's output must be a function of its input")
        return function(*args, **kwargs)

    return guarded


class _BlockImports:
    """A meta path finder refusing modules in `blocked` when the import comes from the program's own code (a
    library file on disk that imports one of them, such as numpy importing datetime, still may)."""

    def __init__(self, blocked):
        self.blocked = blocked

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] not in self.blocked:
            return None
        if _called_by_the_program(1):
            raise ImportError(f"module {fullname!r} is not allowed: this program's output must be a function of "
                              "its input")
        return None


def run_untrusted(program, expression, check_determinism, value_cap):
    """Compile and execute in this (already confined) process; return the reply dict. Catches everything the
    code does.

    Builtins are restored before the harness touches the reply, so a program that poisons them (say
    `builtins.len = ...`) cannot garble its own report.
    """
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    saved_builtins = dict(builtins.__dict__)
    reply = {"status": "ok", "value_repr": None, "error": None, "deterministic": None, "truncated": False}
    try:
        code = compile(program, "<program>", "exec", dont_inherit=True)
        expr = compile(expression, "<expression>", "eval", dont_inherit=True)
        del program, expression
        exec(code, namespace)
        value_repr = safe_repr(eval(expr, namespace))
        if check_determinism:
            reply["deterministic"] = safe_repr(eval(expr, namespace)) == value_repr
        reply["value_repr"] = value_repr
    except MemoryError as exc:
        reply.update(status="memory", error=describe(exc))
    except BaseException as exc:  # noqa: BLE001 - SystemExit and KeyboardInterrupt are program errors here
        reply.update(status="error", error=describe(exc))
    builtins.__dict__.clear()
    builtins.__dict__.update(saved_builtins)
    if reply["value_repr"] is not None and len(reply["value_repr"]) > value_cap:
        reply["value_repr"], reply["truncated"] = reply["value_repr"][:value_cap], True
    return reply


def encode_reply(reply):
    """JSON for a flat dict of str/bool/None, built with C helpers captured at start (immune to monkey-patching
    of the json module by the program)."""
    parts = []
    for key, value in reply.items():
        if value is None:
            text = "null"
        elif value is True or value is False:
            text = "true" if value else "false"
        else:
            text = _encode_str(str.__str__(value))
        parts.append(_encode_str(key) + ":" + text)
    return ("{" + ",".join(parts) + "}").encode("ascii")


def safe_repr(value):
    text = _repr(value)
    if not _isinstance(text, str):  # a hostile __repr__ may return a str subclass or worse
        raise TypeError("__repr__ returned a non-string")
    return str.__str__(text)


def describe(exc):
    try:
        message = str(exc)
    except BaseException:  # noqa: BLE001
        message = "<unprintable message>"
    name = type(exc).__name__
    return f"{name}: {message[:2000]}" if message else name


def kill_group(pid):
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _memfd(name):
    return os.memfd_create(name, 0)


def install_audit_hook(workdir):
    """Best-effort guard for the fallback mode without namespaces; a determined program can bypass it (ctypes)."""
    blocked = {"socket.connect", "socket.bind", "socket.sendto", "os.system", "subprocess.Popen", "os.exec",
               "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "os.kill", "os.killpg", "pty.spawn",
               "os.startfile", "ctypes.dlopen", "ctypes.dlsym", "ctypes.addressof", "ctypes.cdata"}
    path_events = {"os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.truncate", "os.chmod", "os.chown",
                   "shutil.rmtree", "os.symlink", "os.link", "os.utime"}
    root = os.path.realpath(workdir) + os.sep

    def inside(path):
        try:
            return os.path.realpath(os.fsdecode(path)).startswith(root)
        except Exception:  # noqa: BLE001 - fds and odd types
            return isinstance(path, int)

    def hook(event, args):
        if event in blocked:
            raise PermissionError(f"sandbox: {event} is not allowed")
        if event == "open" and len(args) >= 3 and _writes(args[1], args[2]) and not inside(args[0]):
            raise PermissionError("sandbox: writing outside the working directory is not allowed")
        if event in path_events and args and not inside(args[0]):
            raise PermissionError(f"sandbox: {event} outside the working directory is not allowed")

    sys.addaudithook(hook)


def _writes(mode, flags):
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))


# ---------------------------------------------------------------------------------------------------- keyring
_KEYCTL, _KEYCTL_SETPERM, _KEYCTL_CLEAR, _KEYCTL_GET_PERSISTENT, _KEYCTL_JOIN_SESSION = 250, 5, 7, 22, 1
_KEY_SPEC_PROCESS, _KEY_SPEC_SESSION, _KEY_SPEC_USER, _KEY_SPEC_USER_SESSION = -2, -3, -4, -5
_KEY_VIEW_READ_SEARCH = 0x0B0B0000  # possessor and owner may view, read, search; nobody may write, link, setattr


def lock_keyrings(uid):
    """Make the kernel keyrings a program could write to and that outlive it read-only, for good.

    Keyrings are not namespaced by bubblewrap: keys a program adds to its uid's user keyrings stay in the host
    kernel and are visible to later programs with that uid. A helper process drops to `uid` and removes write,
    link and setattr permission from that uid's user and user-session keyrings (without setattr the owner cannot
    give them back), after giving this process a fresh, read-only session keyring that the children inherit.
    The persistent keyring cannot be locked; the handler empties it after every program (`PersistentKeyring`).
    Best effort on kernels without keyrings (the children's seccomp filter, where present, denies the key
    syscalls as well).
    """
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    keyctl = libc.syscall
    session = keyctl(_KEYCTL, _KEYCTL_JOIN_SESSION, None)
    if session >= 0:
        keyctl(_KEYCTL, _KEYCTL_SETPERM, ctypes.c_long(session), ctypes.c_ulong(_KEY_VIEW_READ_SEARCH))
    if uid is None:
        return
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            for ring in (_KEY_SPEC_USER, _KEY_SPEC_USER_SESSION):
                keyctl(_KEYCTL, _KEYCTL_SETPERM, ctypes.c_long(ring), ctypes.c_ulong(_KEY_VIEW_READ_SEARCH))
        finally:
            _exit(0)
    os.waitpid(pid, 0)


class PersistentKeyring:
    """The children's uid's persistent keyring, emptied after every program.

    Unlike the user keyrings, its permissions cannot be locked (nobody holds setattr on it), and any process of
    that uid may link it and add keys that outlive the program (it expires after days of disuse). The handler
    (which may act for another uid: CAP_SETUID) links it into its own process keyring and clears it.
    """

    def __init__(self, uid):
        import ctypes

        self._c_long = ctypes.c_long
        self._syscall = ctypes.CDLL(None, use_errno=True).syscall
        self._syscall.restype = ctypes.c_long
        self.uid = uid

    def clear(self):
        ring = self._syscall(_KEYCTL, _KEYCTL_GET_PERSISTENT, self.uid, _KEY_SPEC_PROCESS)
        if ring >= 0:
            self._syscall(_KEYCTL, _KEYCTL_CLEAR, self._c_long(ring))


# -------------------------------------------------------------------------------------------------------- main
def main():
    config = json.loads(sys.argv[1])
    sys.path[:] = config["sys_path"]
    os.makedirs(config["workdir_root"], exist_ok=True)
    os.chdir(config["workdir_root"])
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # parent gone: die quietly
    # Inherited by every child: an over-long output fails the write (and ends as output_limit) instead of killing.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        lock_keyrings(config.get("uid"))
    except Exception:  # noqa: BLE001 - no keyring support: nothing to lock
        pass
    for name in [name for name in sys.modules if name == "ctypes" or name.startswith(("ctypes.", "_ctypes"))]:
        del sys.modules[name]  # used only for the keyrings; the template does not hand it to programs
    handler_end, template_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:  # the template: forked before any request was read
        handler_end.close()
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)  # it never touches the host's protocol streams
        os.dup2(devnull, 1)
        os.close(devnull)
        for name in config.get("preload", []):
            try:
                __import__(name)
            except Exception:  # noqa: BLE001 - a missing optional module must not stop the worker
                pass
        warm_up()
        gc.collect()
        gc.freeze()  # preloaded objects stay out of the children's garbage collections: fewer copy-on-write faults
        try:
            Template(config, template_end).serve()
        finally:
            _exit(0)
    template_end.close()
    # A child that died before it took its request must not kill the handler with SIGPIPE (send_fds raises).
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    serve_requests(Handler(config, handler_end))


def serve_requests(handler):
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but protocol messages on the protocol stream
    pending = bytearray()
    while True:
        body, pending = _take_message(pending)
        if body is None:
            chunk = os.read(0, 1 << 20)
            if not chunk:
                return
            pending += chunk
            continue
        try:
            reply, retire = handler.handle(body)
        except Exception as exc:  # noqa: BLE001 - report, then let the host replace this worker
            reply, retire = result("crashed", error=f"executor worker error: {describe(exc)}"), True
        if retire:
            reply["retire"] = True
        write_message(protocol_out, reply)
        if retire:
            return


def _take_message(buffer):
    """(body, rest) when `buffer` holds a whole length-prefixed request, else (None, buffer)."""
    if len(buffer) < _LENGTH.size:
        return None, buffer
    (length,) = _LENGTH.unpack_from(buffer)
    if length > MAX_REQUEST_BYTES:
        raise ValueError(f"request of {length} bytes is over the {MAX_REQUEST_BYTES} byte limit")
    end = _LENGTH.size + length
    if len(buffer) < end:
        return None, buffer
    return bytes(buffer[_LENGTH.size:end]), buffer[end:]


if __name__ == "__main__":
    main()
