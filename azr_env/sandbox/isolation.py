"""How a worker process is started: inside bubblewrap namespaces, or in the documented weaker fallback.

See docs/executor.md for the threat model. In short, with bubblewrap every worker ("zygote") lives in its own
pid, network, IPC, UTS and cgroup namespaces, sees only what the interpreter needs (`view_args`: libraries, its
prefix, its site-packages, read-only), writes only to a size-capped tmpfs, has an empty environment, only the
capabilities the uid drop needs, and a seccomp filter (`seccomp.py`, installed by `lockdown.py`). Each program's
child additionally drops to an unprivileged uid (when the executor runs as root) and gets rlimits (CPU, address
space, file size, no new processes). The fallback (no bubblewrap) keeps the fork-per-program design, rlimits
and the uid drop, and adds a Python audit hook against network, subprocess and writes outside the working
directory; it cannot stop a program that reaches the kernel through ctypes.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

from azr_env.errors import ConfigError, SandboxUnavailableError
from azr_env.sandbox.seccomp import build_filter, native_arch

ISOLATION_MODES = ("auto", "bwrap", "fallback")
ZYGOTE_SCRIPT = Path(__file__).with_name("zygote.py")
LOCKDOWN_SCRIPT = Path(__file__).with_name("lockdown.py")
# Where those two scripts appear inside the sandbox (bound alone: the checkout they come from stays invisible).
SANDBOX_ZYGOTE, SANDBOX_LOCKDOWN = "/azr/zygote.py", "/azr/lockdown.py"
# Shared libraries: bound read-only when directories, recreated when symlinks (merged /usr).
LIBRARY_DIRS = ("/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32", "/lib", "/lib64", "/lib32", "/libx32")
ETC_FILES = ("/etc/ld.so.cache",)  # the dynamic loader's cache; nothing else from /etc
# The only capabilities a worker keeps when the executor runs as root, by number (linux/capability.h): it drops
# each child to another uid (SETUID, SETGID), kills it (KILL) and owns and empties its working directory
# (CHOWN, DAC_OVERRIDE, FOWNER). A child loses them all at setuid.
WORKER_CAPABILITIES = {"CAP_CHOWN": 0, "CAP_DAC_OVERRIDE": 1, "CAP_FOWNER": 3, "CAP_KILL": 5, "CAP_SETGID": 6,
                       "CAP_SETUID": 7}
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
            "isolation='bwrap' needs bubblewrap (`apt-get install bubblewrap`), unprivileged namespaces and "
            f"seccomp; the sandbox could not start here: {_bwrap_problem or 'unknown reason'}"
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


def training_isolation(bwrap_ok: bool, allow_weak: bool, *, where: str = "this node",
                       allow_flag: str = "--allow-weak-sandbox") -> str:
    """The isolation a training run may use: "bwrap", or "fallback" only when explicitly allowed (`allow_flag`,
    the trainer's own spelling of the switch). Training never downgrades quietly: model-written programs would
    reach the network in the fallback mode."""
    if bwrap_ok:
        return "bwrap"
    if allow_weak:
        return "fallback"
    raise ConfigError(f"bubblewrap is not usable on {where}: model-written programs would run with network access "
                      "(fallback isolation). Install bubblewrap (`apt-get install bubblewrap`; containers also need "
                      f"unprivileged user namespaces) or pass {allow_flag} to accept the weaker sandbox "
                      "(docs/executor.md)")  # fmt: skip


_bwrap_ok: bool | None = None
_bwrap_problem = ""


def bwrap_works() -> bool:
    """True when bubblewrap exists and our whole recipe runs under it: the namespaces (some containers forbid
    them), the minimal view, and lockdown.py's capability and seccomp steps. Probed once per process."""
    global _bwrap_ok, _bwrap_problem
    if _bwrap_ok is None:
        if shutil.which("bwrap") is None:
            _bwrap_ok, _bwrap_problem = False, "bwrap is not installed"
        else:
            python = interpreter()
            probe = sandbox_argv({}, [python, "-s", "-S", "-B", "-c", "pass"], python, python_paths())
            try:
                done = subprocess.run(probe, capture_output=True, timeout=30)
                _bwrap_ok = done.returncode == 0
                _bwrap_problem = done.stderr.decode("utf-8", "replace").strip()[-500:]
            except (OSError, subprocess.SubprocessError) as exc:
                _bwrap_ok, _bwrap_problem = False, str(exc)
    return _bwrap_ok


def sandbox_argv(env: dict[str, str], command: list[str], python: str, sys_path: list[str]) -> list[str]:
    """The bubblewrap command line that runs `command` in the sandbox, after lockdown.py."""
    is_root = os.geteuid() == 0
    keep = ",".join(str(number) for number in WORKER_CAPABILITIES.values()) if is_root else ""
    return [shutil.which("bwrap") or "bwrap", *_namespace_flags(), *view_args(python, sys_path),
            "--clearenv", *[a for k, v in env.items() for a in ("--setenv", k, v)],
            *_capability_args(is_root), "--chdir", "/tmp",
            python, "-s", "-S", "-B", SANDBOX_LOCKDOWN, keep, seccomp_filter_hex(), "--", *command]


def _namespace_flags() -> list[str]:
    # Not --unshare-all: that adds a user namespace, in which the child's uid drop would fail.
    return ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session"]


def python_paths() -> list[str]:
    """Import path for the workers: the interpreter's standard library and its environment's site-packages.

    Nothing else from `sys.path`: not the current directory, not a script's folder, not the checkout that an
    editable install's .pth file adds, not user site-packages. Real paths, because they are bound as such.
    """
    base = os.path.realpath(sys.base_prefix)
    site = _site_packages()
    paths = []
    for entry in [*sys.path, sysconfig.get_paths()["stdlib"]]:
        real = os.path.realpath(entry) if entry else ""
        if real and os.path.isdir(real) and (_under(real, base) or real in site):
            paths.append(real)
    return list(dict.fromkeys([*paths, *site]))


def _site_packages() -> list[str]:
    paths = sysconfig.get_paths()
    return list(dict.fromkeys(os.path.realpath(paths[key]) for key in ("purelib", "platlib")
                              if os.path.isdir(paths[key])))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip("/") + "/")


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
        argv = sandbox_argv(env, [python, "-s", "-S", "-B", SANDBOX_ZYGOTE, payload], python, sys_path)
        return WorkerSpec(argv=argv, env={}, mode=mode)
    workdir_root = tempfile.mkdtemp(prefix="azr-exec-")
    if uid is not None:
        os.chown(workdir_root, uid, uid)
    payload = json.dumps({**config, "uid": uid, "sys_path": sys_path, "workdir_root": workdir_root,
                          "audit_hook": True})
    return WorkerSpec(argv=[python, "-s", "-S", "-B", str(ZYGOTE_SCRIPT), payload], env=env, mode=mode,
                      cleanup_dir=workdir_root)


