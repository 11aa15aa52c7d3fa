"""The seccomp filter of the bubblewrap sandbox: deny the kernel interfaces a pure-Python function never needs.

A program runs as an unprivileged uid in its own namespaces, but every syscall still reaches the host kernel, so
the kernel itself is the attack surface (as in Chromium's and Firecracker's sandboxes). This module assembles a
classic BPF program, without libseccomp, that `lockdown.py` installs inside the sandbox before the worker starts;
it is inherited by the worker and by every child it forks.

The filter is a deny list (the interpreter needs hundreds of ordinary syscalls): creating or entering namespaces,
mounting, kernel keyrings, tracing other processes, eBPF, perf events, userfaultfd, io_uring, loading kernel
modules, kexec and System V IPC all fail with EPERM. `clone3` fails with ENOSYS, because its flags live in memory
the filter cannot read; glibc then falls back to `clone`, whose namespace flags the filter checks. Syscalls of a
foreign ABI (32-bit `int 0x80` from a 64-bit process) kill the process; x32 syscall numbers fail with ENOSYS.
"""

from __future__ import annotations

import platform
import struct

# Linux UAPI constants (linux/audit.h, linux/seccomp.h, linux/filter.h, linux/sched.h).
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
SECCOMP_RET_KILL_PROCESS = 0x80000000
SECCOMP_RET_ERRNO = 0x00050000
SECCOMP_RET_ALLOW = 0x7FFF0000
EPERM, ENOSYS = 1, 38
X32_SYSCALL_BIT = 0x40000000
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_NR_OFFSET, _ARCH_OFFSET, _ARG0_OFFSET = 0, 4, 16  # struct seccomp_data; args[0]'s low word (little endian)
# CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET (CLONE_NEWTIME is clone3/unshare only).
CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000

DENIED = (
    # namespaces (clone with namespace flags and clone3 are handled apart)
    "unshare", "setns",
    # mounts and the root
    "mount", "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount",
    "fspick", "mount_setattr",
    # kernel keyrings
    "keyctl", "add_key", "request_key",
    # reading or steering other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "kcmp",
    # large kernel interfaces with a history of exploits
    "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
    # kernel code
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load",
    # System V IPC: state that would outlive a program inside the worker's IPC namespace
    "shmget", "shmat", "shmctl", "shmdt", "msgget", "msgsnd", "msgrcv", "msgctl", "semget", "semop", "semctl",
    "semtimedop",
    # x86 only: I/O ports and the local descriptor table
    "iopl", "ioperm", "modify_ldt",
)

# Syscall numbers per architecture (cross-checked against libseccomp in tests/sandbox/test_view.py).
SYSCALLS = {
    "x86_64": {
        "clone": 56, "clone3": 435, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
        "chroot": 161, "move_mount": 429, "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "keyctl": 250, "add_key": 248, "request_key": 249, "ptrace": 101,
        "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438, "kcmp": 312, "bpf": 321,
        "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "init_module": 175, "finit_module": 313, "delete_module": 176, "kexec_load": 246,
        "kexec_file_load": 320, "shmget": 29, "shmat": 30, "shmctl": 31, "shmdt": 67, "msgget": 68, "msgsnd": 69,
        "msgrcv": 70, "msgctl": 71, "semget": 64, "semop": 65, "semctl": 66, "semtimedop": 220, "iopl": 172,
        "ioperm": 173, "modify_ldt": 154,
    },
    "aarch64": {
        "clone": 220, "clone3": 435, "unshare": 97, "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41,
        "chroot": 51, "move_mount": 429, "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432,
        "fspick": 433, "mount_setattr": 442, "keyctl": 219, "add_key": 217, "request_key": 218, "ptrace": 117,
        "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438, "kcmp": 272, "bpf": 280,
        "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425, "io_uring_enter": 426,
        "io_uring_register": 427, "init_module": 105, "finit_module": 273, "delete_module": 106, "kexec_load": 104,
        "kexec_file_load": 294, "shmget": 194, "shmat": 196, "shmctl": 195, "shmdt": 197, "msgget": 186,
        "msgsnd": 189, "msgrcv": 188, "msgctl": 187, "semget": 190, "semop": 193, "semctl": 191, "semtimedop": 192,
    },
}


def native_arch() -> str | None:
    """The architecture name used in `SYSCALLS`, or None where no filter is available."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    if machine not in SYSCALLS or struct.calcsize("P") != 8:
        return None
    return machine


def build_filter(arch: str) -> bytes:
    """The filter for `arch` as an array of `struct sock_filter` (what PR_SET_SECCOMP takes)."""
    if arch not in SYSCALLS:
        raise ValueError(f"no seccomp filter for architecture {arch!r}; known: {sorted(SYSCALLS)}")
    numbers = SYSCALLS[arch]
    denied = sorted({numbers[name] for name in DENIED if name in numbers})
    # Layout: [arch check] [load nr] [x32 check] [one JEQ per denied nr] [clone] [clone3] ALLOW, then the
    # shared return blocks. Jumps are relative and forward only; their targets are computed below.
    head = [(_LD_W_ABS, 0, 0, _ARCH_OFFSET), ("JEQ_ARCH", AUDIT_ARCH[arch]), (_LD_W_ABS, 0, 0, _NR_OFFSET)]
    if arch == "x86_64":
        head.append(("JGE_NOSYS", X32_SYSCALL_BIT))
    body = [("JEQ_PERM", nr) for nr in denied]
    body += [("JEQ_CLONE", numbers["clone"]), ("JEQ_NOSYS", numbers["clone3"]), (_RET, 0, 0, SECCOMP_RET_ALLOW)]
    clone_check = [(_LD_W_ABS, 0, 0, _ARG0_OFFSET), ("JSET_PERM", CLONE_NAMESPACE_FLAGS),
                   (_RET, 0, 0, SECCOMP_RET_ALLOW)]
    program = head + body
    clone_at = len(program)
    program += clone_check
    labels = {"KILL": len(program), "PERM": len(program) + 1, "NOSYS": len(program) + 2}
    program += [(_RET, 0, 0, SECCOMP_RET_KILL_PROCESS), (_RET, 0, 0, SECCOMP_RET_ERRNO | EPERM),
                (_RET, 0, 0, SECCOMP_RET_ERRNO | ENOSYS)]
    out = bytearray()
    for index, op in enumerate(program):
        if isinstance(op[0], str):
            kind, value = op
            jump, target = kind.split("_")
            code = {"JEQ": _JEQ, "JGE": _JGE, "JSET": _JSET}[jump]
            if target == "ARCH":  # match: go on; mismatch: kill
                jt, jf = 0, labels["KILL"] - index - 1
            else:
                destination = clone_at if target == "CLONE" else labels[target]
                jt, jf = destination - index - 1, 0
            if not 0 <= jt <= 255 or not 0 <= jf <= 255:
                raise AssertionError("seccomp filter too long for 8-bit jumps")
            op = (code, jt, jf, value)
        out += struct.pack("=HBBI", *op)
    return bytes(out)
