"""The proposer-prompt cap counts the policy's tokens, as the reference, and characters only without a tokenizer
(issue 12 item 5). A small BPE is trained here: cpu-micro's tokenizer is one token per byte and cannot tell the
two apart."""

from __future__ import annotations

import numpy as np
import pytest
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from azr_env.buffer import BufferSet
from azr_env.envs.propose import AZRProposeEnv
from azr_env.errors import ConfigError
from azr_env.rounds import Referee, RoundConfig
from azr_env.tasks import Task
from azr_env.tokens import PromptLength


def _program(seed: int) -> str:
    """A ~800-character program, like the released seeds' longer ones."""
    lines = [f"def f(values, limit={seed}):", "    result = []", "    total = 0"]
    for i in range(12):
        lines.append(f"    for index_{i}, item_{i} in enumerate(values):")
        lines.append(f"        total += (item_{i} * {i + seed}) % (limit + {i + 1})")
    lines.append("    return [total, len(result)]")
    return "\n".join(lines)


TASKS = [Task("deduction", _program(s), (f"[{s}, 2, 3]",), (f"[{s}, 0]",)) for s in range(12)]


@pytest.fixture(scope="module")
def bpe():
    tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=600, special_tokens=["[UNK]"],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())  # fmt: skip
    corpus = [t.program for t in TASKS] * 4 + [Referee(RoundConfig()).solver_prompt(TASKS[0])] * 4
    tokenizer.train_from_iterator(corpus, trainer)
    return tokenizer


def _buffers() -> BufferSet:
    buffers = BufferSet(("deduction", "abduction", "induction"), seed_zero=False)
    for task in TASKS:
        buffers.add(task, -1)
    return buffers


def test_prompt_length_counts_tokens_of_each_kind_of_tokenizer(bpe):
    text = _program(3)
    ids = bpe.encode(text).ids
    assert 0 < len(ids) < len(text) / 2  # code is several characters per token
    assert PromptLength(bpe)(text) == len(ids) and PromptLength(bpe).unit == "tokens"
    assert PromptLength(lambda t: {"input_ids": bpe.encode(t).ids})(text) == len(ids)  # Hugging Face style
    assert PromptLength(None)(text) == len(text) and PromptLength(None).unit == "characters"
    with pytest.raises(ConfigError, match="neither callable"):
        PromptLength(42)


def test_k6_prompt_of_long_programs_fits_5600_tokens_but_not_5600_characters(bpe):
    rng = np.random.default_rng(0)
    with Referee(RoundConfig(), tokenizer=bpe) as by_tokens, Referee(RoundConfig()) as by_chars:
        in_tokens = by_tokens.proposer_prompt(_buffers(), "deduction", rng)
        in_chars = by_chars.proposer_prompt(_buffers(), "deduction", rng)
    assert len(in_tokens.references) == 6 and in_tokens.length_unit == "tokens"
    assert len(in_tokens.prompt) > 5600 >= len(bpe.encode(in_tokens.prompt).ids)
    assert len(in_chars.references) < 6 and len(in_chars.prompt) <= 5600 and in_chars.length_unit == "characters"


def test_token_cap_still_redraws_over_max_prompt_tokens(bpe):
    from azr_env.tasks import TaskConfig

    config = RoundConfig(task=TaskConfig(max_prompt_tokens=1500))
    with Referee(config, tokenizer=bpe) as referee:
        prompt = referee.proposer_prompt(_buffers(), "deduction", np.random.default_rng(1))
    assert len(bpe.encode(prompt.prompt).ids) <= 1500 and 1 <= len(prompt.references) < 6


def test_propose_env_takes_a_tokenizer_and_says_what_it_counted(bpe):
    with_tokens = AZRProposeEnv("deduction", buffers=_buffers(), tokenizer=bpe)
    without = AZRProposeEnv("deduction", buffers=_buffers())
    try:
        _, info = with_tokens.reset(seed=0)
        assert info["prompt_length_unit"] == "tokens" and len(info["references"]) == 6
        _, info = without.reset(seed=0)
        assert info["prompt_length_unit"] == "characters" and len(info["references"]) < 6
    finally:
        with_tokens.close()
        without.close()


def test_openrlhf_selfplay_takes_the_policy_tokenizer_and_seed_files(bpe, tmp_path):
    import json

    from azr_agents.openrlhf.options import OpenRLHFSelfPlayConfig
    from azr_agents.openrlhf.selfplay import SelfPlay

    play = SelfPlay(OpenRLHFSelfPlayConfig(), rollout=lambda *args: [], tokenizer=bpe)
    assert play.referee.prompt_length.unit == "tokens"
    for task in TASKS:
        play.buffers.add(task, -1)
    prompt = play.referee.proposer_prompt(play.buffers, "deduction", np.random.default_rng(0))
    assert len(prompt.references) == 6 and prompt.length_unit == "tokens"
    seeds = tmp_path / "m_seed_io.jsonl"
    seeds.write_text(json.dumps({"snippet": "def f(a):\n    return a + 1", "input": "1", "output": "2",
                                 "imports": []}) + "\n")
    assert "1 rows -> 1 abduction, 1 deduction" in play.load_seed_files([str(seeds)], limit=256)
    assert any(t.source == "seed_file:m_seed_io.jsonl" for t in play.buffers["abduction"])


def test_multiagent_env_takes_a_tokenizer(bpe):
    pytest.importorskip("pettingzoo", reason="the multiagent extra is not installed")
    from azr_env.envs.multiagent import parallel_env

    env = parallel_env(task_types=("deduction",), buffers=_buffers(), tokenizer=bpe)
    try:
        observations, _ = env.reset(seed=0)
        assert env.core.referee.prompt_length.unit == "tokens"
        assert observations["proposer"].count("def f(values, limit=") == 6  # K=6 long programs fit 5600 tokens
    finally:
        env.close()
