"""Shared fixtures. Real components only: executors here are real sandboxed processes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(os.environ.get("AZR_SHARED_DATA", Path(__file__).resolve().parents[1].parent / "shared" / "data"))


@pytest.fixture(scope="session")
def executor():
    """One sandboxed executor for the whole session (workers are reused, like in training)."""
    from azr_env.executor import Executor

    with Executor(workers=2, timeout_s=5.0, memory_mb=512) as ex:
        yield ex


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data (benchmark files); tests that need it skip with a clear reason when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"benchmark data not found at {SHARED_DATA} (set AZR_SHARED_DATA to its location)")
    return SHARED_DATA
