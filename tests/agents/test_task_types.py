"""A task type owns its knowledge (issue 11 item 4): registering one gives envs, scripted agents and training.

The toy type is one module (`toy_task.py`) plus the one `register_task_type` line below; the error type, a
registered plug-in, trains under `azr selfplay`.
"""

import json
import re

import gymnasium as gym
import pytest
import torch
from azr_agents.responses import propose_response, solve_response
from azr_agents.scripted import OracleAgent
from safetensors.torch import load_file

from azr_env.cli import main as azr
from azr_env.tasks.base import Task, TaskType
from azr_env.tasks.registry import _ENTRY_POINTS, _INSTANCES, get_task_type, register_task_type

TINY = ["--batch-per-type", "2", "--n-rollouts", "2", "--max-new-tokens", "16", "--seed-buffer-size", "1",
        "--eval-tasks", "4", "--eval-every", "1", "--mini-batch-size", "4", "--micro-batch-size", "4",
        "--progress", "none", "--workers", "1", "--threads", "1", "--report", "false", "--solver-batch-per-type",
        "2", "--lr", "1e-3"]


@pytest.fixture
def toy():
    register_task_type("toy", "toy_task:ToyTask")  # the one line
    try:
        yield get_task_type("toy")
    finally:
        _ENTRY_POINTS.pop("toy", None)
        _INSTANCES.pop("toy", None)
        for env_id in ("AZR-Toy-v0", "AZR-Propose-Toy-v0"):
            gym.registry.pop(env_id, None)
            __import__("azr_env").ENV_SPECS.pop(env_id, None)


def test_the_registry_returns_task_types_and_refuses_what_is_not_one():
    assert all(isinstance(get_task_type(n), TaskType) for n in ("deduction", "abduction", "induction", "error_type"))
    with pytest.raises(Exception, match="TaskType"):
        register_task_type("broken", object())


def test_a_toy_type_gets_envs_and_scripted_agents(toy):
    task = Task("toy", "def f(x):\n    return 3 * x + 1", ("5",), ("16",))
    env = gym.make("AZR-Propose-Toy-v0")
    env.reset(seed=0)
    _, reward, *_, info = env.step(propose_response(task))
    assert info["valid"] and info["task"]["outputs"] == ["16"] and reward == 1.0
    env.close()
    env = gym.make("AZR-Toy-v0", tasks=[task])
    prompt, _ = env.reset(seed=0)
    oracle = OracleAgent({prompt: (task, "solve")})
    _, reward, *_ = env.step(oracle.generate([prompt])[0][0].text)
    assert reward == 1.0
    env.close()


def _toy_sampler(prompts: list[str]) -> list[str]:
    """Proposes fresh inputs and answers the toy solver prompts right (the deduction eval prompts: no answer)."""
    out = []
    for i, prompt in enumerate(prompts):
        if "Toy proposer" in prompt:
            out.append(propose_response(Task("toy", "", (str(len(prompt) % 97 + i),), ("",))))
        elif match := re.search(r"Toy solver: .*Input: (-?\d+)\.", prompt):
            x = int(match.group(1))
            out.append(solve_response(Task("toy", "", (str(x),), (str(3 * x + 1),))))
        else:
            out.append("no idea")
    return out


def test_a_toy_type_trains_under_the_selfplay_trainer(toy, micro_dir, tmp_path):
    from azr_agents.config import load_config
    from azr_agents.trainer import main

    run = tmp_path / "run"
    config = load_config("cpu-micro", None, {"model": str(micro_dir), "run_dir": str(run), "task_types": "toy",
                                             "total_steps": 1, "report": False} | dict(zip(
                                                 [f[2:].replace("-", "_") for f in TINY[::2]], TINY[1::2])))
    main(config, sampler=_toy_sampler)
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["propose/toy/valid_rate"] == 1.0 and rows[-1]["solve/toy/accuracy"] == 1.0
    before, after = load_file(micro_dir / "model.safetensors"), load_file(run / "checkpoints" / "step-000000" /
                                                                           "model.safetensors")
    assert any(not torch.equal(before[k], after[k]) for k in before)


def test_error_type_trains_under_azr_selfplay(micro_dir, tmp_path):
    run = tmp_path / "run"
    code = azr(["selfplay", "--model", str(micro_dir), "--run-dir", str(run), "--task-types", "error_type",
                "--total-steps", "1", *TINY])
    assert code == 0
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 0 and "propose/error_type/valid_rate" in rows[-1]
    assert rows[-1]["buffer/error_type/size"] >= 1 and "solve/error_type/accuracy" in rows[-1]
