"""What a results file records so its numbers can be reproduced: data hashes, prompt hashes, packages, machine.

Evaluation numbers drift when data moves upstream, a prompt template changes or a library changes its parsing;
each of those is recorded here as a hash or a version, so `azr eval --reproduce results.json` can say which one
changed (azr_evals.reproduce). Nothing here may be secret: the API key is never passed in.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from azr_evals.types import Problem

PACKAGES = ("azr-env", "evalplus", "math-verify", "sympy", "numpy", "httpx", "torch", "transformers", "vllm",
            "datasets", "lm-eval")


def _canonical(obj: Any) -> Any:
    """JSON stand-in for values json cannot encode; sets sorted so the hash does not depend on hash seeds."""
    if isinstance(obj, (set, frozenset)):
        return {"__set__": sorted(json.dumps(x, sort_keys=True, default=_canonical) for x in obj)}
    return {"__repr__": repr(obj)}


def problems_sha256(problems: Iterable[Problem], family: str) -> str:
    """Hash of the problems as loaded (ids, statements, answers, and the test data except LiveCodeBench's,
    whose multi-GB tests are covered by the file hashes instead)."""
    digest = hashlib.sha256()
    for p in problems:
        meta = {} if family == "livecodebench" else p.meta
        row = [p.problem_id, p.question, p.answer, meta]
        digest.update(json.dumps(row, sort_keys=True, default=_canonical).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def prompts_sha256(rows: Iterable[dict[str, Any]]) -> str:
    """Hash of the exact prompts sent, one per problem, in problem-id order (template + data + format)."""
    unique = sorted({(str(r["problem_id"]), r["prompt"]) for r in rows})
    return hashlib.sha256(json.dumps(unique).encode()).hexdigest()


def template_sha256(prompt_format: str) -> str:
    """Hash of the prompt templates themselves: each family's builder and the R1 wrap, on a placeholder problem."""
    from azr_evals.prompts import build_prompt

    placeholder = Problem("placeholder", "0", "{question}", None, {"prompt": "{prompt}", "starter_code": ""})
    texts = [build_prompt(placeholder, family, prompt_format) for family in ("evalplus", "livecodebench", "math")]
    from azr_env.tasks import format_prompt

    texts.append(format_prompt("{cruxeval}", "r1" if prompt_format == "r1" else "raw"))
    return hashlib.sha256("\n\x00\n".join(texts).encode()).hexdigest()


def file_hashes(files: dict[str, Path]) -> dict[str, str]:
    """{label: sha256} of the data files a loader read (see azr_evals.data.fetch.track)."""
    from azr_evals.data.fetch import sha256_file

    return {label: sha256_file(path) for label, path in sorted(files.items())}


def package_versions() -> dict[str, str | None]:
    """Installed versions of the packages that can change a score (None: not installed)."""
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def machine() -> dict[str, Any]:
    """The machine in a few fields (no host name): platform, CPU count, and the GPU when torch already uses one."""
    info: dict[str, Any] = {"platform": platform.platform(), "machine": platform.machine(),
                            "processor": platform.processor() or None, "cpus": os.cpu_count(), "gpu": None}
    torch = sys.modules.get("torch")  # never import torch just to look: it costs seconds
    try:
        if torch is not None and torch.cuda.is_available():
            info["gpu"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # noqa: BLE001 - a broken CUDA setup must not stop the report
        info["gpu"] = "unknown"
    return info
