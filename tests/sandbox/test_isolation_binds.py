"""The bubblewrap mount plan: paths Python needs under a hidden folder (home, /tmp) are bound back read-only."""

import shutil
import subprocess
import sys

import pytest

from azr_env.sandbox.isolation import _rebind_inside


def test_needed_paths_under_a_hidden_root_are_rebound_read_only(tmp_path):
    package = tmp_path / "checkout" / "azr_env" / "sandbox"
    package.mkdir(parents=True)
    (package / "zygote.py").write_text("")
    args = _rebind_inside(str(tmp_path), [str(package / "zygote.py"), str(package), "/usr/lib"])
    assert args[-3:] == ["--ro-bind", str(package), str(package)]
    dirs = [args[i + 3] for i, a in enumerate(args) if a == "--perms"]
    assert dirs == [str(tmp_path / "checkout"), str(tmp_path / "checkout" / "azr_env")]
    assert _rebind_inside(str(tmp_path), ["/usr/lib"]) == []


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_executor_works_when_installed_under_tmp(tmp_path):
    """/tmp is a private tmpfs inside the sandbox: a checkout under /tmp (CI clones) must still run programs."""
    from pathlib import Path

    import azr_env

    source = Path(azr_env.__file__).parent
    copy = tmp_path / "site" / "azr_env"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import azr_env; from azr_env.executor import Executor\n"
            "assert azr_env.__file__.startswith(sys.argv[1]), azr_env.__file__\n"
            "with Executor(workers=1) as ex:\n"
            "    r = ex.run('def f(a):\\n    return a * 2', 'f(21)')\n"
            "print(r.status, r.value_repr)\n")
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "site")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["ok", "42"], done.stdout + done.stderr
