"""Find a benchmark file: an explicit path, a `--data-dir` layout, or a cached download of the upstream file.

Every upstream URL names a fixed revision (a commit, or a release tag for evalplus). Downloads are checked
against a pinned sha256 where one is known; where none is, the hash is recorded beside the file on first download
(`<file>.sha256`) and verified on every later use. A changed file means a changed benchmark, so a mismatch is an
error, not a warning. Every file a loader reads is logged (`track()`), so the runner can record its sha256 in
results.json and a table can be traced to its exact data.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from azr_env.errors import DataError


def cache_dir() -> Path:
    """Where downloaded benchmark files are kept (`AZR_EVALS_CACHE`, default `~/.cache/azr_evals`)."""
    return Path(os.environ.get("AZR_EVALS_CACHE", Path.home() / ".cache" / "azr_evals"))


_TRACKERS: list[dict[str, Path]] = []
_HASHES: dict[tuple[str, int, int], str] = {}


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file (memoised by path, size and modification time: big files are read once)."""
    stat = Path(path).stat()
    memo = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    if memo not in _HASHES:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _HASHES[memo] = digest.hexdigest()
    return _HASHES[memo]


@contextmanager
def track() -> Iterator[dict[str, Path]]:
    """Collect `{label: path}` of every benchmark file handed out (by `resolve`, `download`, `note_read`) inside."""
    used: dict[str, Path] = {}
    _TRACKERS.append(used)
    try:
        yield used
    finally:
        _TRACKERS.remove(used)


def note_read(path: Path, label: str | None = None) -> Path:
    """Log `path` as read by a loader (for the data hashes of results.json); returns it unchanged."""
    for used in _TRACKERS:
        used[label or str(path)] = Path(path)
    return Path(path)


def verify_sha256(path: Path, expected: str | None, origin: str) -> str:
    """Check `path` against `expected`, else against the hash recorded beside it on first use (recorded now if
    there is none). Returns the file's sha256; a mismatch is a DataError naming both hashes."""
    actual = sha256_file(path)
    record = path.with_name(path.name + ".sha256")
    if expected is None and record.exists():
        expected = record.read_text().split()[0] if record.read_text().strip() else None
        origin = f"{origin}; hash recorded on first download in {record}"
    elif expected is None:
        record.write_text(f"{actual}  {origin}\n")
        return actual
    if actual != expected:
        raise DataError(f"{path} ({origin}) has sha256 {actual}, expected {expected}: the benchmark data changed. "
                        "Delete the file to re-download it (and its .sha256 record to accept new data), or pass "
                        "a local copy with --data-dir")
    return actual


def download(url: str, name: str, sha256: str | None = None) -> Path:
    """Download `url` once into the cache as `name`; verify `sha256` when given, else the hash recorded on the
    first download (see `verify_sha256`)."""
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
    verify_sha256(target, sha256, url)
    return note_read(target, name)


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
    return note_read(candidate, local if path is None else None)


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
