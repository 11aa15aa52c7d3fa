"""Preset command lines against OpenRLHF's real `train_ppo_ray` parser and argument checks (train environment).

`entry.check_args` runs OpenRLHF's own main block up to the point where it would start Ray, so every option
name, value type and choice, and every cross-option assertion OpenRLHF makes, is checked for every preset.
"""

from __future__ import annotations

import pytest

pytest.importorskip("openrlhf.utils.agent", reason="OpenRLHF is not installed in this interpreter; run "
                    "`make test-openrlhf` (it uses the training environment .venv-train)")

from azr_agents.openrlhf import entry, presets
from azr_agents.openrlhf.options import config_from_args

from azr_env.errors import ConfigError


def _argv(name: str, tmp_path, **kw) -> list[str]:
    opts = presets.LaunchOptions(output_dir=str(tmp_path / name), agent_file=entry.agent_func_path(), **kw)
    return presets.train_args(presets.get_preset(name), opts)


@pytest.fixture(scope="module")
def parser():
    return entry.openrlhf_parser()


def test_parser_is_openrlhfs_with_the_trr_choice(parser):
    estimator = parser._option_string_actions["--algo.advantage.estimator"]
    assert "trr++" in estimator.choices and "group_norm" in estimator.choices
    assert "--azr.n_rollouts" in parser._option_string_actions
    assert "--actor.model_name_or_path" in parser._option_string_actions  # OpenRLHF's own options are there


