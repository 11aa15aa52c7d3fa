"""The OpenAI-compatible client (agents/http_client.py) against a real `azr serve` process on 127.0.0.1."""

import socket
import subprocess
import sys
import time

import httpx
import pytest
from azr_agents.http_client import BackendUnavailableError, OpenAIAgent

from azr_env.errors import ConfigError

LAUNCH = (
    "import argparse, sys\n"
    "from azr_env.commands import serve_cmd\n"
    "p = argparse.ArgumentParser(); serve_cmd.add_parser(p.add_subparsers())\n"
    "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(micro_dir):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "serve", "--model", str(micro_dir), "--served-name", "micro",
         "--port", str(port), "--device", "cpu", "--threads", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.time() + 90
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"azr serve exited: {proc.stdout.read()}")
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("azr serve did not come up in 90 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


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
