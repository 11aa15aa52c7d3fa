"""Trainer rollouts from a real `azr serve` on 127.0.0.1 (`rollout_backend: http`) and its weight reload endpoint."""

import json

import httpx
import pytest
import torch
from azr_agents.config import SelfPlayConfig, load_config
from azr_agents.hf import HFAgent
from azr_agents.http_client import OpenAIAgent
from azr_agents.micro import MicroModelConfig, build_micro_model
from azr_agents.policy import response_ids_from_text
from azr_agents.trainer import main
from serve_helpers import serving

from azr_env.errors import ConfigError

PROMPT = "def f(x):\n    return"
SMALL = {"num_layers": 2, "hidden_size": 64, "intermediate_size": 128}  # the architecture of conftest's micro_dir


def served_greedy(url):
    """Greedy text and per-token log-probs from the server."""
    with OpenAIAgent(url, "micro", request_logprobs=True) as agent:
        g = agent.generate([PROMPT], max_new_tokens=12, temperature=0)[0][0]
    return g.text, torch.tensor(g.logprobs)


def local_greedy(folder):
    g = HFAgent(folder, device="cpu").generate([PROMPT], max_new_tokens=12, temperature=0)[0][0]
    return g.text, torch.tensor(g.logprobs)


def same(a, b) -> bool:
    return a[0] == b[0] and a[1].shape == b[1].shape and torch.allclose(a[1], b[1], atol=1e-5)


def reload(url, path):
    return httpx.post(url.removesuffix("/v1") + "/update_weights_from_disk", json={"model_path": str(path)},
                      timeout=60)


def test_reload_endpoint_swaps_weights_and_rejects_bad_folders(micro_dir, tmp_path):
    other = build_micro_model(tmp_path / "b", MicroModelConfig(**SMALL, seed=1))
    wider = build_micro_model(tmp_path / "wide", MicroModelConfig(**SMALL | {"hidden_size": 32}))
    start, target = local_greedy(micro_dir), local_greedy(other)
    assert not same(start, target)
    with serving(micro_dir) as url:
        assert same(served_greedy(url), start)
        resp = reload(url, other)
        assert resp.status_code == 200 and resp.json()["success"] is True
        assert same(served_greedy(url), target)
        for bad, reason in ((tmp_path / "missing", "not a folder"), (wider, "does not match")):
            resp = reload(url, bad)
            assert resp.status_code == 400 and resp.json()["success"] is False
            assert reason in resp.json()["message"]
        assert same(served_greedy(url), target)  # still serving, with the weights it had


def tiny_http_config(micro_dir, run_dir, url, **over):
    options = dict(model=str(micro_dir), run_dir=str(run_dir), total_steps=2, batch_per_type=2, n_rollouts=2,
                   max_new_tokens=16, seed_buffer_size=1, seeding_max_rounds=1, eval_tasks=4, eval_every=1,
                   lr=1e-3, mini_batch_size=12, micro_batch_size=6, save_every=1, progress="none", workers=1,
                   threads=1, generation_batch_size=16, report=False, rollout_backend="http", rollout_url=url)
    return load_config("cpu-micro", None, options | over)


@pytest.mark.slow
def test_selfplay_over_http_keeps_the_server_on_the_trained_weights(micro_dir, tmp_path):
    run = tmp_path / "run"
    start = local_greedy(micro_dir)
    with serving(micro_dir) as url:
        last = main(tiny_http_config(micro_dir, run, url, weight_sync="reload"))
        served = served_greedy(url)
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [-1, 0, 1]
    assert "losses/policy" in rows[-1] and "eval/deduction/accuracy" in last
    assert rows[-1]["perf/gen_tokens"] > 0
    final = local_greedy(run / "checkpoints" / "step-000001")
    assert same(served, final) and not same(final, start)
    assert sorted(p.name for p in run.iterdir() if p.name.startswith("rollout_weights")) == ["rollout_weights"]


@pytest.mark.slow
def test_weight_sync_none_leaves_the_server_weights_alone(micro_dir, tmp_path):
    run = tmp_path / "run"
    start = local_greedy(micro_dir)
    with serving(micro_dir) as url:
        main(tiny_http_config(micro_dir, run, url, weight_sync="none", total_steps=1, eval_every=0))
        assert same(served_greedy(url), start)
    assert not (run / "rollout_weights").exists()
    assert not same(local_greedy(run / "checkpoints" / "step-000000"), start)


def test_http_config_is_checked():
    with pytest.raises(ConfigError, match="rollout_url is required"):
        SelfPlayConfig(rollout_backend="http")
    with pytest.raises(ConfigError, match="including /v1"):
        SelfPlayConfig(rollout_backend="http", rollout_url="http://127.0.0.1:8000")
    with pytest.raises(ConfigError, match="weight_sync='sometimes'"):
        SelfPlayConfig(rollout_backend="http", rollout_url="http://127.0.0.1:8000/v1", weight_sync="sometimes")
    c = load_config("cpu-micro", None, {"rollout_backend": "http", "rollout_url": "http://h:1/v1/",
                                        "weight_sync": "none"})
    assert (c.rollout_url, c.rollout_model, c.weight_sync) == ("http://h:1/v1/", None, "none")


def test_text_only_responses_get_eos_unless_cut_at_the_length_limit(hf_agent):
    tok = hf_agent.tokenizer
    ids = tok("abc", add_special_tokens=False)["input_ids"]
    assert response_ids_from_text(tok, "abc", "stop") == [*ids, tok.eos_token_id]
    assert response_ids_from_text(tok, "abc", None) == [*ids, tok.eos_token_id]
    assert response_ids_from_text(tok, "abc", "length") == ids
