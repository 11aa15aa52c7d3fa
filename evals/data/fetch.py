"""Find a benchmark file: an explicit path, a `--data-dir` layout, or a cached download of the upstream file.

Downloads are checked against a pinned sha256 where the upstream file is pinned to a commit (a changed file means
a changed benchmark, so it is an error, not a warning). Local files are hashed too, and the hash is recorded in
results.json so a table can be traced to its exact data.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from azr_env.errors import DataError


def cache_dir() -> Path:
    """Where downloaded benchmark files are kept (`AZR_EVALS_CACHE`, default `~/.cache/azr_evals`)."""
    return Path(os.environ.get("AZR_EVALS_CACHE", Path.home() / ".cache" / "azr_evals"))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(url: str, name: str, sha256: str | None = None) -> Path:
    """Download `url` once into the cache as `name`; verify `sha256` when given."""
    target = cache_dir() / name
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(target.suffix + ".part")
        try:
            with urllib.request.urlopen(url, timeout=60) as resp, open(tmp, "wb") as out:
                while block := resp.read(1 << 20):
                    out.write(block)
        except OSError as exc:
            raise DataError(f"could not download {url}: {exc}. Offline? Pass --data-dir with a local copy.") from exc
        tmp.rename(target)
    if sha256 and sha256_file(target) != sha256:
        raise DataError(f"{target} (from {url}) has sha256 {sha256_file(target)}, expected {sha256}: "
                        "delete it to re-download, or pass a local copy with --data-dir")
    return target


def resolve(path: str | Path | None, data_dir: str | Path | None, local: str) -> Path | None:
    """The file to read: `path` itself, or `data_dir/local`; None means "download from upstream"."""
    if path is not None:
        candidate = Path(path)
    elif data_dir is not None:
        candidate = Path(data_dir) / local
    else:
        return None
    if not candidate.exists():
        raise DataError(f"benchmark file {candidate} does not exist: check --data-dir / the path, "
                        "or leave both out to download from upstream")
    return candidate


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Yield JSON objects from a .jsonl or .jsonl.gz file; a bad line is a DataError naming file and line."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc
