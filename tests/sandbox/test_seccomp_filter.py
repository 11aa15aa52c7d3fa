"""The seccomp filter's logic for every architecture it supports, run in a small classic-BPF interpreter (the
kernel tests in test_view.py can only exercise this machine's architecture)."""

from __future__ import annotations

import struct

import pytest

from azr_env.sandbox.seccomp import (
    AUDIT_ARCH,
    DENIED,
    SECCOMP_RET_ALLOW,
    SECCOMP_RET_ERRNO,
    SECCOMP_RET_KILL_PROCESS,
    SYSCALLS,
    build_filter,
)

EPERM, ENOSYS = SECCOMP_RET_ERRNO | 1, SECCOMP_RET_ERRNO | 38
CLONE_THREAD_FLAGS = 0x003D0F00  # what glibc passes for a thread (VM|FS|FILES|SIGHAND|THREAD|SYSVSEM|...)
SIGCHLD = 17


def run_filter(program: bytes, arch: int, nr: int, arg0: int = 0) -> int:
    """Evaluate a classic BPF program (the subset seccomp filters use here) on one struct seccomp_data."""
    data = struct.pack("=iIQ6Q", nr, arch, 0, arg0, 0, 0, 0, 0, 0)
    instructions = [struct.unpack_from("=HBBI", program, offset) for offset in range(0, len(program), 8)]
    accumulator, pc = 0, 0
    while True:
        code, jt, jf, k = instructions[pc]
        if code == 0x20:  # BPF_LD | BPF_W | BPF_ABS
            (accumulator,) = struct.unpack_from("=I", data, k)
            pc += 1
        elif code in (0x15, 0x35, 0x45):  # JEQ, JGE, JSET with a constant
            taken = {0x15: accumulator == k, 0x35: accumulator >= k, 0x45: bool(accumulator & k)}[code]
            pc += 1 + (jt if taken else jf)
        elif code == 0x06:  # BPF_RET | BPF_K
            return k
        else:
            raise AssertionError(f"unexpected BPF opcode {code:#x}")


@pytest.mark.parametrize("arch", sorted(SYSCALLS))
def test_every_denied_syscall_gets_eperm_and_the_rest_pass(arch):
    program, numbers, audit = build_filter(arch), SYSCALLS[arch], AUDIT_ARCH[arch]
    for name in DENIED:
        if name in numbers:
            assert run_filter(program, audit, numbers[name]) == EPERM, name
    denied = {numbers[name] for name in DENIED if name in numbers} | {numbers["clone"], numbers["clone3"]}
    for nr in range(0, 460):
        if nr not in denied:
            assert run_filter(program, audit, nr) == SECCOMP_RET_ALLOW, nr


@pytest.mark.parametrize("arch", sorted(SYSCALLS))
def test_clone_is_allowed_for_processes_and_threads_but_not_for_namespaces(arch):
    program, clone, audit = build_filter(arch), SYSCALLS[arch]["clone"], AUDIT_ARCH[arch]
    assert run_filter(program, audit, clone, SIGCHLD) == SECCOMP_RET_ALLOW  # fork
    assert run_filter(program, audit, clone, CLONE_THREAD_FLAGS) == SECCOMP_RET_ALLOW  # pthread_create
    for flag in (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000, 0x40000000):
        assert run_filter(program, audit, clone, SIGCHLD | flag) == EPERM, hex(flag)
    assert run_filter(program, audit, SYSCALLS[arch]["clone3"]) == ENOSYS


@pytest.mark.parametrize("arch", sorted(SYSCALLS))
def test_another_abi_is_killed(arch):
    program = build_filter(arch)
    for foreign in (0x40000003, 0x40000028, *[a for a in AUDIT_ARCH.values() if a != AUDIT_ARCH[arch]]):
        assert run_filter(program, foreign, 39) == SECCOMP_RET_KILL_PROCESS


def test_x32_syscall_numbers_get_enosys_on_x86_64():
    program = build_filter("x86_64")
    for nr in (39, 272, 56):  # getpid, unshare, clone through the x32 ABI
        assert run_filter(program, AUDIT_ARCH["x86_64"], 0x40000000 | nr) == ENOSYS


def test_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="no seccomp filter for architecture 'mips'"):
        build_filter("mips")
