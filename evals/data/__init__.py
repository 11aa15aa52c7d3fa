"""Data stage: benchmark loaders returning `Problem` lists, from upstream files or a local `--data-dir`.

Every loader takes the same keyword arguments (`path`, `data_dir`) so the registry can call them uniformly:
`path` names a file directly, `data_dir` a directory laid out like the upstream release (one sub-directory per
benchmark, see each `BenchmarkSpec.local_dir`). With neither, the upstream file is downloaded once into the
cache directory (`AZR_EVALS_CACHE`, default `~/.cache/azr_evals`) and its sha256 checked.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from azr_evals.registry import get_benchmark
from azr_evals.types import Problem


def load_problems(name: str, *, path: str | Path | None = None, data_dir: str | Path | None = None,
                  limit: int | None = None, **options: Any) -> list[Problem]:
    """Load one benchmark's problems (first `limit` only, when given) through its registered loader."""
    spec = get_benchmark(name)
    module_name, func_name = spec.loader.split(":")
    loader = getattr(importlib.import_module(module_name), func_name)
    problems = loader(spec, path=path, data_dir=data_dir, **options)
    return problems[:limit] if limit is not None else problems
