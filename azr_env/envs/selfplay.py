"""`AZR-SelfPlay-v0`: one policy proposes a task, then solves it `n_rollouts` times (SPEC §4).

The episode plays the stages of the one self-play step (`azr_env.step`: `admit`, `solve_rates`, then
`Referee.proposer_rewards`) one env step at a time.

## Episode
1. `reset()` picks a task type (uniformly from `task_types`, with the env's RNG) and returns the proposer
   prompt (`info["role"] == "propose"`).
2. `step(proposal)`: an invalid proposal ends the episode with reward −1. A valid one enters the buffer, the
   step's reward is 0 and the observation becomes the task's solver prompt (`info["next_role"]` says which
   role acts next: "solve", or None when the episode is over).
3. `n_rollouts` `step(answer)` calls follow, each rewarded as a solver answer (1 / −0.5 / −1).

## Delayed proposer reward
The proposer's reward depends on all `n_rollouts` answers (learnability `1 − p`), so it is delivered on the
episode's last step as `info["proposer_reward"]` (also present, −1, when an invalid proposal ends the episode).
The scalar reward of every step belongs to the role that acted in it (`info["role"]`).

## Arguments
`task_types` (default deduction, abduction, induction), `n_rollouts` (default `config.n_rollouts`, 8),
`config`, `buffers`, `buffer_dir`, `referee`, `render_mode`, `tokenizer` (the policy's: proposer prompts are capped
at `max_prompt_tokens` of it, as the reference; without one at `max_prompt_chars` characters; the reset info's
`prompt_length_unit` says which).
"""

from __future__ import annotations

from typing import Any

from gymnasium.error import ResetNeeded

from azr_env import step as step_lib
from azr_env.buffer import BufferSet
from azr_env.envs.common import AZRBaseEnv, as_text, clean_info
from azr_env.errors import ConfigError
from azr_env.tasks import Task, get_task_type
from azr_env.tasks.registry import AZR_TASK_TYPES


class AZRSelfPlayEnv(AZRBaseEnv):
    __doc__ = __doc__

    def __init__(
        self,
        task_types: tuple[str, ...] | list[str] = AZR_TASK_TYPES,
        n_rollouts: int | None = None,
        config: Any = None,
        *,
        buffers: BufferSet | None = None,
        buffer_dir: Any = None,
        referee: Any = None,
        render_mode: str | None = None,
        tokenizer: Any = None,
    ):
        super().__init__(config, referee, render_mode, tokenizer)
        self.task_types = [get_task_type(t).name for t in task_types]
        if not self.task_types:
            raise ConfigError("task_types is empty; give at least one of deduction, abduction, induction")
        self.n_rollouts = n_rollouts if n_rollouts is not None else self.config.n_rollouts
        if self.n_rollouts < 1:
            raise ConfigError(f"n_rollouts={self.n_rollouts}; must be >= 1")
        needed = {n for t in self.task_types for n in (t, *get_task_type(t).reference_types)}
        if buffers is not None and buffer_dir is not None:
            raise ConfigError("pass either buffers= or buffer_dir=, not both")
        self.buffers = buffers if buffers is not None else BufferSet(sorted(needed), buffer_dir)
        self.steps = 0
        self._phase: str | None = None
        self._prompt: Any = None
        self._task: Task | None = None
        self._solver_prompt = ""
        self._result: Any = None
        self._answers: list[Any] = []

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)
        task_type = self.task_types[int(self.np_random.integers(len(self.task_types)))]
        self._prompt = self.referee.proposer_prompt(self.buffers, task_type, self.np_random)
        self._phase, self._task, self._answers = "propose", None, []
        info = {"task_type": task_type, "role": "propose", "next_role": "propose",
                "prompt_length_unit": self._prompt.length_unit}  # fmt: skip
        info = clean_info(info)
        self._record(self._prompt.prompt, "", info)
        return self._prompt.prompt, info

    def step(self, action: Any) -> tuple[str, float, bool, bool, dict]:
        if self._phase is None:
            raise ResetNeeded("call reset() before step(); the episode has ended")
        response = as_text(action)
        if self._phase == "propose":
            return self._propose(response)
        return self._solve(response)

    def _propose(self, response: str) -> tuple[str, float, bool, bool, dict]:
        prompt = self._prompt
        [result] = self.referee.validate([(prompt.task_type, response, prompt.references)])
        info: dict[str, Any] = {"task_type": prompt.task_type, "role": "propose", "format_ok": result.format_ok,
                                "valid": result.valid, "reason": result.reason, "detail": result.detail,
                                "task": result.task.to_dict() if result.task else None}  # fmt: skip
        self.steps += 1
        if not result.valid or result.task is None:
            [reward] = self.referee.proposer_rewards([result], [None])
            info |= {"proposer_reward": reward, "next_role": None, "reward": reward}
            self._phase = None
            info = clean_info(info)
            self._record(prompt.prompt, response, info)
            return prompt.prompt, reward, True, False, info
        step_lib.admit(self.buffers, [result], self.steps)  # the step's own stages (azr_env.step)
        self._task, self._result, self._phase = result.task, result, "solve"
        self._solver_prompt = self.referee.solver_prompt(result.task)
        info |= {"next_role": "solve", "reward": 0.0}
        info = clean_info(info)
        self._record(prompt.prompt, response, info)
        return self._solver_prompt, 0.0, False, False, info

    def _solve(self, response: str) -> tuple[str, float, bool, bool, dict]:
        assert self._task is not None
        [result] = self.referee.score([self._task], [response])
        # These answers are the learnability rollouts: p reads them as the step does (StepConfig.rollout_format_check)
        rollout = result if result.format_ok else self.referee.score([self._task], [response], purpose="rollout")[0]
        self._answers.append(rollout)
        done = len(self._answers) >= self.n_rollouts
        info: dict[str, Any] = {"task_type": self._task.task_type, "role": "solve", "format_ok": result.format_ok,
                                "correct": result.correct, "parsed_answer": result.parsed_answer,
                                "reason": result.reason, "detail": result.detail, "task": self._task.to_dict(),
                                "rollout": len(self._answers), "reward": result.reward,
                                "next_role": None if done else "solve"}  # fmt: skip
        if done:
            [p] = step_lib.solve_rates([self._answers])
            [reward] = self.referee.proposer_rewards([self._result], [p], [self._prompt.references])
            info |= {"solve_rate": p, "proposer_reward": reward}
            self._phase = None
        info = clean_info(info)
        self._record(self._solver_prompt, response, info)
        return self._solver_prompt, float(result.reward), done, False, info
