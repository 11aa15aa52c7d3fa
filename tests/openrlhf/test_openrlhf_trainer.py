"""The AZR trainer (agents/openrlhf/trainer.py) inside OpenRLHF's own trainer loop, on CPU.

`_AZRTrainer` is OpenRLHF's `BasePPOTrainer` subclass that `train_ppo_ray` builds as a Ray actor. Here it is
built in-process from args that passed OpenRLHF's real parser and checks, with OpenRLHF's real
`DeepspeedStrategy` object, tokenizer loading, `SamplesGenerator` dispatch, experience maker, `train_step`,
TensorBoard logger and checkpoint bookkeeping. Stand-ins (tests/openrlhf/openrlhf_engines.py) replace only
the two things that need CUDA: the vLLM engine actor and the DeepSpeed policy actor group.
"""

from __future__ import annotations

import json

import pytest
import torch

pytest.importorskip("openrlhf.utils.agent", reason="OpenRLHF is not installed in this interpreter; run "
                    "`make test-openrlhf` (it uses the training environment .venv-train)")

from azr_agents.openrlhf import entry, labels
from azr_agents.openrlhf.trainer import AZRTrainer, _AZRTrainer
from openrlhf.utils.utils import get_strategy
from openrlhf_engines import ActorGroup, EngineActor, Oracle

from azr_env.errors import ConfigError


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from azr_agents.micro import MicroModelConfig, build_micro_model

    return build_micro_model(tmp_path_factory.mktemp("micro"), MicroModelConfig(num_layers=1, hidden_size=32,
                                                                                intermediate_size=64))


def _trainer(model_dir, tmp_path, *extra: str):
    args = entry.check_args([
        "--actor.model_name_or_path", str(model_dir), "--actor.num_gpus_per_node", "1", "--vllm.num_engines", "1",
        "--rollout.batch_size", "12", "--train.batch_size", "12", "--rollout.micro_batch_size", "4",
        "--rollout.max_new_tokens", "1024", "--data.max_len", "8192", "--algo.kl.init_coef", "0",
        "--ckpt.path", str(tmp_path / "ckpt"), "--ckpt.save_steps", "1", "--logger.tensorboard_dir",
        str(tmp_path / "tb"), "--azr.steps", "2", "--azr.batch_per_type", "2", "--azr.n_rollouts", "2",
        "--azr.seed_tasks_per_type", "2", "--azr.exec_workers", "2", "--azr.exec_memory_mb", "512",
        "--azr.exec_timeout_s", "5", *extra,
    ])  # fmt: skip
    from openrlhf.utils.utils import get_tokenizer

    tokenizer = get_tokenizer(str(model_dir), None, "left", None)
    oracle = Oracle()
    engine = EngineActor(args.train.agent_func_path, tokenizer, oracle)
    actor = ActorGroup()
    trainer = _AZRTrainer(str(model_dir), get_strategy(args), actor, None, None, None, [engine],
                          do_sample=True, max_len=args.data.max_len, max_new_tokens=args.rollout.max_new_tokens,
                          temperature=1.0, top_p=1.0)  # fmt: skip
    return trainer, engine, actor, oracle


def test_trainer_is_a_ray_actor_class_with_openrlhfs_constructor():
    assert hasattr(AZRTrainer, "remote") and hasattr(AZRTrainer, "options")


DYNAMIC = ("--ds.packing_samples", "--train.dynamic_batch_enable", "--train.max_tokens_per_gpu", "4096",
           "--rollout.max_tokens_per_gpu", "8192")


@pytest.mark.parametrize("batching", [(), DYNAMIC], ids=["micro-batches", "dynamic-batches-as-in-presets"])
def test_fit_runs_seeding_and_steps_through_openrlhfs_loop(ray_local, model_dir, tmp_path, batching):
    trainer, _, actor, oracle = _trainer(model_dir, tmp_path, *batching)
    assert trainer.get_max_steps() == 2  # 12 samples per step / train batch 12, two steps
    trainer.fit()
    # Two PPO updates, each followed by a weight broadcast and a checkpoint (save_steps 1).
    assert actor.calls.count("fit") == 2 and actor.calls.count("broadcast_to_vllm") == 2
    assert actor.calls.count("save_checkpoint") == 2
    trained = actor.appended
    assert sum(len(exp.sequences) for exp in trained) == 2 * 12  # two steps of 2 roles x 3 types x 2 prompts
    for exp in trained:  # OpenRLHF's per-sample info tensors line up with the samples
        assert all(len(v) == len(exp.sequences) for v in exp.info.values() if isinstance(v, torch.Tensor))
    gids = {int(g) for exp in trained for g in exp.info[labels.GROUP_KEY]}
    assert gids == set(labels.default_group_ids())
    assert all(exp.advantages is not None and exp.advantages.shape == exp.action_mask.shape for exp in trained)
    buffers = trainer.selfplay.buffers.counts()
    assert min(buffers.values()) >= 2 and (tmp_path / "ckpt" / "azr_buffers" / "deduction.jsonl").exists()
    assert list((tmp_path / "tb").rglob("events.out.tfevents*"))  # OpenRLHF's TensorBoard logger wrote
    assert oracle.proposals > 0


