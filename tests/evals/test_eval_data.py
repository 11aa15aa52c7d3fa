"""Benchmark loaders and the registry (azr_evals.data, azr_evals.registry), read from ../shared/data."""

from __future__ import annotations

import pytest
from azr_evals.data import load_problems
from azr_evals.data.fetch import sha256_file
from azr_evals.data.math_sets import SHA256
from azr_evals.registry import BENCHMARKS, resolve_benchmarks

from azr_env.errors import ConfigError, DataError

COUNTS = {"aime24": 30, "aime25": 30, "amc23": 40, "math500": 500, "minerva": 272, "olympiadbench": 675,
          "gsm8k": 1319}


@pytest.mark.parametrize(("name", "count"), COUNTS.items())
def test_math_sets_load_with_gold_answers(name, count, shared_data):
    problems = load_problems(name, data_dir=shared_data)
    assert len(problems) == count
    assert all(p.question and p.answer for p in problems)
    assert len({p.problem_id for p in problems}) == count


def test_math_gold_conventions(shared_data):
    aime = load_problems("aime24", data_dir=shared_data)
    assert any(p.answer.startswith("0") for p in aime)  # leading zeros kept; compared as numbers
    assert load_problems("amc23", data_dir=shared_data)[0].answer == "27"  # 27.0 in the file
    minerva = load_problems("minerva", data_dir=shared_data)
    assert minerva[0].answer and "\\boxed" not in minerva[0].answer  # last \boxed{} of the solution
    gsm = load_problems("gsm8k", data_dir=shared_data)
    assert gsm[0].answer == "18"


def test_shared_files_match_the_pinned_upstream_hashes(shared_data):
    for name, digest in SHA256.items():
        local = BENCHMARKS[name].local_dir
        assert sha256_file(shared_data / local / "test.jsonl") == digest, name


def test_evalplus_sets_through_evalplus_loaders(shared_data):
    he = load_problems("humanevalplus", data_dir=shared_data)
    mbpp = load_problems("mbppplus", data_dir=shared_data)
    assert (len(he), len(mbpp)) == (164, 378)
    assert he[0].meta["dataset"] == "humaneval" and mbpp[0].meta["dataset"] == "mbpp"
    # evalplus's MBPP+ loader turns JSON lists back into tuples for the tasks that take them (Mbpp/2)
    assert isinstance(mbpp[0].meta["base_input"][0][0], tuple)


def test_limit_and_missing_files(tmp_path, shared_data):
    assert len(load_problems("aime25", data_dir=shared_data, limit=3)) == 3
    with pytest.raises(DataError, match="does not exist"):
        load_problems("aime25", data_dir=tmp_path)


def test_registry_resolution_and_errors():
    assert [s.name for s in resolve_benchmarks("paper")][:3] == ["humanevalplus", "mbppplus", "livecodebench"]
    assert len(resolve_benchmarks("all")) == len(BENCHMARKS)
    assert [s.name for s in resolve_benchmarks("lcb,amc")] == ["livecodebench", "amc23"]
    with pytest.raises(ConfigError, match="Did you mean 'aime24'"):
        resolve_benchmarks("aime2024")
