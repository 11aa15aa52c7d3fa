"""Every error azr-env raises on purpose, in one place (Gymnasium keeps its own in `gymnasium/error.py`).

Errors are for misuse by the caller (bad arguments, bad files, a closed executor). Anything a model or a
program does wrong is never an exception: it is a status, a penalty and a reason.
"""

from __future__ import annotations


class AZRError(Exception):
    """Base class of all azr-env errors."""


class ConfigError(AZRError, ValueError):
    """An argument or configuration value is invalid; the message names the value and the fix."""


class DataError(AZRError, ValueError):
    """A data file (tasks, buffer, benchmark) is missing or malformed; the message names the file and line."""


class ExecutorClosedError(AZRError, RuntimeError):
    """The executor was used after `close()` (or outside its `with` block)."""


class SandboxUnavailableError(AZRError, RuntimeError):
    """The requested isolation mode cannot run on this machine (e.g. `isolation="bwrap"` without bubblewrap)."""


class MissingDependencyError(AZRError, ImportError):
    """An optional dependency is needed for this feature; the message names the extra to install."""


def require(module: str, extra: str, feature: str):
    """Import `module` or raise a one-line `MissingDependencyError` naming the pip extra that provides it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingDependencyError(
            f"{feature} needs the '{module}' package: pip install 'azr-env[{extra}]'"
        ) from exc
