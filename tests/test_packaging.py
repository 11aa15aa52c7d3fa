"""The distribution: a wheel with the four collision-free import packages, and the `azr` console script."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_contains_and_imports_the_four_packages(tmp_path):
    built = subprocess.run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(tmp_path),
                            str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = tmp_path.glob("azr_env-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
    tops = {name.split("/")[0] for name in names if not name.startswith("azr_env-")}
    # no `agents`, `evals`, `benchmarks` or `tests` at top level
    assert tops == {"azr_env", "azr_agents", "azr_evals", "azr_benchmarks"}
    assert "azr_env/sandbox/zygote.py" in names and "azr_benchmarks/envs.py" in names
    (entry_points,) = [name for name in names if name.endswith("entry_points.txt")]
    with zipfile.ZipFile(wheel) as archive:
        registered = archive.read(entry_points).decode()
    assert "[azr.commands]" in registered and "bench = azr_benchmarks.bench_cmd" in registered
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import azr_env, azr_agents, azr_evals, azr_benchmarks; "
            "print(azr_env.__file__, azr_agents.__file__, azr_evals.__file__, azr_benchmarks.__file__)")
    imported = subprocess.run([sys.executable, "-I", "-c", code, str(tmp_path / "site")], capture_output=True,
                              text=True, timeout=120, cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert all(str(tmp_path / "site") in path for path in imported.stdout.split())


def test_console_script_help_lists_subcommands():
    azr = Path(sys.executable).with_name("azr")
    done = subprocess.run([str(azr), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    for command in ("exec", "bench", "demo"):
        assert command in done.stdout


def test_azr_exec_runs_a_program_and_reports_json(tmp_path):
    import json

    program = tmp_path / "prog.py"
    program.write_text("def f(s):\n    return s.upper()\n")
    azr = Path(sys.executable).with_name("azr")
    done = subprocess.run([str(azr), "exec", str(program), "-e", "f('abc')"], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["value_repr"] == "'ABC'"


def test_azr_exec_bad_file_is_a_one_line_error():
    azr = Path(sys.executable).with_name("azr")
    done = subprocess.run([str(azr), "exec", "/nonexistent/prog.py"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "does not exist" in done.stderr


def test_every_azr_bench_name_has_its_module_and_the_repo_script():
    """`azr bench NAME` imports an installed module (`azr bench trainer` once pointed at a missing one), which is
    the repository's `benchmarks/<module>.py` (so `python benchmarks/<module>.py` runs the same code)."""
    import importlib

    from azr_benchmarks.bench_cmd import BENCHMARKS

    for name, (module, _) in BENCHMARKS.items():
        assert module.startswith("azr_benchmarks."), name
        assert callable(importlib.import_module(module).main), name
        assert (ROOT / "benchmarks" / f"{module.split('.')[-1]}.py").exists(), name
