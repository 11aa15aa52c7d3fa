"""A stage re-run (`azr eval --out DIR --stage score`) reuses the run's recorded settings (data dir, limit,
benchmarks), and evalplus data problems are one-line DataErrors, not urllib tracebacks."""

from __future__ import annotations

import json
import shutil
import urllib.error

import pytest
from fake_openai import FakeOpenAI, serve

from azr_env.cli import main
from azr_env.errors import DataError


def _data_copy(shared_data, tmp_path):
    """aime24 with the first gold answer changed to 42 (what the fake server answers), HumanEval+ as is: a
    re-score reading upstream data instead would give a different score (or need a download)."""
    root = tmp_path / "data"
    (root / "aime24").mkdir(parents=True)
    rows = [json.loads(line) for line in (shared_data / "aime24" / "test.jsonl").read_text().splitlines()]
    rows[0]["answer"] = "42"
    (root / "aime24" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "humanevalplus").symlink_to(shared_data / "humanevalplus")
    return root


@pytest.mark.slow  # scores one HumanEval+ problem (its canonical solution runs once)
def test_rescore_reuses_the_recorded_data_dir_limit_and_benchmarks(shared_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AZR_EVALS_CACHE", str(tmp_path / "empty-cache"))  # nothing downloaded before
    data, out = _data_copy(shared_data, tmp_path), tmp_path / "out"
    with serve(FakeOpenAI()) as url:
        assert main(["eval", "--backend", "openai", "--base-url", url, "--model", "m", "--benchmarks",
                     "aime24,humanevalplus", "--limit", "2", "--data-dir", str(data), "--out", str(out),
                     "--stage", "generate", "--no-progress"]) == 0
    capsys.readouterr()
    assert main(["eval", "--out", str(out), "--stage", "score", "--stage", "report", "--no-progress"]) == 0
    assert "reusing the settings recorded" in capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    assert results["settings"]["data_dir"] == str(data) and results["settings"]["limit"] == 2
    assert set(results["benchmarks"]) == {"aime24", "humanevalplus"}
    assert results["benchmarks"]["aime24"]["score"] == 50.0  # the local copy's changed answer was used
    # a flag given now overrides the recorded value
    assert main(["eval", "--out", str(out), "--benchmarks", "aime24", "--limit", "1", "--stage", "score",
                 "--stage", "report", "--no-progress"]) == 0
    again = json.loads((out / "results.json").read_text())
    assert again["settings"]["limit"] == 1 and again["settings"]["data_dir"] == str(data)
    assert again["benchmarks"]["aime24"]["score"] == 100.0


def test_report_stage_alone_reuses_the_recorded_benchmarks(shared_data, tmp_path, capsys):
    data, out = _data_copy(shared_data, tmp_path), tmp_path / "out"
    with serve(FakeOpenAI()) as url:
        assert main(["eval", "--backend", "openai", "--base-url", url, "--model", "m", "--benchmarks", "aime24",
                     "--limit", "3", "--data-dir", str(data), "--out", str(out), "--no-progress"]) == 0
    (out / "results.json").unlink()
    assert main(["eval", "--out", str(out), "--stage", "report", "--no-progress"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert list(results["benchmarks"]) == ["aime24"] and results["model"] == "m"


def _evalplus_cache(tmp_path, monkeypatch):
    pytest.importorskip("evalplus")
    import evalplus.data.utils as utils

    monkeypatch.setattr(utils, "CACHE_DIR", str(tmp_path / "evalplus-cache"))
    return tmp_path / "evalplus-cache"


def test_evalplus_download_failure_is_a_one_line_data_error(tmp_path, monkeypatch):
    from azr_evals.data import load_problems

    _evalplus_cache(tmp_path, monkeypatch)

    def offline(url, out=None, bar=None):
        raise urllib.error.URLError("no network")

    import wget

    monkeypatch.setattr(wget, "download", offline)
    with pytest.raises(DataError, match="--data-dir"):
        load_problems("humanevalplus")


def test_evalplus_cached_release_is_checked_against_its_pinned_sha256(shared_data, tmp_path, monkeypatch):
    import gzip

    from azr_evals.data import load_problems
    from azr_evals.data.fetch import track

    cache = _evalplus_cache(tmp_path, monkeypatch)
    cache.mkdir()
    release = cache / "HumanEvalPlus-v0.1.10.jsonl"
    with gzip.open(shared_data / "humanevalplus" / "HumanEvalPlus.jsonl.gz", "rb") as fh:
        release.write_bytes(fh.read())
    with track() as used:
        assert len(load_problems("humanevalplus")) == 164
    assert list(used.values()) == [release]
    release.write_text(release.read_text().replace("HumanEval/0", "HumanEval/0 ", 1))  # upstream moved
    with pytest.raises(DataError, match="sha256"):
        load_problems("humanevalplus")
    shutil.rmtree(cache)
