"""The OpenAI-compatible client (agents/http_client.py) against a real `azr serve` process on 127.0.0.1."""

import time

import httpx
import pytest
from azr_agents.http_client import BackendUnavailableError, OpenAIAgent
from serve_helpers import free_port, serving

from azr_env.errors import ConfigError


@pytest.fixture(scope="module")
def server(micro_dir):
    with serving(micro_dir) as url:
        yield url


def test_models_endpoint(server):
    assert httpx.get(f"{server}/models").json()["data"][0]["id"] == "micro"


def test_completions_with_n_logprobs_and_concurrency(server):
    with OpenAIAgent(server, "micro", request_logprobs=True, concurrency=4) as agent:
        out = agent.generate([f"prompt {i}" for i in range(6)], n=2, max_new_tokens=8, seed=0)
    assert [len(g) for g in out] == [2] * 6
    for gens in out:
        for g in gens:
            assert isinstance(g.text, str) and g.finish_reason in ("stop", "length")
            assert 1 <= len(g.logprobs) <= 8 and all(lp <= 0 for lp in g.logprobs)


def test_greedy_is_reproducible_over_http(server, hf_agent):
    with OpenAIAgent(server, "micro") as agent:
        a = agent.generate(["same"], max_new_tokens=10, temperature=0)[0][0].text
        b = agent.generate(["same"], max_new_tokens=10, temperature=0)[0][0].text
    assert a == b == hf_agent.generate(["same"], max_new_tokens=10, temperature=0)[0][0].text


def test_chat_mode_and_stop(server):
    with OpenAIAgent(server, "micro", mode="chat") as agent:
        out = agent.generate(["hi"], n=3, max_new_tokens=6, stop=["\n"], seed=2)
    assert len(out[0]) == 3 and all("\n" not in g.text for g in out[0])


def test_bad_request_fails_fast_and_dead_server_is_retried(server):
    with OpenAIAgent(server, "micro") as agent, pytest.raises(ConfigError, match="422"):
        agent.generate(["x"], max_new_tokens=4, stop=[{"no": 1}])  # type: ignore[list-item]
    dead = OpenAIAgent(f"http://127.0.0.1:{free_port()}/v1", "m", max_retries=2, backoff_s=0.01, timeout_s=2)
    start = time.time()
    with pytest.raises(BackendUnavailableError, match="3 attempts"):
        dead.generate(["x"])
    assert time.time() - start < 10