def view_args(python: str, sys_path: list[str]) -> list[str]:
    """bubblewrap arguments for the file system a worker sees: only what the interpreter needs.

    The root is an empty tmpfs holding: the shared libraries and the loader's cache, the interpreter (its binary,
    library folder and standard library: the parts of its prefix it uses) and the environment's site-packages
    (read-only, at their real paths), the two scripts that run inside (read-only under /azr, a folder only the
    worker can read, never the checkout they live in), a fresh /dev and /proc, and a private, size-capped /tmp.
    Everything else on the host (home folders, the host's /tmp, the checkout and its run folders, /etc, /run
    and its sockets) does not exist in there.
    """
    args: list[str] = []
    libdir = sysconfig.get_config_var("LIBDIR")  # libpython, when the interpreter links it dynamically
    binds = [python, *sys_path, *([os.path.realpath(libdir)] if libdir else [])]
    symlinks: list[str] = []
    for path in LIBRARY_DIRS:
        if os.path.islink(path):
            symlinks += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            binds.append(path)
    created = {"/"}
    for path in ETC_FILES:
        if os.path.exists(path):
            args += [*_traversable_parents(path, created), "--ro-bind", path, path]
    args += ["--size", str(SANDBOX_TMP_BYTES), "--tmpfs", "/tmp"]
    created.add("/tmp")
    kept: list[str] = []
    for path in sorted(set(binds)):  # the shortest covering paths only; those under /tmp go over the tmpfs
        if os.path.exists(path) and not any(_under(path, k) for k in kept):
            kept.append(path)
            args += [*_traversable_parents(path, created), "--ro-bind", path, path]
    for source, target in ((ZYGOTE_SCRIPT, SANDBOX_ZYGOTE), (LOCKDOWN_SCRIPT, SANDBOX_LOCKDOWN)):
        args += ["--ro-bind", str(source), target]
    return [*args, *symlinks, "--dev", "/dev", "--proc", "/proc"]  # symlinks last: their folders exist by then


def _traversable_parents(path: str, created: set[str]) -> list[str]:
    """Create the folders above a bind mount world-traversable (bubblewrap would make them 0700, which locks the
    children, once dropped to another uid, out of an interpreter installed under, say, /root)."""
    missing = []
    parent = os.path.dirname(path)
    while parent not in created:
        missing.append(parent)
        created.add(parent)
        parent = os.path.dirname(parent)
    return [a for directory in reversed(missing) for a in ("--perms", "0755", "--dir", directory)]


def _capability_args(is_root: bool) -> list[str]:
    """Every capability goes, but for those the worker needs as root (plus CAP_SETPCAP, which lockdown.py uses
    to empty the bounding set and then gives up)."""
    if not is_root:
        return ["--cap-drop", "ALL"]
    caps = ["CAP_SETPCAP", *WORKER_CAPABILITIES]
    return ["--cap-drop", "ALL", *[a for cap in caps for a in ("--cap-add", cap)]]


_warned_no_filter = False


def seccomp_filter_hex() -> str:
    """The seccomp filter for this machine, hex-encoded for lockdown.py's command line; empty (with one warning)
    on an architecture `seccomp.py` has no syscall table for."""
    global _warned_no_filter
    arch = native_arch()
    if arch is None:
        if not _warned_no_filter:
            warnings.warn(f"azr_env.executor: no seccomp filter for {platform.machine()!r}; the sandbox runs "
                          "without one (see docs/executor.md)", RuntimeWarning, stacklevel=3)
            _warned_no_filter = True
        return ""
    return build_filter(arch).hex()
