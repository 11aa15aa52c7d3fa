"""Fixtures for the OpenRLHF extension tests (tests/openrlhf).

Tests that need OpenRLHF skip, with the reason, when it is not importable in the running interpreter: run them
with `make test-openrlhf`, inside the training environment (.venv-train).

The one stand-in: flash-attn's compiled CUDA module `flash_attn_2_cuda`. flash-attn installs on CPU only in
its Python-only build mode, which leaves that module out, yet `import flash_attn` (reached through OpenRLHF's
`openrlhf.models` -> `flash_attn.bert_padding`) imports it. An empty module takes its place
(`azr_agents.openrlhf.compat.stub_flash_attn_cuda`); anything that would call a CUDA kernel through it fails
loudly. Everything else is the real package: OpenRLHF, Ray, DeepSpeed, transformers and vLLM's Python package.
"""

from __future__ import annotations

import importlib.util

import pytest


def _has_real_openrlhf() -> bool:
    spec = importlib.util.find_spec("openrlhf")
    return spec is not None and spec.origin is not None  # tests/openrlhf itself is a namespace package


if _has_real_openrlhf():
    from azr_agents.openrlhf.compat import stub_flash_attn_cuda

    stub_flash_attn_cuda()  # the same stand-in `entry --check` uses


@pytest.fixture(scope="session")
def ray_local():
    """A small local Ray instance (object refs are how OpenRLHF's trainer talks to its actors)."""
    import ray

    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False, object_store_memory=80 * 1024**2)
    yield ray
    ray.shutdown()
