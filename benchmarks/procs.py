"""What the benchmarks read from /proc: the process table, a process's subtree, status fields, descriptors."""

from __future__ import annotations

import os
from pathlib import Path


def process_table() -> dict[int, list[str]]:
    """pid -> the fields of /proc/<pid>/stat after the command name (state, ppid, ...), one scan of /proc."""
    table: dict[int, list[str]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                table[int(entry)] = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
    return table


def descendants(pid: int, table: dict[int, list[str]] | None = None) -> list[int]:
    """Live processes below `pid` (from the parent links of `table`, scanned now when not given)."""
    children: dict[int, list[int]] = {}
    for child, fields in (process_table() if table is None else table).items():
        children.setdefault(int(fields[1]), []).append(child)
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def status_mb(field: str, pid: int | str = "self") -> float | None:
    """A kB field of /proc/<pid>/status (VmRSS, VmHWM, ...) in MB; None when it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def open_fds(pid: int | str = "self") -> int:
    """Open descriptors of `pid` (-1 when it cannot be read)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1