def test_vllm_sleeps_around_generation_when_colocated(ray_local, model_dir, tmp_path):
    trainer, engine, actor, _ = _trainer(model_dir, tmp_path, "--train.colocate_all", "--vllm.enable_sleep",
                                         "--azr.steps", "1", "--azr.seed_tasks_per_type", "0")  # fmt: skip
    engine.awake = False  # OpenRLHF puts colocated engines to sleep right after creating them
    trainer.fit()
    assert engine.calls[:2] == ["wake_up", "sleep"] and engine.asleep_generations == 0
    roles = {json.loads(label)["role"] for exp in actor.appended for label in exp.labels}
    assert roles == {"propose", "solve"}


def _record_status(trainer) -> list[dict]:
    """The status dicts `fit` hands to OpenRLHF's logging (W&B, TensorBoard) each step."""
    seen, real = [], trainer.save_logs_and_checkpoints

    def save(global_step, status=None, client_states=None):
        seen.append(dict(status))
        return real(global_step, status, client_states)

    trainer.save_logs_and_checkpoints = save
    return seen


# ---- issue 14 item 1: optimizer steps are logged, and zero is an error --------------------------------------------
def test_each_step_logs_its_optimizer_steps_and_zero_is_refused(ray_local, model_dir, tmp_path):
    trainer, _, actor, _ = _trainer(model_dir, tmp_path, "--azr.steps", "1", "--azr.seed_tasks_per_type", "0",
                                    "--train.batch_size", "6")  # fmt: skip
    seen = _record_status(trainer)
    trainer.fit()
    assert seen[0]["azr/optimizer_steps"] == 2 and seen[0]["azr/samples"] == 12  # 12 samples / 6 per step

    trainer, _, actor, _ = _trainer(model_dir, tmp_path / "b", "--azr.steps", "1", "--azr.seed_tasks_per_type", "0")
    trainer.args.train.batch_size = 24  # as if a short step met a larger training batch: OpenRLHF would run 0
    with pytest.raises(ConfigError, match=r"12 samples make 0 optimizer steps with --train.batch_size 24"):
        trainer.fit()
    assert "fit" not in actor.calls  # refused before the update, not after a silent no-op


# ---- issue 14 item 2: stale tasks ------------------------------------------------------------------------------------
def test_trainer_refuses_a_previous_runs_buffers_unless_resuming(ray_local, model_dir, tmp_path):
    """Checked again in the trainer actor: it reads buffers from its own node's disk."""
    trainer, *_ = _trainer(model_dir, tmp_path, "--azr.steps", "1", "--azr.seed_tasks_per_type", "2")
    trainer.fit()
    assert (tmp_path / "ckpt" / "azr_buffers" / "deduction.jsonl").stat().st_size > 0
    trainer.args.ckpt.load_enable = False
    with pytest.raises(ConfigError, match="previous run's task buffers"):
        _AZRTrainer.__init__(trainer, str(model_dir), trainer.strategy, trainer.actor_model_group, None, None, None,
                             trainer.vllm_engines, **trainer.generate_kwargs)  # fmt: skip


# ---- issue 14 item 3: the engines must use the full sandbox -------------------------------------------------------
def test_engine_labels_require_bubblewrap_unless_the_weak_sandbox_is_allowed(ray_local, model_dir, tmp_path):
    trainer, engine, _, _ = _trainer(model_dir, tmp_path, "--azr.steps", "1", "--azr.seed_tasks_per_type", "0")
    trainer.fit()
    assert {labels.isolation_of(row) for row in engine.rows.values()} == {"bwrap"}
    trainer, engine, _actor, _ = _trainer(model_dir, tmp_path / "b", "--azr.steps", "1",
                                         "--azr.seed_tasks_per_type", "0", "--azr.allow_weak_sandbox", "1")
    trainer.fit()
    assert {labels.isolation_of(row) for row in engine.rows.values()} == {"auto"}


