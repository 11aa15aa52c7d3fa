"""The bubblewrap mount plan: paths Python needs under a hidden folder (home, /tmp) are bound back read-only."""

import shutil
import subprocess
import sys

import pytest

from azr_env.sandbox.isolation import view_args


def test_needed_paths_under_tmp_are_bound_read_only_over_the_private_tmpfs(tmp_path):
    site = tmp_path / "checkout" / ".venv" / "lib" / "site-packages"
    site.mkdir(parents=True)
    (tmp_path / "checkout" / "secret.jsonl").write_text("{}")
    args = view_args(sys.executable, [str(site), str(site / "pkg")])
    binds = [args[i + 1] for i, a in enumerate(args) if a == "--ro-bind"]
    assert str(site) in binds and str(site / "pkg") not in binds  # covered by its parent's bind
    assert not any(b == str(tmp_path / "checkout") or b.endswith("secret.jsonl") for b in binds)
    assert args.index("--tmpfs") < args.index(str(site))  # bound after /tmp becomes a tmpfs, so it stays visible
    dirs = [args[i + 3] for i, a in enumerate(args) if a == "--perms"]
    for parent in (tmp_path, tmp_path / "checkout", tmp_path / "checkout" / ".venv"):
        assert str(parent) in dirs  # world-traversable mount points on the way down


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
