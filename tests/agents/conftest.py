"""Shared fixtures: a randomly initialised micro model folder, built once per test session (seconds)."""

import pytest


@pytest.fixture(scope="session")
def micro_dir(tmp_path_factory):
    import torch
    from azr_agents.micro import MicroModelConfig, build_micro_model

    torch.set_num_threads(1)
    return build_micro_model(tmp_path_factory.mktemp("micro"), MicroModelConfig(num_layers=2, hidden_size=64,
                                                                                intermediate_size=128))


@pytest.fixture(scope="session")
def hf_agent(micro_dir):
    from azr_agents.hf import HFAgent

    return HFAgent(micro_dir, device="cpu", batch_size=8)
