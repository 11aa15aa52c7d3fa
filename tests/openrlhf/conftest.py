"""Fixtures for the OpenRLHF extension tests (tests/openrlhf).

Tests that need OpenRLHF skip, with the reason, when it is not importable in the running interpreter: run them
with `make test-openrlhf`, inside the training environment (.venv-train).

The one stand-in: flash-attn's compiled CUDA module `flash_attn_2_cuda`. flash-attn installs on CPU only in
its Python-only build mode, which leaves that module out, yet `import flash_attn` (reached through OpenRLHF's
`openrlhf.models` -> `flash_attn.bert_padding`) imports it. An empty module takes its place; anything that
would call a CUDA kernel through it fails loudly. Everything else is the real package: OpenRLHF, Ray,
DeepSpeed, transformers and vLLM's Python package.
"""

from __future__ import annotations

import importlib.util
import sys
import types

import pytest


def _has_real_openrlhf() -> bool:
    spec = importlib.util.find_spec("openrlhf")
    return spec is not None and spec.origin is not None  # tests/openrlhf itself is a namespace package


def _stub_flash_attn_extension() -> None:
    if "flash_attn_2_cuda" in sys.modules or importlib.util.find_spec("flash_attn_2_cuda") is not None:
        return

    def _no_cuda(name: str):  # AttributeError keeps hasattr() and inspect working
        raise AttributeError(f"flash_attn_2_cuda.{name}: flash-attn's CUDA kernels are not built on this CPU machine")

    stub = types.ModuleType("flash_attn_2_cuda")
    stub.__doc__ = "CPU test stand-in for flash-attn's compiled CUDA extension (tests/openrlhf/conftest.py)."
    stub.__getattr__ = _no_cuda  # type: ignore[attr-defined]
    sys.modules["flash_attn_2_cuda"] = stub


if _has_real_openrlhf():
    _stub_flash_attn_extension()


@pytest.fixture(scope="session")
def ray_local():
    """A small local Ray instance (object refs are how OpenRLHF's trainer talks to its actors)."""
    import ray

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, object_store_memory=80 * 1024**2)
    yield ray
    ray.shutdown()
