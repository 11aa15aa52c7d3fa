"""The `azr` console script: one entry point, one subcommand per job, each contributed by the package that owns it.

A package contributes subcommands through the `azr.commands` entry-point group (pyproject.toml): the entry's name
is the subcommand, its value a module exposing `add_parser(subparsers)`, which registers the subcommand and sets
`func` (called with the parsed args, returning an exit code). So `azr_env` lists nothing from the packages above
it (`azr eval` lives with the evals, `azr bench` with the benchmarks), and a command whose module cannot be
imported (an optional dependency missing) still appears, and answers with one line naming what to install.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import re
import sys
from collections.abc import Callable
from pathlib import Path

from azr_env.errors import AZRError, ConfigError

COMMAND_GROUP = "azr.commands"
DISTRIBUTION = "azr-env"


def command_entries() -> list[importlib.metadata.EntryPoint]:
    """The registered subcommands, sorted by name; the first registration of a name wins.

    azr-env's own come from the checkout's pyproject.toml when azr_env runs from a checkout (an editable install,
    or the repository imported in place), else from the installed metadata: so a stale install, or the
    `azr_env.egg-info` that `python -m build` leaves in a checkout, neither hides nor redirects a command. Other
    distributions contribute through their installed metadata.
    """
    own = _checkout_entries()
    seen: dict[str, importlib.metadata.EntryPoint] = {entry.name: entry for entry in own or []}
    for dist in importlib.metadata.distributions():
        if own is not None and _normalize(dist.metadata["Name"] or "") == _normalize(DISTRIBUTION):
            continue
        for entry in dist.entry_points:
            if entry.group == COMMAND_GROUP:
                seen.setdefault(entry.name, entry)
    return [seen[name] for name in sorted(seen)]


def _checkout_entries() -> list[importlib.metadata.EntryPoint] | None:
    """The group's entries in the pyproject.toml beside the azr_env folder (None: not a checkout, or no tomllib)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10: the installed metadata is used
        return None
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text()).get("project", {})
    except (OSError, ValueError):
        return None
    if _normalize(project.get("name", "")) != _normalize(DISTRIBUTION):
        return None
    table = project.get("entry-points", {}).get(COMMAND_GROUP, {})
    return [importlib.metadata.EntryPoint(name, value, COMMAND_GROUP) for name, value in table.items()]


def extra_providing(module: str) -> str | None:
    """The extra of this distribution that installs `module` (e.g. 'evalplus' -> 'eval'), if one does."""
    wanted = _normalize(module.split(".")[0])
    try:
        requirements = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    for requirement in requirements:
        match = re.match(r"\s*([A-Za-z0-9._-]+).*;.*extra\s*==\s*['\"]([^'\"]+)['\"]", requirement)
        if match and _normalize(match.group(1)) == wanted:
            return match.group(2)
    return None


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _unavailable(name: str, exc: ImportError) -> Callable[[argparse.Namespace], int]:
    missing = getattr(exc, "name", None) or ""
    extra = extra_providing(missing) if missing else None
    hint = f": pip install 'azr-env[{extra}]'" if extra else ""
    message = f"`azr {name}` is not available in this install ({exc}){hint}"

    def run(args: argparse.Namespace) -> int:
        raise ConfigError(message)

    return run


def add_commands(subparsers: argparse._SubParsersAction, entries: list[importlib.metadata.EntryPoint]) -> None:
    """Let each entry's module register its subcommand; an entry that cannot be imported gets a stand-in."""
    for entry in entries:
        try:
            entry.load().add_parser(subparsers)
        except ImportError as exc:
            _forget(subparsers, entry.name)  # a module may fail after registering (lazy import in add_parser)
            stand_in = subparsers.add_parser(entry.name, help=f"(not available: {exc})",
                                              add_help=False, prefix_chars="\0")  # takes any arguments
            stand_in.add_argument("args", nargs=argparse.REMAINDER)
            stand_in.set_defaults(func=_unavailable(entry.name, exc))


def _forget(subparsers: argparse._SubParsersAction, name: str) -> None:
    subparsers._name_parser_map.pop(name, None)
    subparsers._choices_actions[:] = [a for a in subparsers._choices_actions if a.dest != name]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="azr",
        description="Absolute Zero Reasoner environments: sandboxed execution, self-play training, evaluation.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    entries = command_entries()
    if not entries:
        parser.epilog = (f"No subcommands are registered (entry-point group {COMMAND_GROUP!r}): install azr-env, "
                         "e.g. `pip install -e .` in the checkout.")
    add_commands(subparsers, entries)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except AZRError as exc:
        print(f"azr {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"azr {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
