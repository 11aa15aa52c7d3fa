"""`azr eval --backend openai` against a local HTTP server that records requests (tests/evals/fake_openai.py):
chat vs completions route, API key, one-line errors, retries with backoff, bounded concurrency, resume."""

from __future__ import annotations

import json

import pytest
from fake_openai import FakeOpenAI, serve

from azr_env.cli import main


def _eval(url: str, out, data_dir, *extra: str, limit: int = 3, benchmarks: str = "aime24") -> int:
    return main(["eval", "--backend", "openai", "--base-url", url, "--model", "served-model", "--benchmarks",
                 benchmarks, "--limit", str(limit), "--data-dir", str(data_dir), "--out", str(out), "--no-progress",
                 *extra])


def _all_text(folder) -> str:
    return "\n".join(p.read_text(errors="replace") for p in folder.rglob("*") if p.is_file())


def test_chat_format_uses_the_chat_route_with_messages_and_the_api_key(shared_data, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake = FakeOpenAI()
    with serve(fake) as url:
        assert _eval(url, tmp_path / "out", shared_data, "--prompt-format", "chat", "--system-prompt",
                     "You are terse.", "--api-key", "sk-test-SECRET-123") == 0
    assert len(fake.requests) == 3
    for request in fake.requests:
        assert request["path"] == "/v1/chat/completions"
        assert request["headers"]["authorization"] == "Bearer sk-test-SECRET-123"
        system, user = request["body"]["messages"]
        assert system == {"role": "system", "content": "You are terse."}
        assert user["role"] == "user" and "\\boxed{}" in user["content"]
        assert "Assistant:" not in user["content"]  # the raw task text: the server applies the chat template
        assert "prompt" not in request["body"]
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    agent = results["reproducibility"]["agent"]
    assert agent["route"] == "/chat/completions" and agent["system_prompt"] == "You are terse."
    assert results["settings"]["prompt_format"] == "chat"
    assert "sk-test-SECRET-123" not in _all_text(tmp_path / "out")


def test_chat_without_a_system_prompt_sends_only_the_user_message(shared_data, tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake = FakeOpenAI()
    with serve(fake) as url:
        assert _eval(url, tmp_path / "out", shared_data, "--prompt-format", "chat", limit=1) == 0
    assert [m["role"] for m in fake.requests[0]["body"]["messages"]] == ["user"]
    assert "authorization" not in fake.requests[0]["headers"] or not fake.requests[0]["headers"]["authorization"]


@pytest.mark.parametrize("prompt_format", ["raw", "r1"])
def test_raw_and_r1_use_the_completions_route(shared_data, tmp_path, monkeypatch, prompt_format):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env-456")
    fake = FakeOpenAI()
    with serve(fake) as url:
        assert _eval(url, tmp_path / "out", shared_data, "--prompt-format", prompt_format, limit=2) == 0
    assert {r["path"] for r in fake.requests} == {"/v1/completions"}
    assert all(r["headers"]["authorization"] == "Bearer sk-from-env-456" for r in fake.requests)
    prompts = [r["body"]["prompt"] for r in fake.requests]
    assert all(("Assistant: <think>" in p) == (prompt_format == "r1") for p in prompts)
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["reproducibility"]["agent"]["route"] == "/completions"
    assert "sk-from-env-456" not in _all_text(tmp_path / "out")


def test_missing_base_url_is_a_one_line_error(tmp_path, capsys):
    code = main(["eval", "--backend", "openai", "--model", "m", "--benchmarks", "aime24", "--out",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code != 0
    assert len(err.splitlines()) == 1 and "--base-url" in err and "Traceback" not in err


def test_system_prompt_needs_the_chat_format(tmp_path, capsys):
    code = main(["eval", "--backend", "openai", "--base-url", "http://127.0.0.1:9/v1", "--model", "m",
                 "--system-prompt", "hi", "--benchmarks", "aime24", "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1 and "--prompt-format chat" in err


def test_oracle_backend_is_refused_with_a_clear_message(tmp_path, capsys):
    code = main(["eval", "--backend", "oracle", "--model", "x", "--benchmarks", "aime24", "--out",
                 str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1
    assert "oracle" in err and "0 %" in err and not (tmp_path / "out" / "results.json").exists()


@pytest.mark.slow  # about 9 s: the real backoff delays
def test_429_5xx_and_timeouts_are_retried_with_backoff(shared_data, tmp_path):
    fake = FakeOpenAI(script=[429, 503, ("stall", 3.0), 500])
    with serve(fake) as url:
        assert _eval(url, tmp_path / "out", shared_data, "--concurrency", "1", "--max-retries", "4",
                     "--request-timeout", "1", limit=1) == 0
    statuses = [r.get("status") for r in fake.requests]
    assert statuses[:2] == [429, 503] and statuses[3:] == [500, 200]  # the stalled one timed out client-side
    gaps = [b["time"] - a["time"] for a, b in zip(fake.requests, fake.requests[1:])]
    # backoff 0.5 s doubling: the client waits at least 0.5, 1, (timeout 1 +) 2, 4 s between attempts
    assert gaps[0] >= 0.45 and gaps[1] >= 0.95 and gaps[3] >= 3.9
    assert json.loads((tmp_path / "out" / "results.json").read_text())["benchmarks"]["aime24"]["samples"] == 1


def test_a_request_that_keeps_failing_is_a_one_line_error(shared_data, tmp_path, capsys):
    fake = FakeOpenAI(fail_after=0)
    with serve(fake) as url:
        code = _eval(url, tmp_path / "out", shared_data, "--max-retries", "1", limit=1)
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1 and "HTTP 500" in err and "2 attempts" in err


def test_concurrency_is_bounded(shared_data, tmp_path):
    fake = FakeOpenAI(hold_until=3)  # each request waits until 3 are in flight: reaching 3 is certain
    with serve(fake) as url:
        assert _eval(url, tmp_path / "out", shared_data, "--concurrency", "3", limit=9) == 0
    assert len(fake.answered) == 9 and fake.max_in_flight == 3


def test_resume_after_an_outage_does_not_re_ask_answered_prompts(shared_data, tmp_path, capsys):
    out = tmp_path / "out"
    broken = FakeOpenAI(fail_after=5)  # answers 5 prompts, then the server is down
    with serve(broken) as url:
        assert _eval(url, out, shared_data, "--concurrency", "2", "--max-retries", "0", limit=12) != 0
    assert "failed after 1 attempts" in capsys.readouterr().err
    first = {FakeOpenAI().prompt_of(b) for b in broken.answered}
    assert len(first) == 5
    healthy = FakeOpenAI()
    with serve(healthy) as url:
        assert _eval(url, out, shared_data, "--concurrency", "2", "--max-retries", "0", limit=12) == 0
    second = [FakeOpenAI().prompt_of(b) for b in healthy.answered]
    assert len(second) == 7 and not first & set(second)  # only the unanswered prompts were asked again
    results = json.loads((out / "results.json").read_text())
    assert results["benchmarks"]["aime24"]["samples"] == 12


def test_lm_eval_bridge_uses_the_chat_route_and_refuses_the_oracle(tmp_path, monkeypatch):
    pytest.importorskip("lm_eval")
    from azr_evals.lm_eval_bridge.model import AZRLM

    from azr_env.errors import ConfigError

    monkeypatch.setenv("OPENAI_API_KEY", "sk-bridge")

    class Request:
        args = ("What is 6 * 7?", {"until": ["</answer>"], "max_gen_toks": 32})

    fake = FakeOpenAI()
    with serve(fake) as url:
        lm = AZRLM(backend="openai", model="served-model", base_url=url, prompt_format="chat",
                   system_prompt="Be brief.")
        (answer,) = lm.generate_until([Request()])
    assert "\\boxed{42}" in answer
    (request,) = fake.requests
    assert request["path"] == "/v1/chat/completions" and request["body"]["stop"] == ["</answer>"]
    assert request["body"]["messages"] == [{"role": "system", "content": "Be brief."},
                                           {"role": "user", "content": "What is 6 * 7?"}]
    assert request["headers"]["authorization"] == "Bearer sk-bridge"
    with pytest.raises(ConfigError, match="oracle"):
        AZRLM(backend="oracle")


def test_garbage_answers_are_retried_then_a_one_line_error(shared_data, tmp_path, capsys):
    fake = FakeOpenAI(script=[("body", "<html>bad gateway</html>"), ("body", "[1, 2]")])
    with serve(fake) as url:  # two junk bodies, then a good answer: retried
        assert _eval(url, tmp_path / "ok", shared_data, "--max-retries", "2", limit=1) == 0
    assert len(fake.requests) == 3
    shapeless = FakeOpenAI(script=[("body", '{"choices": [{"index": 0, "message": {"content": 7}}]}')])
    with serve(shapeless) as url:
        code = _eval(url, tmp_path / "bad", shared_data, "--prompt-format", "chat", limit=1)
    err = capsys.readouterr().err.strip()
    assert code != 0 and len(err.splitlines()) == 1 and "unexpected shape" in err


def test_retry_after_is_honoured_within_a_cap():
    from azr_agents.http_client import MAX_RETRY_AFTER_S, _retry_after

    assert _retry_after("2") == 2.0 and _retry_after("0.25") == 0.25
    assert _retry_after("100000") == MAX_RETRY_AFTER_S
    assert _retry_after(None) == 0.0 and _retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert _retry_after("-5") == 0.0
