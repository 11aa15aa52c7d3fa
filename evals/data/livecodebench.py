"""LiveCodeBench code generation (`livecodebench/code_generation_lite`), read as raw JSON lines.

The HF loading script of that dataset breaks on `datasets` >= 4, so we read its release files directly:
`test.jsonl` (release_v1), then `test2.jsonl` ... `test6.jsonl` add the problems of each later release, so
`release_vN` is the union of the first N files. A date window on `contest_date` selects the problems (default:
release_v5, May 2023 - Feb 2025, as in SPEC §7).

Row fields: `question_title`, `question_content`, `platform`, `question_id`, `contest_id`, `contest_date`,
`starter_code`, `difficulty`, `public_test_cases` (JSON list), `private_test_cases` (JSON list, or a string:
base64 -> zlib -> pickle -> JSON), `metadata` (JSON with `func_name` for functional problems). Each test is
`{"input", "output", "testtype": "stdin" | "functional"}`.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

from azr_evals.data.fetch import download, note_read, read_jsonl
from azr_evals.registry import LCB_REVISION, BenchmarkSpec
from azr_evals.types import Problem

from azr_env.errors import ConfigError, DataError

# Pinned to a revision (not `main`, which moves); no sha256 is published, so it is recorded on first download.
BASE_URL = f"https://huggingface.co/datasets/livecodebench/code_generation_lite/resolve/{LCB_REVISION}"
RELEASE_FILES = ["test.jsonl", "test2.jsonl", "test3.jsonl", "test4.jsonl", "test5.jsonl", "test6.jsonl"]
DEFAULT_RELEASE = "release_v5"
DEFAULT_START, DEFAULT_END = "2023-05-01", "2025-02-28"


class _StrOnlyUnpickler(pickle.Unpickler):
    """The private-test pickles hold one JSON string; refusing every global makes loading them harmless."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in LiveCodeBench test data")


def decode_tests(field: str | list) -> list[dict[str, Any]]:
    """A test list from its stored form: a list, a JSON string, or base64 -> zlib -> pickle -> JSON."""
    if isinstance(field, list):
        return field
    text = field.strip()
    if text.startswith("["):
        return json.loads(text)
    payload = _StrOnlyUnpickler(io.BytesIO(zlib.decompress(base64.b64decode(text.encode("ascii"))))).load()
    return json.loads(payload)


def release_files(release: str) -> list[str]:
    """File names making up `release` ("release_v5" -> test.jsonl .. test5.jsonl; "release_latest" -> all)."""
    if release == "release_latest":
        return list(RELEASE_FILES)
    try:
        count = int(release.removeprefix("release_v"))
    except ValueError:
        count = 0
    if not 1 <= count <= len(RELEASE_FILES):
        raise ConfigError(f"unknown LiveCodeBench release {release!r}: use release_v1 .. release_v{len(RELEASE_FILES)}"
                          " or release_latest")
    return RELEASE_FILES[:count]


def _day(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text[:10])
    except ValueError as exc:
        raise ConfigError(f"bad date {text!r}: use YYYY-MM-DD") from exc


def row_to_problem(row: dict[str, Any], benchmark: str = "livecodebench") -> Problem:
    """One upstream row -> Problem (tests decoded: public first, then private)."""
    try:
        tests = decode_tests(row["public_test_cases"]) + decode_tests(row["private_test_cases"])
        metadata = json.loads(row.get("metadata") or "{}")
    except (KeyError, ValueError, zlib.error, pickle.UnpicklingError) as exc:
        raise DataError(f"LiveCodeBench row {row.get('question_id')!r}: bad test data ({exc})") from exc
    testtype = tests[0]["testtype"] if tests else "stdin"
    meta = {"tests": tests, "testtype": testtype, "func_name": metadata.get("func_name"),
            "starter_code": row.get("starter_code") or "", "platform": row.get("platform"),
            "contest_date": row.get("contest_date"), "difficulty": row.get("difficulty"),
            "title": row.get("question_title")}
    return Problem(benchmark, str(row["question_id"]), row["question_content"], None, meta)


def load(spec: BenchmarkSpec, *, path: str | Path | None = None, data_dir: str | Path | None = None,
         release: str = DEFAULT_RELEASE, start_date: str = DEFAULT_START, end_date: str = DEFAULT_END,
         **_: Any) -> list[Problem]:
    """Problems of `release` with `start_date <= contest_date <= end_date` (days, inclusive).

    `path` may be one .jsonl file or a directory holding the release files; `data_dir` is searched under
    `livecodebench/`. Files of the release that are missing locally are an error (a partial release would
    silently change the benchmark).
    """
    names = release_files(release)
    if path is not None and Path(path).is_file():
        files = [note_read(Path(path))]
    else:
        folder = Path(path) if path is not None else (Path(data_dir) / spec.local_dir if data_dir else None)
        if folder is None:
            files = [download(f"{BASE_URL}/{name}", f"livecodebench/{LCB_REVISION[:12]}/{name}") for name in names]
        else:
            files = [folder / name for name in names]
            missing = [str(f) for f in files if not f.exists()]
            if missing:
                raise DataError(f"LiveCodeBench {release} needs {', '.join(missing)}: download them from "
                                f"{BASE_URL} or pick an earlier --lcb-release")
            for file in files:
                note_read(file, f"{spec.local_dir}/{file.name}")
    lo, hi = _day(start_date), _day(end_date)
    problems = []
    for file in files:
        for row in read_jsonl(file):
            day = _day(str(row.get("contest_date", "")))
            if lo <= day <= hi:
                problems.append(row_to_problem(row, spec.name))
    return problems
