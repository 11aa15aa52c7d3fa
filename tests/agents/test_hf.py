"""HF backend (agents/hf.py) on a random micro model: shapes, seeds, greedy, stop strings, log-probs."""

import math

import pytest
import torch
from azr_agents import Agent


def test_generate_shapes_token_ids_and_logprobs(hf_agent):
    assert isinstance(hf_agent, Agent)
    out = hf_agent.generate(["hello", "a longer prompt"], n=3, max_new_tokens=12, seed=0)
    assert [len(g) for g in out] == [2 * 0 + 3, 3]
    for gens, prompt in zip(out, ["hello", "a longer prompt"]):
        for g in gens:
            assert g.prompt_token_ids == hf_agent.encode_prompt(prompt)
            assert 1 <= len(g.token_ids) <= 12 and len(g.logprobs) == len(g.token_ids)
            assert all(lp <= 0 for lp in g.logprobs)
            assert g.finish_reason in ("stop", "length")


def test_logprobs_match_a_teacher_forced_forward_pass(hf_agent):
    g = hf_agent.generate(["abc"], n=1, max_new_tokens=8, seed=1, temperature=0.7)[0][0]
    ids = torch.tensor([g.prompt_token_ids + g.token_ids])
    with torch.no_grad():
        logits = hf_agent.model(ids).logits[0, len(g.prompt_token_ids) - 1 : -1] / 0.7
    expected = torch.log_softmax(logits, -1).gather(1, torch.tensor(g.token_ids)[:, None])[:, 0]
    assert torch.allclose(torch.tensor(g.logprobs), expected, atol=1e-4)


def test_seed_reproduces_and_greedy_is_deterministic(hf_agent):
    a = hf_agent.generate(["x"], n=2, max_new_tokens=10, seed=3)
    b = hf_agent.generate(["x"], n=2, max_new_tokens=10, seed=3)
    assert [g.token_ids for g in a[0]] == [g.token_ids for g in b[0]]
    greedy = hf_agent.generate(["x"], n=2, max_new_tokens=10, temperature=0)[0]
    assert greedy[0].token_ids == greedy[1].token_ids


def test_top_p_keeps_only_the_nucleus(hf_agent):
    g = hf_agent.generate(["x"], n=1, max_new_tokens=10, top_p=1e-6, seed=0)[0][0]
    # A nucleus this small holds only the most likely token: sampling becomes greedy, with probability 1.
    assert all(math.isclose(lp, 0.0, abs_tol=1e-6) for lp in g.logprobs)
    assert g.token_ids == hf_agent.generate(["x"], max_new_tokens=10, temperature=0)[0][0].token_ids


def test_stop_string_cuts_text_and_tokens(hf_agent):
    tok = hf_agent.tokenizer
    base = hf_agent.generate(["s"], n=1, max_new_tokens=20, seed=4)[0][0]
    stop = base.text[5:7]
    g = hf_agent.generate(["s"], n=1, max_new_tokens=20, seed=4, stop=[stop])[0][0]
    assert g.finish_reason == "stop" and stop not in g.text and base.text.startswith(g.text)
    assert stop in tok.decode(g.token_ids) and stop not in tok.decode(g.token_ids[:-1])


def test_chat_template_option(micro_dir):
    from azr_agents.hf import HFAgent

    agent = HFAgent(micro_dir, device="cpu", chat_template=True)
    assert agent.format_prompt("hi") == "user: hi\nassistant: "
    assert agent.generate(["hi"], max_new_tokens=3)[0][0].prompt_token_ids == list(b"user: hi\nassistant: ")


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_generate_on_gpu_in_bfloat16(micro_dir):
    from azr_agents.hf import HFAgent

    agent = HFAgent(micro_dir, device="cuda", dtype="bfloat16")
    g = agent.generate(["hello"], n=2, max_new_tokens=8, seed=0)[0]
    assert len(g) == 2 and all(len(x.token_ids) == len(x.logprobs) for x in g)
