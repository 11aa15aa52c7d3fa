"""How a worker process is started: inside bubblewrap namespaces, or in the documented weaker fallback.

See docs/executor.md for the threat model. In short, with bubblewrap every worker ("zygote") lives in its own
pid, network, IPC, UTS and cgroup namespaces, sees the host file system read-only with the user's home hidden,
writes only to a size-capped tmpfs, and has an empty environment. Each program's child additionally drops to an
unprivileged uid (when the executor runs as root) and gets rlimits (CPU, address space, file size, no new
processes). The fallback (no bubblewrap) keeps the fork-per-program design, rlimits and the uid drop, and adds a
Python audit hook against network, subprocess and writes outside the working directory; it cannot stop a
program that reaches the kernel through ctypes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from azr_env.errors import ConfigError, SandboxUnavailableError

ISOLATION_MODES = ("auto", "bwrap", "fallback")
ZYGOTE_SCRIPT = Path(__file__).with_name("zygote.py")
# Modules imported once by each warm worker, so programs that use them pay nothing per run. Keep it lean:
# fork cost grows with the worker's memory.
DEFAULT_PRELOAD = ("collections", "itertools", "functools", "math", "re", "string", "heapq", "bisect",
                   "typing", "copy", "operator", "json", "fractions", "decimal", "statistics")
SANDBOX_TMP_BYTES = 256 * 1024 * 1024
# Unprivileged uids for the children (only used when running as root). Each worker gets its own, so two
# programs running at the same time cannot signal each other.
CHILD_UID_BASE = 61000

_warned_fallback = False


@dataclass(frozen=True)
class WorkerSpec:
    """Everything needed to start one worker process."""

    argv: list[str]
    env: dict[str, str]
    mode: str
    cleanup_dir: str | None = None  # host directory to remove when the worker stops (fallback mode)


def resolve_mode(requested: str) -> str:
    """Pick the isolation mode; warn once, clearly, when `auto` has to fall back."""
    global _warned_fallback
    if requested not in ISOLATION_MODES:
        raise ConfigError(f"isolation={requested!r} is not one of {ISOLATION_MODES}")
    have_bwrap = bwrap_works()
    if requested == "bwrap" and not have_bwrap:
        raise SandboxUnavailableError(
            "isolation='bwrap' needs bubblewrap (`apt-get install bubblewrap`) and unprivileged namespaces"
        )
    if requested == "auto" and not have_bwrap:
        if not _warned_fallback:
            warnings.warn(
                "azr_env.executor: bubblewrap (bwrap) is not usable here, so programs run WITHOUT network and "
                "pid namespaces or a read-only file system (fallback isolation: rlimits, uid drop when root, "
                "best-effort audit hook). Install bubblewrap for full isolation; see docs/executor.md.",
                RuntimeWarning,
                stacklevel=3,
            )
            _warned_fallback = True
        return "fallback"
    return "bwrap" if requested == "auto" else requested


_bwrap_ok: bool | None = None


def bwrap_works() -> bool:
    """True when bubblewrap exists and can create the namespaces we use (some containers forbid it)."""
    global _bwrap_ok
    if _bwrap_ok is None:
        exe = shutil.which("bwrap")
        if exe is None:
            _bwrap_ok = False
        else:
            probe = [exe, *_namespace_flags(), "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "true"]
            try:
                _bwrap_ok = subprocess.run(probe, capture_output=True, timeout=10).returncode == 0
            except (OSError, subprocess.SubprocessError):
                _bwrap_ok = False
    return _bwrap_ok


def _namespace_flags() -> list[str]:
    # Not --unshare-all: that adds a user namespace, in which the child's uid drop would fail.
    return ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session"]


def python_paths() -> list[str]:
    """Import path for the workers: this interpreter's stdlib and site-packages (read-only in the sandbox)."""
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    stdlib = sysconfig.get_paths()["stdlib"]
    return list(dict.fromkeys([*paths, stdlib]))


