"""The warm parent ("zygote") that forks one fresh child per untrusted program.

This file runs as a script (`python -s -S zygote.py CONFIG_JSON`), inside bubblewrap when available, and uses
only the standard library. It never runs untrusted code itself: it compiles the program (compiling in the warm
parent saves the child copy-on-write faults), forks, and the child drops privileges and limits before it
executes anything. Requests and replies travel as length-prefixed JSON on stdin/stdout, never pickle.

Protocol: 4-byte big-endian length + UTF-8 JSON, both ways. A request is
`{"program", "expression", "timeout_s", "check_determinism"}`; the reply is a dict with the fields of
`azr_env.executor.ExecutionResult`.
"""

import builtins
import gc
import json
import math
import os
import resource
import select
import shutil
import signal
import struct
import sys
import time

MAX_REQUEST_BYTES = 64 * 1024 * 1024
# Captured at start: a program may monkey-patch os and json in its own process before the harness reports.
_write, _exit, _repr, _isinstance = os.write, os._exit, repr, isinstance
_encode_str = json.encoder.encode_basestring_ascii
_LENGTH = struct.Struct(">I")


def write_message(stream, message):
    data = json.dumps(message).encode("utf-8")
    stream.write(_LENGTH.pack(len(data)) + data)
    stream.flush()


def result(status, *, value_repr=None, error=None, stdout="", duration_s=0.0, deterministic=None,
           truncated=False):
    return {"status": status, "value_repr": value_repr, "error": error, "stdout": stdout,
            "duration_s": duration_s, "deterministic": deterministic, "truncated": truncated}


