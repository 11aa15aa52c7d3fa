"""The micro model recipe (agents/micro.py, agents/micro_tasks.py, agents/pretrain.py)."""

import json
import random
import re

import pytest
from azr_agents.micro import build_byte_tokenizer
from azr_agents.micro_tasks import heldout_deduction_tasks, micro_task_config, micro_tasks
from azr_agents.pretrain import ROLE_TYPES, PretrainConfig, TaskMix, pretrain_micro, transcript

from azr_env.errors import ConfigError
from azr_env.rounds import Referee, RoundConfig

FORMAT = re.compile(r"<think>.*?</think>\s*<answer>.*?</answer>", re.DOTALL)


def test_byte_tokenizer_round_trips_any_text():
    plain = build_byte_tokenizer()
    text = "déf f(a):\n    return '✓' * 3\x00"
    assert len(plain) == 259 and plain.decode(plain(text)["input_ids"]) == text
    assert plain("ab")["input_ids"] == [97, 98]
    rng = random.Random(0)
    corpus = [x for _ in range(50) for rt in ROLE_TYPES for x in transcript(*rt, rng)]
    bpe = build_byte_tokenizer(corpus, vocab_size=300)
    ids = bpe(corpus[3])["input_ids"]
    assert bpe.decode(ids) == corpus[3] and len(ids) < len(corpus[3].encode())
    assert all(not (len(bpe.decode([i])) > 1 and any(c.isdigit() for c in bpe.decode([i]))) for i in ids)


def test_transcripts_are_what_the_envs_accept():
    """Every gold transcript is well formatted, scored correct (solve) or valid (propose) by the referee."""
    rng = random.Random(1)
    cfg = micro_task_config()
    with Referee(RoundConfig(task=cfg, workers=1)) as ref:
        for task_type in ("deduction", "abduction", "induction"):
            tasks = micro_tasks(task_type, 5, rng, cfg.induction_num_inputs)
            from azr_agents.responses import propose_response, solve_response

            assert all(s.correct for s in ref.score(tasks, [solve_response(t) for t in tasks]))
            refs = tasks[:1] if task_type == "induction" else []
            results = ref.validate([(task_type, propose_response(t), refs or [t]) for t in tasks[:3]])
            assert all(r.valid for r in results), [r.detail for r in results]
    for role, task_type in ROLE_TYPES:
        prompt, response = transcript(role, task_type, rng)
        assert prompt.endswith("Assistant: <think>") and FORMAT.match("<think>" + response)


def test_heldout_set_is_fixed_and_mixes_generator_tasks():
    cfg = micro_task_config()
    with Referee(RoundConfig(task=cfg, workers=1)) as ref:
        a = heldout_deduction_tasks(8, referee=ref)
        b = heldout_deduction_tasks(8, referee=ref)
    assert a == b and len(a) == 8
    assert sum(t.source.startswith("generator") for t in a) == 4


def test_pretrain_writes_a_loadable_model(tmp_path):
    from azr_agents.hf import HFAgent
    from azr_agents.micro import MicroModelConfig

    out = tmp_path / "m"
    config = PretrainConfig(out_dir=str(out), max_steps=2, batch_size=4, generator_share=0.5, generator_pool=8,
                            architecture=MicroModelConfig(num_layers=1, hidden_size=32, intermediate_size=64),
                            threads=1)
    pretrain_micro(config, log=lambda s: None)
    info = json.loads((out / "azr_micro.json").read_text())
    assert info["pretrained"] and info["steps"] == 2 and not (tmp_path / "m.partial").exists()
    assert len(HFAgent(out, device="cpu").generate(["x"], max_new_tokens=3)[0]) == 1
    mix = TaskMix({"deduction": micro_tasks("deduction", 2, random.Random(0))}, 1.0)
    assert mix("deduction", random.Random(0)) in mix.pools["deduction"]


def test_pretrain_config_checks():
    with pytest.raises(ConfigError, match="mix"):
        PretrainConfig(out_dir="x", mix=(1.0,))
    with pytest.raises(ConfigError, match="generator_share"):
        PretrainConfig(out_dir="x", generator_share=2)
