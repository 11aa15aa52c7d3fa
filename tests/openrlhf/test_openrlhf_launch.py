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
def test_every_preset_passes_openrlhfs_parser_and_checks(name, parser, tmp_path):
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
                             "--actor.num_gpus_per_node", "1", "--rollout.batch_size", "8"])
    assert args.algo.advantage.estimator == "trr++" and args.train.agent_func_path == entry.agent_func_path()


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
    assert "SelfPlayConfig(steps=7" in out and "batch_per_type=64" in out