def interpreter() -> str:
    """The real interpreter binary (a venv's python is a symlink; -S skips its site setup, so we give paths)."""
    return os.path.realpath(sys.executable)


def build_worker(mode: str, *, slot: int, hash_seed: int, config: dict) -> WorkerSpec:
    is_root = os.geteuid() == 0
    uid = CHILD_UID_BASE + (os.getpid() % 500) * 8 + slot % 8 if is_root else None
    env = {"PYTHONHASHSEED": str(hash_seed), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8",
           "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "HOME": "/nonexistent"}
    python = interpreter()
    sys_path = python_paths()
    if mode == "bwrap":
        workdir_root = "/tmp/azr"
        payload = json.dumps({**config, "uid": uid, "sys_path": sys_path, "workdir_root": workdir_root})
        needed = [sys.base_prefix, sys.prefix, python, *sys_path, str(ZYGOTE_SCRIPT)]
        argv = [shutil.which("bwrap") or "bwrap", *_namespace_flags(), "--ro-bind", "/", "/",
                *_hide_home_binds(needed),
                "--size", str(SANDBOX_TMP_BYTES), "--tmpfs", "/tmp", *_rebind_inside("/tmp", needed),
                "--dev", "/dev", "--proc", "/proc",
                "--clearenv", *[a for k, v in env.items() for a in ("--setenv", k, v)],
                *(_capabilities() if is_root else []),
                "--chdir", "/tmp", python, "-s", "-S", "-B", str(ZYGOTE_SCRIPT), payload]
        return WorkerSpec(argv=argv, env={}, mode=mode)
    workdir_root = tempfile.mkdtemp(prefix="azr-exec-")
    if uid is not None:
        os.chown(workdir_root, uid, uid)
    payload = json.dumps({**config, "uid": uid, "sys_path": sys_path, "workdir_root": workdir_root,
                          "audit_hook": True})
    return WorkerSpec(argv=[python, "-s", "-S", "-B", str(ZYGOTE_SCRIPT), payload], env=env, mode=mode,
                      cleanup_dir=workdir_root)


def _capabilities() -> list[str]:
    # bwrap drops every capability of root inside the sandbox; the zygote needs these few to drop the child to
    # another uid, kill it, and clean up its working directory. The child loses them all at setuid.
    caps = ["CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"]
    return [a for cap in caps for a in ("--cap-add", cap)]


def _hide_home_binds(needed: list[str]) -> list[str]:
    """Hide the user's home (and /root) behind an empty tmpfs, re-exposing read-only only what Python needs.

    This keeps secrets (ssh keys, tokens) out of reach, and makes an interpreter installed under /root (mode 700)
    readable after the child's uid drop, because bwrap creates the re-bound mount points world-traversable.
    """
    homes = {str(Path.home()), "/root"}
    args: list[str] = []
    for home in sorted(h for h in homes if os.path.isdir(h) and h != "/"):
        args += ["--tmpfs", home, *_rebind_inside(home, needed)]
    return args


def _rebind_inside(root: str, needed: list[str]) -> list[str]:
    """Read-only binds of the `needed` paths under `root` (just hidden by a tmpfs): a Python or this package
    installed under the home folder or /tmp must stay visible inside the sandbox."""
    args: list[str] = []
    inside = sorted({p for p in map(os.path.realpath, needed) if p.startswith(root.rstrip("/") + "/")})
    kept: list[str] = []
    for path in inside:  # bind the shortest covering paths only
        if not any(path.startswith(k.rstrip("/") + "/") for k in kept) and os.path.exists(path):
            kept.append(path)
    created: set[str] = set()
    for path in kept:
        top = path if os.path.isdir(path) else os.path.dirname(path)
        parent = os.path.dirname(top)
        chain = []
        while parent != root and parent not in created and len(parent) > len(root):
            chain.append(parent)
            parent = os.path.dirname(parent)
        for directory in reversed(chain):  # world-traversable mount points on the way down
            args += ["--perms", "0755", "--dir", directory]
            created.add(directory)
        args += ["--ro-bind", top, top]
    return args
