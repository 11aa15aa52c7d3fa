"""Procedural task generator: valid, deterministic AZR tasks with no model and no data (docs/envs.md)."""

from azr_env.generators.programs import FAMILIES, GeneratorConfig, Program, ProgramGenerator
from azr_env.generators.tasks import generate_tasks, generated_pool, generated_task, generated_tasks_at

__all__ = [
    "FAMILIES",
    "GeneratorConfig",
    "Program",
    "ProgramGenerator",
    "generate_tasks",
    "generated_pool",
    "generated_task",
    "generated_tasks_at",
]