@pytest.mark.parametrize("name", list(presets.PRESETS))
def test_every_preset_passes_openrlhfs_parser_and_checks(name, parser, tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", "k")
    argv = _argv(name, tmp_path, wandb_project="azr", resume=True)
    parser.parse_args(argv)  # unknown names, bad types and bad choices exit here
    args = entry.check_args(argv)  # OpenRLHF's own cross-option assertions
    preset = presets.get_preset(name)
    assert args.algo.advantage.estimator == "trr++"
    assert args.critic.model_name_or_path is None  # no critic: OpenRLHF drops it for non-GAE estimators
    assert args.algo.kl.init_coef == 0 and args.reward.remote_url == ["agent"]
    assert args.train.agent_func_path.endswith("agents/openrlhf/agent_func.py")
    assert args.actor.num_nodes * args.actor.num_gpus_per_node == preset.gpus
    assert args.vllm.num_engines * args.vllm.tensor_parallel_size == preset.gpus
    cfg = config_from_args(args, ckpt_path=args.ckpt.path)
    assert cfg.samples_per_step == 384 and cfg.n_rollouts == 8 and cfg.steps == 500
    assert cfg.buffer_dir == f"{args.ckpt.path}/azr_buffers"
    assert cfg.round.max_new_tokens == 8096
    assert args.rollout.batch_size == 384  # derived from the --azr.* options


def test_misspelt_option_is_rejected_by_openrlhfs_parser(parser, tmp_path):
    with pytest.raises(SystemExit):
        parser.parse_args([*_argv("qwen2.5-coder-3b-1gpu", tmp_path), "--actor.lerning_rate", "1"])


def test_modes_the_azr_trainer_lacks_are_refused(tmp_path):
    with pytest.raises(ConfigError, match="async"):
        entry.check_args([*_argv("qwen2.5-coder-3b-2gpu", tmp_path), "--train.async_enable"])
    with pytest.raises(ConfigError, match="n_samples_per_prompt must be 1"):
        entry.check_args([*_argv("qwen2.5-coder-3b-2gpu", tmp_path), "--rollout.n_samples_per_prompt", "8"])


def test_defaults_fill_in_agent_and_estimator(tmp_path):
    args = entry.check_args(["--actor.model_name_or_path", "m", "--vllm.num_engines", "1",
                             "--actor.num_gpus_per_node", "1", "--ckpt.path", str(tmp_path / "ckpt")])
    assert args.algo.advantage.estimator == "trr++" and args.train.agent_func_path == entry.agent_func_path()


# ---- issue 14 item 1: steps that train nothing ------------------------------------------------------------------
def test_docs_override_gets_a_derived_rollout_batch_and_whole_optimizer_steps(tmp_path):
    """`--azr.batch_per_type 16` (the docs' override) makes 96 samples; OpenRLHF's replay buffer must plan for 96."""
    from azr_agents.openrlhf.batching import optimizer_steps

    argv = [*_argv("qwen2.5-coder-3b-1gpu", tmp_path), "--azr.batch_per_type", "16", "--train.batch_size", "32"]
    args = entry.check_args(argv)
    assert args.rollout.batch_size == 96 and args.rollout.vllm_generate_batch_size == 96
    assert optimizer_steps(96, args) == 3  # the preset's 384 would have planned 3 steps of 128 samples: 0 run


def test_batch_sizes_that_would_lose_samples_are_refused_with_the_fix(tmp_path):
    base = [*_argv("qwen2.5-coder-3b-1gpu", tmp_path), "--azr.batch_per_type", "16"]
    with pytest.raises(ConfigError, match=r"--train.batch_size 128 does not divide the 96 samples.*0 optimizer steps"
                                          r".*use --train.batch_size 96"):
        entry.check_args(base)  # the docs' example as it was: 0 optimizer steps per step
    with pytest.raises(ConfigError, match=r"--rollout.batch_size 384 does not match the 96 samples.*set it to 96"):
        entry.check_args([*base, "--rollout.batch_size", "384", "--train.batch_size", "32"])
    with pytest.raises(ConfigError, match=r"--rollout.batch_size 96 does not match the 384 samples"):
        entry.check_args([*_argv("qwen2.5-coder-3b-1gpu", tmp_path), "--rollout.batch_size", "96"])  # surplus


# ---- issue 14 item 2: stale tasks --------------------------------------------------------------------------------
def test_a_fresh_run_refuses_a_previous_runs_buffers_or_checkpoints(tmp_path):
    argv = _argv("qwen2.5-coder-3b-2gpu", tmp_path)
    ckpt = tmp_path / "qwen2.5-coder-3b-2gpu" / "ckpt"
    (ckpt / "azr_buffers").mkdir(parents=True)
    (ckpt / "azr_buffers" / "abduction.jsonl").write_text('{"t": 1}\n')
    with pytest.raises(ConfigError, match=r"previous run's task buffers \(abduction.jsonl\).*--ckpt.load_enable"):
        entry.check_args(argv)
    assert entry.check_args([*argv, "--ckpt.load_enable"]).ckpt.load_enable  # resuming is what they are for
    (ckpt / "azr_buffers" / "abduction.jsonl").unlink()
    (ckpt / "_actor").mkdir()
    with pytest.raises(ConfigError, match=r"previous run's checkpoints"):
        entry.check_args(argv)
    other = tmp_path / "elsewhere"
    (other / "deduction.jsonl").parent.mkdir()
    (other / "deduction.jsonl").write_text('{"t": 1}\n')
    with pytest.raises(ConfigError, match="elsewhere holds a previous run's task buffers"):
        entry.check_args([*_argv("qwen2.5-coder-7b-2gpu", tmp_path), "--azr.buffer_dir", str(other)])


# ---- issue 14 item 3: no quiet sandbox downgrade (head node; every node: test_openrlhf_preflight.py) -------------
def test_training_refuses_to_start_without_bubblewrap_unless_allowed(tmp_path, monkeypatch, capsys):
    from azr_env.sandbox import isolation

    monkeypatch.setattr(isolation, "bwrap_works", lambda: False)
    argv = _argv("qwen2.5-coder-3b-2gpu", tmp_path)
    with pytest.raises(ConfigError, match=r"bubblewrap is not usable on the head node.*--azr.allow_weak_sandbox 1"):
        entry.check_args(argv)
    cfg = config_from_args(entry.check_args([*argv, "--azr.allow_weak_sandbox", "1"]))
    assert cfg.allow_weak_sandbox and cfg.isolation == "auto"  # explicitly allowed: bubblewrap where it works
    monkeypatch.setattr(isolation, "bwrap_works", lambda: True)
    assert config_from_args(entry.check_args(argv)).isolation == "bwrap"  # the engines must use bubblewrap


# ---- issue 14 item 4: secrets in logs ----------------------------------------------------------------------------
PLANTED_KEY = "planted-wandb-key-0123456789abcdef"


def test_wandb_key_on_the_command_line_is_refused_without_echoing_it(tmp_path, monkeypatch):
    monkeypatch.setenv("WANDB_API_KEY", PLANTED_KEY)
    argv = [*_argv("qwen2.5-coder-3b-2gpu", tmp_path), "--logger.wandb.project", "p"]
    with pytest.raises(ConfigError, match="export WANDB_API_KEY") as err:
        entry.check_args([*argv, "--logger.wandb.key", PLANTED_KEY])
    assert PLANTED_KEY not in str(err.value)
    monkeypatch.delenv("WANDB_API_KEY")
    with pytest.raises(ConfigError, match="WANDB_API_KEY is not set"):
        entry.check_args([*argv, "--logger.wandb.key", "env:WANDB_API_KEY"])


def test_checked_job_and_its_printed_args_carry_no_key(tmp_path, monkeypatch, capfd):
    """The whole parsed argument set (what OpenRLHF's `strategy.print(args)` prints and W&B stores as the run
    config) and everything printed while checking hold the placeholder, never the planted key."""
    monkeypatch.setenv("WANDB_API_KEY", PLANTED_KEY)
    argv = _argv("qwen2.5-coder-3b-2gpu", tmp_path, wandb_project="azr")
    args = entry.check_args(argv)
    entry.main(["--check", *argv])
    print(args)  # as OpenRLHF's train() does
    out, err = capfd.readouterr()
    assert "env:WANDB_API_KEY" in out and args.logger.wandb.key == "env:WANDB_API_KEY"
    assert PLANTED_KEY not in out + err + repr(vars(args)) + " ".join(argv)


def test_hooks_make_openrlhfs_train_build_the_azr_trainer():
    import openrlhf.trainer.ppo_trainer as ppo_trainer
    from azr_agents.openrlhf.trainer import AZRTrainer

    original = ppo_trainer.PPOTrainer
    with entry.azr_hooks():
        from openrlhf.trainer.ppo_trainer import PPOTrainer  # what train_ppo_ray.train() imports

        assert PPOTrainer is AZRTrainer
    assert ppo_trainer.PPOTrainer is original


def test_check_mode_prints_the_azr_config(tmp_path, capsys):
    entry.main(["--check", *_argv("qwen2.5-coder-3b-1gpu", tmp_path), "--azr.steps", "7"])
    out = capsys.readouterr().out
    assert "OpenRLHFSelfPlayConfig(steps=7" in out and "batch_per_type=64" in out
