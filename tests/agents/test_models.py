"""Backend selection (agents/models.py) and the vLLM backend's missing-dependency message."""

import importlib.util

import pytest
from azr_agents.models import make_agent, resolve_model
from azr_agents.scripted import OracleAgent, RandomAgent

from azr_env.errors import ConfigError, MissingDependencyError


def test_make_agent_by_name(micro_dir):
    assert isinstance(make_agent("random", seed=1), RandomAgent)
    assert isinstance(make_agent("oracle"), OracleAgent)
    assert make_agent("hf", str(micro_dir), device="cpu").device.type == "cpu"
    with pytest.raises(ConfigError, match="known: hf"):
        make_agent("tgi")
    with pytest.raises(ConfigError, match="base_url"):
        make_agent("openai", "m")


def test_missing_model_folder_is_named(tmp_path):
    with pytest.raises(ConfigError, match="no hub downloads"):
        resolve_model(str(tmp_path / "nope"))


@pytest.mark.skipif(importlib.util.find_spec("vllm") is not None, reason="vllm is installed")
def test_vllm_backend_says_which_extra_to_install():
    from azr_agents.vllm_backend import VLLMAgent

    with pytest.raises(MissingDependencyError, match=r"azr-env\[vllm\]"):
        VLLMAgent("whatever")
