"""Helpers for the hostile suite: what is running on the host, and whether the host was touched."""

from __future__ import annotations

import os

from azr_env.sandbox.isolation import CHILD_UID_BASE


def sandbox_uid_processes() -> list[tuple[int, str]]:
    """Processes on this host owned by the sandbox's child uids (there must never be any between runs)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            uid = os.stat(f"/proc/{entry}").st_uid
            if CHILD_UID_BASE <= uid < CHILD_UID_BASE + 5000:
                with open(f"/proc/{entry}/stat") as handle:
                    found.append((int(entry), handle.read().split()[2]))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def zombie_children_of(pids: list[int]) -> list[int]:
    """Zombie processes whose parent is one of `pids` (transitively one level: worker -> zygote -> child)."""
    zombies = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        state, ppid = fields[0], int(fields[1])
        if state == "Z" and ppid in pids:
            zombies.append(int(entry))
    return zombies
