"""Proposer-role envs: `AZR-Propose-Deduction-v0`, `-Abduction-v0`, `-Induction-v0` (and `-ErrorType-v0`).

## Episode
One step. `reset()` draws K reference tasks from the env's buffers (SPEC §5: K=6 uniformly without
replacement, re-drawn when the prompt passes 5600 characters; induction shows one program from the deduction
and abduction buffers) and returns the proposer prompt; `step(response)` validates the proposed task (SPEC §3)
and ends the episode. Valid tasks enter the buffer, so later prompts can show them. With `continuing=True` each
step validates the proposal and returns the next proposer prompt (`truncated` after `max_tasks` proposals; no
terminal state between proposals, so use γ = 0).

## Reward (SPEC §4)
Invalid or badly formatted: −1. Valid, without a `solver`: `validity_only_reward` (1). Valid, with a
`solver` (a callable `list[str] -> list[str]` or an `azr_agents.Agent`): learnability `1 − p` from
`n_rollouts` (8) solver answers, or `zero_learnability_reward` (−0.5) when p is 0 or 1.

## Info
`task_type`, `role` ("propose"), `references` (dicts), `prompt_length_unit` at reset ("tokens" when a tokenizer
was given, else "characters": what the 5600 cap on the prompt counted); after a step also `format_ok`, `valid`,
`reason`, `detail`, `task` (dict or None), `solve_rate` (None without a solver), `added` (entered the buffer), `reward`.

## Arguments
`task_type`, `solver`, `config` (`RoundConfig`), `buffers` (`BufferSet` to share), `buffer_dir` (persist and
resume as JSONL), `referee`, `render_mode`, `continuing`, `max_tasks`, `tokenizer` (the policy's: the proposer
prompt is capped at `max_prompt_tokens` of it, as the reference; without one, `max_prompt_chars` characters).
"""

from __future__ import annotations

from typing import Any

from gymnasium.error import ResetNeeded

from azr_env.buffer import BufferSet
from azr_env.envs.common import AZRBaseEnv, as_text, clean_info
from azr_env.errors import ConfigError
from azr_env.tasks import get_task_type
from azr_env.tasks.registry import AZR_TASK_TYPES


def default_buffers(task_type: str, buffer_dir: Any = None) -> BufferSet:
    """Buffers for `task_type` and every type its references come from (all seeded with the zero task)."""
    kind = get_task_type(task_type)
    names = list(dict.fromkeys([*AZR_TASK_TYPES, kind.name, *kind.reference_types]))
    return BufferSet(names, buffer_dir)


class AZRProposeEnv(AZRBaseEnv):
    __doc__ = __doc__

    def __init__(
        self,
        task_type: str = "deduction",
        solver: Any = None,
        config: Any = None,
        *,
        buffers: BufferSet | None = None,
        buffer_dir: Any = None,
        referee: Any = None,
        render_mode: str | None = None,
        continuing: bool = False,
        max_tasks: int = 256,
        tokenizer: Any = None,
    ):
        super().__init__(config, referee, render_mode, tokenizer)
        kind = get_task_type(task_type)
        if not isinstance(max_tasks, int) or max_tasks < 1:
            raise ConfigError(f"max_tasks={max_tasks!r}; must be an int >= 1")
        self.continuing, self.max_tasks, self.tasks_done = bool(continuing), max_tasks, 0
        self.task_type = kind.name
        if buffers is not None and buffer_dir is not None:
            raise ConfigError("pass either buffers= or buffer_dir=, not both")
        self.buffers = buffers if buffers is not None else default_buffers(self.task_type, buffer_dir)
        for name in [self.task_type, *kind.reference_types]:
            if name not in self.buffers:
                raise ConfigError(f"buffers lack a {name!r} buffer, which AZR-Propose-{self.task_type} needs")
        self.solver = solver
        self.steps = 0
        self._prompt = None

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)
        self.tasks_done = 0
        return self._start()

    def _start(self) -> tuple[str, dict]:
        self._prompt = self.referee.proposer_prompt(self.buffers, self.task_type, self.np_random)
        info = {"task_type": self.task_type, "role": "propose",
                "references": [t.to_dict() for t in self._prompt.references],
                "prompt_length_unit": self._prompt.length_unit}  # fmt: skip
        info = clean_info(info)
        self._record(self._prompt.prompt, "", info)
        return self._prompt.prompt, info

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        if self._prompt is None:
            raise ResetNeeded("call reset() before step(); each episode is a single step")
        prompt, self._prompt = self._prompt, None
        response = as_text(action)
        [result] = self.referee.validate([(self.task_type, response, prompt.references)])
        added, rate = False, None
        if result.valid and result.task is not None:
            added = self.buffers.add(result.task, step=self.steps)
            if self.solver is not None:
                [rate] = self.referee.solve_rates([result.task], self.solver)
        [reward] = self.referee.proposer_rewards([result], [rate])
        self.steps += 1
        info = {
            "task_type": self.task_type,
            "role": "propose",
            "references": [t.to_dict() for t in prompt.references],
            "format_ok": result.format_ok,
            "valid": result.valid,
            "reason": result.reason,
            "detail": result.detail,
            "task": result.task.to_dict() if result.task else None,
            "solve_rate": rate,
            "added": added,
            "reward": reward,
        }
        info = clean_info(info)
        self._record(prompt.prompt, response, info)
        if not self.continuing:
            return prompt.prompt, float(reward), True, False, info
        self.tasks_done += 1
        info["tasks_done"] = self.tasks_done
        if self.tasks_done >= self.max_tasks:
            return prompt.prompt, float(reward), False, True, info
        next_prompt, _ = self._start()
        return next_prompt, float(reward), False, False, info
