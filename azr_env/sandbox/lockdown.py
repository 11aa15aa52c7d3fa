"""First process inside the bubblewrap sandbox: shed capabilities, install the seccomp filter, exec the worker.

    python -s -S -B lockdown.py KEEP_CAPS FILTER_HEX -- WORKER_ARGV...

KEEP_CAPS is a comma-separated list of capability numbers the worker keeps (empty: none); FILTER_HEX is the BPF
program from `seccomp.py` (empty: no filter). It runs as a script with the standard library only, before any
untrusted code. bubblewrap can drop capabilities but leaves the bounding set full when run as root; emptying it
needs CAP_SETPCAP, which this step alone holds and gives up before the exec. After the exec the worker holds
exactly KEEP_CAPS, its bounding set is empty, and the filter (inherited across fork) cannot be removed. Any
failure exits non-zero, so a worker never runs unconfined.
"""

import ctypes
import errno
import os
import sys

PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 22, 2
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
CAP_SETPCAP = 8
LINUX_CAPABILITY_VERSION_3 = 0x20080522


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def check(result, what):
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def capability_mask(field):
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1], 16)
    raise OSError(errno.ENOENT, f"{field} not in /proc/self/status")


def drop_bounding_set(libc):
    """Empty the bounding set, so that no later execve can ever grant a capability."""
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            if ctypes.get_errno() == errno.EINVAL:  # past the last capability this kernel knows
                return
            check(-1, f"dropping capability {cap} from the bounding set")


def set_capabilities(libc, keep):
    """Effective, permitted and inheritable sets all become `keep` (a mask); ambient ones are cleared."""
    data = (CapData * 2)()
    for index in range(2):
        word = (keep >> (32 * index)) & 0xFFFFFFFF
        data[index].effective = data[index].permitted = data[index].inheritable = word
    check(libc.capset(ctypes.byref(CapHeader(LINUX_CAPABILITY_VERSION_3, 0)), data), "capset")
    check(libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0), "clearing ambient capabilities")


def install_filter(libc, program):
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0), "installing seccomp filter")


def main():
    keep_text, filter_hex, separator, *argv = sys.argv[1:]
    if separator != "--" or not argv:
        raise SystemExit("usage: lockdown.py KEEP_CAPS FILTER_HEX -- WORKER_ARGV...")
    libc = ctypes.CDLL(None, use_errno=True)
    keep = sum(1 << int(cap) for cap in keep_text.split(",") if cap)
    if capability_mask("CapEff") >> CAP_SETPCAP & 1:
        drop_bounding_set(libc)
    set_capabilities(libc, keep & capability_mask("CapPrm"))
    if filter_hex:
        install_filter(libc, bytes.fromhex(filter_hex))
    else:
        check(libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    os.execv(argv[0], argv)


if __name__ == "__main__":
    main()
