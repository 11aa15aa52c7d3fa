"""Numbers that reproduce: pinned sources, sha256 recorded on first download and verified later, results files
that record data/prompt/template hashes, settings, seed, packages and machine, and `azr eval --reproduce`."""

from __future__ import annotations

import hashlib
import json
from importlib import metadata

import pytest
from azr_evals.data import livecodebench
from azr_evals.data.fetch import download
from azr_evals.registry import BENCHMARKS
from fake_openai import FakeOpenAI, serve

from azr_env.cli import main
from azr_env.errors import DataError


def test_every_upstream_source_names_a_fixed_revision():
    moving = [spec.name for spec in BENCHMARKS.values() if "/main/" in spec.source or spec.source.endswith("/main")]
    assert moving == []
    assert "/resolve/main" not in livecodebench.BASE_URL and "/resolve/" in livecodebench.BASE_URL
    from azr_evals.data import cruxeval

    assert "190faf16d175b5847b0af05d937872b1fb395942" in BENCHMARKS["cruxeval_o"].source
    assert len(cruxeval.SHA256) == 64


def test_download_records_the_hash_on_first_use_and_verifies_it_later(tmp_path, monkeypatch):
    monkeypatch.setenv("AZR_EVALS_CACHE", str(tmp_path / "cache"))
    upstream = tmp_path / "upstream.jsonl"
    upstream.write_text('{"a": 1}\n')
    target = download(upstream.as_uri(), "bench/test.jsonl")
    record = target.with_name("test.jsonl.sha256")
    assert record.read_text().split()[0] == hashlib.sha256(b'{"a": 1}\n').hexdigest()
    assert download(upstream.as_uri(), "bench/test.jsonl") == target  # verified, same file
    target.write_text('{"a": 2}\n')  # the cached copy changed
    with pytest.raises(DataError, match="sha256"):
        download(upstream.as_uri(), "bench/test.jsonl")
    target.unlink()  # re-downloading does not forget the recorded hash: a moved upstream is still caught
    upstream.write_text('{"a": 3}\n')
    with pytest.raises(DataError, match="recorded on first download"):
        download(upstream.as_uri(), "bench/test.jsonl")


def test_a_pinned_hash_that_does_not_match_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("AZR_EVALS_CACHE", str(tmp_path / "cache"))
    upstream = tmp_path / "upstream.jsonl"
    upstream.write_text("{}\n")
    with pytest.raises(DataError, match="expected 000"):
        download(upstream.as_uri(), "x/test.jsonl", sha256="0" * 64)


def _gold_fn(shared_data):
    rows = [json.loads(line) for line in (shared_data / "aime24" / "test.jsonl").read_text().splitlines()]

    def answer(prompts: list[str]) -> list[str]:
        return [next(f"\\boxed{{{r['answer']}}}" for r in rows if r["problem"].strip() in p) for p in prompts]

    return answer


def test_results_record_hashes_settings_seed_packages_and_machine(shared_data, tmp_path):
    from azr_evals import evaluate

    r1 = evaluate(_gold_fn(shared_data), ["aime24"], data_dir=shared_data, limit=2, out_dir=tmp_path / "r1", seed=7)
    raw = evaluate(_gold_fn(shared_data), ["aime24"], data_dir=shared_data, limit=2, out_dir=tmp_path / "raw",
                   prompt_format="raw")
    rep = r1.raw["reproducibility"]
    file_hash = hashlib.sha256((shared_data / "aime24" / "test.jsonl").read_bytes()).hexdigest()
    assert rep["data"]["aime24"]["files"] == {"aime24/test.jsonl": file_hash}
    assert rep["data"]["aime24"]["problems"] == 2 and len(rep["data"]["aime24"]["problems_sha256"]) == 64
    assert rep["decoding_seed"] == 7 and r1.raw["settings"]["generation"]["seed"] == 7
    assert r1.raw["settings"]["generation"]["temperature"] == 0.0 and r1.raw["settings"]["limit"] == 2
    other = raw.raw["reproducibility"]
    assert rep["prompts_sha256"]["aime24"] != other["prompts_sha256"]["aime24"]
    assert rep["template_sha256"] != other["template_sha256"]
    assert rep["data"] == other["data"]
    assert rep["report"]["packages"]["evalplus"] == metadata.version("evalplus")
    assert rep["report"]["machine"]["cpus"] >= 1 and rep["stages"]["generate"]["packages"]["python"]
    assert rep["agent"]["backend"] == "python"


def test_reproduce_reports_configuration_and_score_differences(shared_data, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-never-recorded")
    data, out = tmp_path / "data", tmp_path / "run"
    (data / "aime24").mkdir(parents=True)
    source = (shared_data / "aime24" / "test.jsonl").read_text()
    (data / "aime24" / "test.jsonl").write_text(source)
    fake = FakeOpenAI()
    with serve(fake) as url:
        assert main(["eval", "--backend", "openai", "--base-url", url, "--model", "m", "--prompt-format", "chat",
                     "--benchmarks", "aime24", "--limit", "3", "--data-dir", str(data), "--out", str(out),
                     "--no-progress"]) == 0
        capsys.readouterr()
        assert main(["eval", "--reproduce", str(out / "results.json"), "--out", str(tmp_path / "same"),
                     "--no-progress"]) == 0
        same = capsys.readouterr().out
        assert "configuration differences: none" in same and "score differences: none" in same
        assert fake.requests[-1]["path"] == "/v1/chat/completions"  # the recorded route was used again
        assert fake.requests[-1]["headers"]["authorization"] == "Bearer sk-never-recorded"
        rows = [json.loads(line) for line in source.splitlines()]
        rows[1]["answer"] = "42"  # the data moved: problem 2's gold answer is now what the server answers
        (data / "aime24" / "test.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
        assert main(["eval", "--reproduce", str(out / "results.json"), "--out", str(tmp_path / "moved"),
                     "--no-progress"]) == 0
        moved_text = capsys.readouterr().out
        copy = tmp_path / "copy"
        (copy / "aime24").mkdir(parents=True)
        (copy / "aime24" / "test.jsonl").write_text(source)  # the original data, moved to another folder
        capsys.readouterr()
        assert main(["eval", "--reproduce", str(out / "results.json"), "--data-dir", str(copy), "--out",
                     str(tmp_path / "copied"), "--no-progress"]) == 0
        copied = capsys.readouterr().out
        assert "settings.data_dir" in copied and "score differences: none" in copied
        assert "reproducibility.data.aime24.files" not in copied  # same files, same hashes
    moved = moved_text
    assert "reproducibility.data.aime24.files.aime24/test.jsonl" in moved
    assert "reproducibility.data.aime24.problems_sha256" in moved
    assert "aime24: 0.0 -> 33.3 (+33.3); verdict changed on 1: aime24/61" in moved
    assert "sk-never-recorded" not in "".join(p.read_text() for p in tmp_path.rglob("*.json"))


def test_reproducing_a_python_agent_run_needs_the_agent(shared_data, tmp_path, capsys):
    from azr_evals import evaluate, reproduce

    first = evaluate(_gold_fn(shared_data), ["aime24"], data_dir=shared_data, limit=1, out_dir=tmp_path / "a")
    assert main(["eval", "--reproduce", str(first.out_dir / "results.json")]) != 0
    assert "azr_evals.reproduce" in capsys.readouterr().err
    again = reproduce(first.out_dir / "results.json", agent=_gold_fn(shared_data), out_dir=tmp_path / "b",
                      log=lambda *_: None)
    assert again.reproduced and again.config_differences == []
