"""Layers point down: `azr_env` (the environment) needs nothing from the packages built on it.

`azr_agents`, `azr_evals` and `azr_benchmarks` import `azr_env`; never the other way round. Two checks: every
`azr_env` module imports in a process where the upper packages cannot be imported at all, and no `azr_env` source
names an upper package anywhere (imports inside functions and `importlib` strings included), which the first
check cannot see until the function runs.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
UPPER = ("azr_agents", "azr_evals", "azr_benchmarks")
# azr_env modules allowed to name an upper package while they wait to move (path -> where it goes). Empty: every
# subcommand lives with its package. The test fails on a stale line.
PENDING_MOVE: dict[str, str] = {}
BLOCK_AND_IMPORT = """
import importlib, json, sys, traceback

class BlockUpper:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {upper!r}:
            raise ImportError(f"blocked: azr_env imported {{name}}", name=name)
        return None

sys.meta_path.insert(0, BlockUpper())
failures = {{}}
for module in json.loads(sys.argv[1]):
    try:
        importlib.import_module(module)
    except BaseException as exc:  # a module that exits or raises on import is reported, not fatal
        failures[module] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
try:
    importlib.import_module("azr_agents")
    failures["(blocker)"] = "azr_agents was importable: the check blocks nothing"
except ImportError:
    pass
print(json.dumps(failures))
"""


def azr_env_modules() -> list[str]:
    names = []
    for path in sorted((ROOT / "azr_env").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def test_every_azr_env_module_imports_with_the_upper_packages_blocked():
    modules = azr_env_modules()
    assert len(modules) > 30 and "azr_env.rounds" in modules and "azr_env.cli" in modules
    done = subprocess.run([sys.executable, "-c", BLOCK_AND_IMPORT.format(upper=UPPER), json.dumps(modules)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    failures = json.loads(done.stdout.strip().splitlines()[-1])
    assert failures == {}, "azr_env modules that do not import without the upper packages:\n" + "\n".join(
        f"  {module}: {error}" for module, error in failures.items())


def upper_references(source: str) -> list[tuple[int, str]]:
    """(line, name) of every import of an upper package, and of every string that is an upper module's name."""
    pattern = re.compile(rf"({'|'.join(UPPER)})(\.\w+)*(:\w+)?")
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.split(".")[0] in UPPER]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] in UPPER:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and pattern.fullmatch(node.value):
            found.append((node.lineno, node.value))
    return found


def test_no_azr_env_source_names_an_upper_package():
    offenders = {}
    for path in sorted((ROOT / "azr_env").rglob("*.py")):
        refs = upper_references(path.read_text())
        if refs:
            offenders[path.relative_to(ROOT).as_posix()] = refs
    unexpected = {p: refs for p, refs in offenders.items() if p not in PENDING_MOVE}
    assert not unexpected, "azr_env must not use the packages above it:\n" + "\n".join(
        f"  {p}:{line} {name}" for p, refs in unexpected.items() for line, name in refs)
    moved = sorted(set(PENDING_MOVE) - set(offenders))
    assert not moved, f"{moved} no longer name an upper package (moved?): remove them from PENDING_MOVE"


def test_the_reference_check_sees_imports_inside_functions_and_module_strings():
    source = ("import os\n"
              "def run():\n    from azr_agents.trainer import main\n"
              "MODULES = {'x': 'azr_evals.benchmark', 'doc': 'see azr_agents.trainer for details'}\n"
              "import azr_benchmarks.envs as e\n")
    assert sorted(upper_references(source)) == [(3, "azr_agents.trainer"), (4, "azr_evals.benchmark"),
                                                 (5, "azr_benchmarks.envs")]