# ---- issue 14 item 7: one exception must not end the run -------------------------------------------------------------
def test_fit_survives_agent_errors_and_counts_them(ray_local, model_dir, tmp_path, monkeypatch):
    from azr_agents.openrlhf import bridge

    calls = {"n": 0}
    real_score = bridge.AsyncReferee.score

    async def flaky_score(self, task, response, *, mode="train"):
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            raise RuntimeError("flaky scorer")
        return await real_score(self, task, response, mode=mode)

    monkeypatch.setattr(bridge.AsyncReferee, "score", flaky_score)
    trainer, _engine, actor, _ = _trainer(model_dir, tmp_path)
    seen = _record_status(trainer)
    trainer.fit()
    assert actor.calls.count("fit") == 2 and sum(s["azr/agent_errors"] for s in seen) >= 1
    errors = [json.loads(label)["outcome"] for exp in actor.appended for label in exp.labels
              if json.loads(label)["outcome"].get("reason") == "agent_error"]  # fmt: skip
    assert errors and all("flaky scorer" in e["detail"] for e in errors)


def test_vllm_goes_back_to_sleep_when_a_step_raises(ray_local, model_dir, tmp_path, monkeypatch):
    trainer, engine, _actor, _ = _trainer(model_dir, tmp_path, "--train.colocate_all", "--vllm.enable_sleep",
                                         "--azr.steps", "1", "--azr.seed_tasks_per_type", "0")  # fmt: skip

    def broken_step(step):
        raise RuntimeError("step failed")

    monkeypatch.setattr(trainer.selfplay, "step", broken_step)
    with pytest.raises(RuntimeError, match="step failed"):
        trainer.fit()
    assert engine.calls == ["wake_up", "sleep"] and not engine.awake


# ---- issue 14 item 9: HF checkpoints are rotated ------------------------------------------------------------------
def test_hf_checkpoints_are_rotated_like_deepspeeds(ray_local, model_dir, tmp_path):
    from azr_agents.openrlhf.trainer import rotate_hf_checkpoints

    ckpt = tmp_path / "ckpt"
    for step in (1, 2, 10):
        (ckpt / f"global_step{step}_hf").mkdir(parents=True)
    (ckpt / "global_stepX_hf").mkdir()
    (ckpt / "_actor").mkdir()
    assert rotate_hf_checkpoints(str(ckpt), 2) == [str(ckpt / "global_step1_hf")]
    assert sorted(p.name for p in ckpt.iterdir()) == ["_actor", "global_step10_hf", "global_step2_hf",
                                                      "global_stepX_hf"]  # fmt: skip
    trainer, *_ = _trainer(model_dir, tmp_path / "run", "--ckpt.save_hf", "--ckpt.max_num", "1",
                           "--azr.seed_tasks_per_type", "0")  # fmt: skip
    run_ckpt = tmp_path / "run" / "ckpt"
    real = trainer.save_logs_and_checkpoints

    def save_with_hf(global_step, status=None, client_states=None):  # what the DeepSpeed actor writes
        real(global_step, status, client_states)
        (run_ckpt / f"global_step{global_step}_hf").mkdir(parents=True)

    trainer.save_logs_and_checkpoints = save_with_hf
    trainer.fit()
    assert sorted(p.name for p in run_ckpt.glob("*_hf")) == ["global_step2_hf"]


# ---- issue 14 item 4: secrets in logs ------------------------------------------------------------------------------
@pytest.mark.slow
def test_wandb_gets_the_key_from_the_environment_and_no_log_holds_it(ray_local, model_dir, tmp_path, monkeypatch,
                                                                      capfd, caplog):  # fmt: skip
    """OpenRLHF's real WandbLogger (W&B offline): it logs in from $WANDB_API_KEY, never with the placeholder, and
    neither the run config W&B stores, nor TensorBoard, checkpoints or anything printed holds the planted key."""
    import wandb

    key = "planted-wandb-key-0123456789abcdef"
    monkeypatch.setenv("WANDB_API_KEY", key)
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    logins = []
    monkeypatch.setattr(wandb, "login", lambda *a, **k: logins.append((a, k)))
    trainer, *_ = _trainer(model_dir, tmp_path, "--azr.steps", "1", "--azr.seed_tasks_per_type", "0",
                           "--logger.wandb.key", "env:WANDB_API_KEY", "--logger.wandb.project", "azr")  # fmt: skip
    assert trainer.wandb_logger is not None
    trainer.fit()
    assert logins == []
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any("wandb" in p.parts for p in written)
    out, err = capfd.readouterr()
    assert key not in out + err + caplog.text
    assert not [p for p in written if key.encode() in p.read_bytes()]