class Zygote:
    def __init__(self, config):
        self.memory_bytes = int(config["memory_mb"]) * 1024 * 1024
        self.uid = config.get("uid")  # None: no uid drop (not root)
        self.workdir_root = config["workdir_root"]
        self.stdout_cap = int(config["stdout_cap"])
        self.value_cap = int(config["value_cap"])
        self.output_limit = int(config["output_limit_bytes"])
        self.audit = bool(config.get("audit_hook"))
        self.reply_cap = self.value_cap * 4 + 65536  # JSON escaping can grow a repr up to 6x; 4x is ample
        self.unreaped = {}  # pidfd -> pid of children that answered and were killed, not yet reaped
        self.devnull = os.open(os.devnull, os.O_RDONLY)
        self.child_streams = tuple(
            open(fd, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
            for fd in (1, 2)
        )

    # ----------------------------------------------------------------------------------------- parent side
    def handle(self, request):
        start = time.monotonic()
        try:
            code = compile(request["program"], "<program>", "exec", dont_inherit=True)
            expr = compile(request["expression"], "<expression>", "eval", dont_inherit=True)
        except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError) as exc:
            return result("error", error=describe(exc), duration_s=time.monotonic() - start)
        workdir = self.fresh_workdir()
        out_fd = os.memfd_create("azr-stdout", 0) if hasattr(os, "memfd_create") else _anonymous_file(workdir)
        read_fd, write_fd = os.pipe()
        timeout_s = float(request["timeout_s"])
        pid = os.fork()
        if pid == 0:  # child: never returns
            os.close(read_fd)
            self.child(code, expr, workdir, out_fd, write_fd, timeout_s, bool(request["check_determinism"]))
        os.close(write_fd)
        try:
            reply, wait_status, timed_out = self.wait_child(pid, read_fd, start + timeout_s)
            duration = time.monotonic() - start
            output_size = os.fstat(out_fd).st_size
            stdout = os.pread(out_fd, self.stdout_cap, 0).decode("utf-8", "replace")
        finally:
            os.close(read_fd)
            os.close(out_fd)
        return self.classify(reply, wait_status, timed_out, output_size, stdout, duration)

    def fresh_workdir(self):
        """One working directory per worker, emptied (or rebuilt) only when a program left something in it."""
        workdir = os.path.join(self.workdir_root, "work")
        try:
            info = os.lstat(workdir)
            clean = (os.path.isdir(workdir) and not os.path.islink(workdir) and not os.listdir(workdir)
                     and (info.st_mode & 0o7777) == 0o700 and (self.uid is None or info.st_uid == self.uid))
        except OSError:
            clean = False
        if not clean:
            if os.path.lexists(workdir):
                if os.path.isdir(workdir) and not os.path.islink(workdir):
                    shutil.rmtree(workdir, ignore_errors=True)
                else:
                    os.unlink(workdir)
            os.mkdir(workdir, 0o700)
            if self.uid is not None:
                os.chown(workdir, self.uid, self.uid)
        return workdir

    def wait_child(self, pid, read_fd, deadline):
        """Read the child's length-prefixed reply until it is complete, the child exits, or the deadline passes.

        A complete reply is taken at once (the child is then killed and reaped after the answer is sent), which
        keeps the child's address-space teardown off the critical path.
        """
        pidfd = os.pidfd_open(pid)
        poller = select.poll()
        poller.register(read_fd, select.POLLIN)
        poller.register(pidfd, select.POLLIN)
        reply, exited, timed_out, complete = bytearray(), False, False, False
        try:
            while not complete and not exited:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    timed_out = True
                    break
                for fd, _ in poller.poll(remaining * 1000):
                    if fd == pidfd:
                        exited = True
                    elif reply is not None:
                        chunk = os.read(read_fd, 1 << 16)
                        if not chunk:
                            poller.unregister(read_fd)
                            continue
                        reply += chunk
                        reply, complete = self._frame(reply)
                        if reply is None:  # oversized: a crash; stop reading
                            poller.unregister(read_fd)
            if exited and not complete and reply is not None:
                os.set_blocking(read_fd, False)
                try:
                    while chunk := os.read(read_fd, 1 << 16):
                        reply += chunk
                except BlockingIOError:
                    pass
                reply, complete = self._frame(reply)
        except BaseException:
            os.close(pidfd)
            raise
        if complete:
            kill_group(pid)  # it has answered; nothing it does after that may count or linger
            self.unreaped[pidfd] = pid  # reaped by the main loop while it waits for the next request
            return bytes(reply[_LENGTH.size:]), None, False
        os.close(pidfd)
        if not exited:
            kill_group(pid)
        _, wait_status = os.waitpid(pid, 0)
        return None if timed_out else reply, wait_status, timed_out

    def _frame(self, reply):
        """(reply, complete) for a buffer holding a 4-byte length and a JSON body; (None, False) if oversized."""
        if len(reply) < _LENGTH.size:
            return reply, False
        (length,) = _LENGTH.unpack_from(reply)
        if length > self.reply_cap or len(reply) > _LENGTH.size + length:
            return None, False
        return reply, len(reply) == _LENGTH.size + length

    def reap(self, pidfd):
        """Collect one child that answered and was killed (its pidfd became readable)."""
        pid = self.unreaped.pop(pidfd)
        os.close(pidfd)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass

    def classify(self, reply, wait_status, timed_out, output_size, stdout, duration):
        if output_size >= self.output_limit:
            return result("output_limit", error=f"output reached the {self.output_limit} byte limit",
                          stdout=stdout, duration_s=duration)
        if timed_out:
            return result("timeout", error="wall-clock time limit exceeded", stdout=stdout, duration_s=duration)
        if wait_status is not None and os.WIFSIGNALED(wait_status):
            sig = os.WTERMSIG(wait_status)
            if sig == signal.SIGXCPU:
                return result("timeout", error="CPU time limit exceeded", stdout=stdout, duration_s=duration)
            return result("crashed", error=f"killed by signal {signal.Signals(sig).name}", stdout=stdout,
                          duration_s=duration)
        if reply is None:
            return result("crashed", error="reply over the size limit", stdout=stdout, duration_s=duration)
        try:
            data = json.loads(bytes(reply).decode("utf-8"))
            status = data["status"]
            if status not in ("ok", "error", "memory", "crashed"):
                raise ValueError(status)
        except (ValueError, KeyError, TypeError):
            code = os.WEXITSTATUS(wait_status) if wait_status is not None else "?"
            return result("crashed", error=f"exited with code {code} without a valid result", stdout=stdout,
                          duration_s=duration)
        value_repr = _str_or_none(data.get("value_repr"))
        return result(status, value_repr=value_repr[: self.value_cap] if value_repr is not None else None,
                      error=_str_or_none(data.get("error")), stdout=stdout, duration_s=duration,
                      deterministic=data.get("deterministic") if data.get("deterministic") in (True, False)
                      else None, truncated=data.get("truncated") is True)

    # ------------------------------------------------------------------------------------------ child side
    def child(self, code, expr, workdir, out_fd, reply_fd, timeout_s, check_determinism):
        try:
            self.confine(workdir, out_fd, reply_fd, timeout_s)
        except BaseException as exc:  # noqa: BLE001 - a child that cannot confine itself must not run code
            data = json.dumps({"status": "crashed", "error": f"sandbox setup: {exc!r}"}).encode()
            os.write(reply_fd, _LENGTH.pack(len(data)) + data)
            os._exit(70)
        reply = run_untrusted(code, expr, check_determinism, self.value_cap)
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
        _exit(0)

    def confine(self, workdir, out_fd, reply_fd, timeout_s):
        # setpgid, not setsid: a new session also makes a new scheduler autogroup, ~0.8 ms per program here.
        os.setpgid(0, 0)
        os.dup2(self.devnull, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        keep = sorted({0, 1, 2, reply_fd})
        for low, high in zip(keep, [*keep[1:], None]):
            os.closerange(low + 1, high if high is not None else os.sysconf("SC_OPEN_MAX"))
        cpu = max(1, math.ceil(timeout_s))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (self.memory_bytes, self.memory_bytes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (self.output_limit, self.output_limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
        resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))  # no fork, no threads (enforced for non-root)
        if self.uid is not None:
            os.setgroups([])
            os.setgid(self.uid)
            os.setuid(self.uid)
        os.chdir(workdir)
        # Text streams made once in the warm parent (creating them costs ~0.4 ms per child); they wrap fds 1 and
        # 2, which now point at the capture file, and were never written to before the fork.
        sys.stdout, sys.stderr = self.child_streams
        if self.audit:
            install_audit_hook(workdir)


def run_untrusted(code, expr, check_determinism, value_cap):
    """Execute in this (already confined) process; return the reply dict. Catches everything the code does.

    Builtins are restored before the harness touches the reply, so a program that poisons them (say
    `builtins.len = ...`) cannot garble its own report.
    """
    namespace = {"__name__": "__main__", "__builtins__": builtins}
    saved_builtins = dict(builtins.__dict__)
    reply = {"status": "ok", "value_repr": None, "error": None, "deterministic": None, "truncated": False}
    try:
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


def _str_or_none(value):
    return value if isinstance(value, str) else None


def kill_group(pid):
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _anonymous_file(workdir):
    return os.open(workdir, os.O_TMPFILE | os.O_RDWR, 0o600)


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


def main():
    config = json.loads(sys.argv[1])
    sys.path[:] = config["sys_path"]
    for name in config.get("preload", []):
        try:
            __import__(name)
        except Exception:  # noqa: BLE001 - a missing optional module must not stop the worker
            pass
    gc.freeze()  # preloaded objects stay out of the children's garbage collections: fewer copy-on-write faults
    os.makedirs(config["workdir_root"], exist_ok=True)
    os.chdir(config["workdir_root"])
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # parent gone: die quietly
    # Inherited by every child: an over-long output fails the write (and ends as output_limit) instead of killing.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    zygote = Zygote(config)
    protocol_out = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing but protocol messages on the protocol stream
    pending = bytearray()
    while True:
        request, pending = _take_message(pending)
        if request is None:
            # Wait for the next request; meanwhile reap answered children as their teardown finishes, which
            # keeps address-space teardown off the critical path without ever leaving zombies behind.
            ready, _, _ = select.select([0, *zygote.unreaped], [], [])
            for fd in ready:
                if fd == 0:
                    chunk = os.read(0, 1 << 20)
                    if not chunk:
                        return
                    pending += chunk
                else:
                    zygote.reap(fd)
            continue
        try:
            reply = zygote.handle(request)
        except Exception as exc:  # noqa: BLE001 - report, keep serving
            reply = result("crashed", error=f"executor worker error: {describe(exc)}")
        write_message(protocol_out, reply)


def _take_message(buffer):
    """(request, rest) when `buffer` holds a whole length-prefixed request, else (None, buffer)."""
    if len(buffer) < _LENGTH.size:
        return None, buffer
    (length,) = _LENGTH.unpack_from(buffer)
    if length > MAX_REQUEST_BYTES:
        raise ValueError(f"request of {length} bytes is over the {MAX_REQUEST_BYTES} byte limit")
    end = _LENGTH.size + length
    if len(buffer) < end:
        return None, buffer
    return json.loads(bytes(buffer[_LENGTH.size:end]).decode("utf-8")), buffer[end:]


if __name__ == "__main__":
    main()
