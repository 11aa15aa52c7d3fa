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
    with pytest.raises(ConfigError, match="lazy_share"):
        PretrainConfig(out_dir="x", lazy_share=1.0)


def test_habit_answers_are_well_formed_and_usually_wrong():
    """The planted habit (cpu-micro-habit): a parseable answer that the referee marks wrong unless it fits."""
    from azr_agents.pretrain import lazy_response

    from azr_env.tasks.base import Task

    cfg = micro_task_config()
    rng = random.Random(3)
    identity = Task("deduction", "def f(a):\n    return a", ("0",), ("0",))
    with Referee(RoundConfig(task=cfg, workers=1)) as ref:
        for task_type in ("deduction", "abduction", "induction"):
            tasks = micro_tasks(task_type, 12, rng, cfg.induction_num_inputs)
            scored = ref.score(tasks, [lazy_response(t) for t in tasks])
            assert all(s.format_ok for s in scored), [s.reason for s in scored]
            assert sum(s.correct for s in scored) < len(tasks) / 2
        assert ref.score([identity], [lazy_response(identity)])[0].correct
    share = [transcript("solve", "deduction", random.Random(i), cfg, None, 0.5)[1] for i in range(200)]
    assert 60 < sum("```output\n0\n```" in r for r in share) < 140


def test_pretrain_continues_from_a_model_folder(tmp_path):
    """`init_from` keeps the base model's tokenizer and architecture and changes its weights."""
    from azr_agents.micro import MicroModelConfig
    from safetensors.torch import load_file

    small = MicroModelConfig(num_layers=1, hidden_size=32, intermediate_size=64)
    base = pretrain_micro(PretrainConfig(out_dir=str(tmp_path / "base"), max_steps=1, batch_size=4,
                                         generator_share=0, architecture=small, threads=1), log=lambda s: None)
    tuned = pretrain_micro(PretrainConfig(out_dir=str(tmp_path / "tuned"), init_from=str(base), lazy_share=0.5,
                                          max_steps=2, batch_size=4, generator_share=0, threads=1),
                           log=lambda s: None)
    assert (tuned / "tokenizer.json").read_text() == (base / "tokenizer.json").read_text()
    info = json.loads((tuned / "azr_micro.json").read_text())
    assert info["architecture"]["hidden_size"] == 32 and info["recipe"]["lazy_share"] == 0.5
    before, after = load_file(base / "model.safetensors"), load_file(tuned / "model.safetensors")
    assert before.keys() == after.keys() and any((before[k] != after[k]).any() for k in before)
