"""The AZR environment as an OpenRLHF agent: one `AgentInstance` per sample, driven by `MultiTurnAgentExecutor`.

OpenRLHF (0.11.x) loads the file named by `--train.agent_func_path` inside every vLLM engine actor and calls
`AgentExecutor().execute(prompt, label, sampling_params, max_length, hf_tokenizer, llm_engine)` per sample.
Ours is OpenRLHF's own `MultiTurnAgentExecutor` with two additions:

- the response budget is `sampling_params.max_tokens` (the reference's max response length); the multi-turn
  executor would otherwise let one turn fill the whole `max_length`;
- the returned sample's `label` is the request label plus the referee's verdict (`labels.with_outcome`), so
  the trainer learns which proposals were valid, and their tasks, from the samples it already receives.

An episode is a single turn: `reset` reads the label, `step` validates a proposal or scores an answer with the
`Referee` through `AsyncReferee` (programs run via `Executor.arun`; the event loop never blocks) and ends the
episode. Rewards follow SPEC §4; a valid proposal's reward is provisional (0.0) until the trainer has its
learnability from the solver rollouts. `extra_logs` carry the TRR++ group id (`labels.GROUP_KEY`).

Two guards: an exception inside `step` (referee, executor, a hostile response) becomes a -1 sample whose outcome
says `agent_error` and why, and is logged: OpenRLHF gathers the samples of a prompt without
`return_exceptions`, so one raising sample would end the run. Configuration errors (no usable sandbox where it
is required) still raise: every sample would fail the same way. And prompts get the tokenizer's BOS token where
the tokenizer adds one (Llama): OpenRLHF tokenizes observations with `add_special_tokens=False`.
"""

from __future__ import annotations

import contextvars
import copy
import json
import logging
from typing import Any

import torch
from azr_agents.openrlhf.bridge import AsyncReferee
from azr_agents.openrlhf.labels import (
    GROUP_KEY,
    config_from_json,
    group_id,
    isolation_of,
    label_references,
    label_task,
    parse_label,
    with_outcome,
)
from azr_agents.reflection import text_checks
from openrlhf.utils.agent import AgentInstanceBase, MultiTurnAgentExecutor

from azr_env.errors import ConfigError, SandboxUnavailableError
from azr_env.step import answer_only

# The outcome slot of the sample being executed: set by AgentExecutor.execute, filled by AZRAgentInstance.step.
# A ContextVar because OpenRLHF creates the instance itself (no arguments) inside `execute`'s coroutine.
_OUTCOME: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("azr_outcome", default=None)
_REFEREES: dict[str, AsyncReferee] = {}
AGENT_ERROR = "agent_error"
log = logging.getLogger(__name__)


def referee_for(row: dict[str, Any]) -> AsyncReferee:
    """One AsyncReferee per distinct label config in this process (they share the executors)."""
    key = json.dumps(row.get("config") or {}, sort_keys=True)
    if key not in _REFEREES:
        _REFEREES[key] = AsyncReferee(config_from_json(row.get("config")), isolation=isolation_of(row))
    return _REFEREES[key]


def with_bos(prompt: str, tokenizer: Any) -> str:
    """`prompt` with the BOS token in front when the tokenizer adds one by default and it is not there yet."""
    bos = getattr(tokenizer, "bos_token", None)
    if not bos or prompt.startswith(bos):
        return prompt
    ids = tokenizer(text="a")["input_ids"]
    return bos + prompt if ids and ids[0] == tokenizer.bos_token_id else prompt


def _sample_logs(row: dict[str, Any], format_ok: bool) -> dict[str, float]:
    # Every sample must carry the same extra_logs keys: OpenRLHF merges them per key into per-sample tensors.
    return {GROUP_KEY: float(group_id(row["role"], row["task_type"])), "azr_format_ok": float(format_ok)}


class AZRAgentInstance(AgentInstanceBase):
    """One AZR sample: a proposal to validate or an answer to score (a single-turn episode)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.row: dict[str, Any] = {}

    async def reset(self, states: dict, **kwargs: Any) -> dict:
        self.row = parse_label(states["label"])
        return {"observation": states["observation"]}

    async def step(self, states: dict, **kwargs: Any) -> dict:
        row = self.row or parse_label(states["label"])
        try:
            return await self._step(row, states)
        except (ConfigError, SandboxUnavailableError):
            raise
        except Exception as exc:  # one failing sample must not end the run: it becomes a -1 sample
            detail = f"{type(exc).__name__}: {exc}"[:300]
            log.exception("AZR agent error on a %s/%s sample (scored -1): %s", row["role"], row["task_type"], detail)
            rewards = referee_for(row).config.rewards
            reward = rewards.invalid if row["role"] == "propose" else rewards.bad_format
            slot = _OUTCOME.get()
            if slot is not None:
                slot["label"] = with_outcome(row, {"valid": False, "format_ok": False, "correct": False,
                                                   "reason": AGENT_ERROR, "detail": detail})  # fmt: skip
            return {"rewards": torch.tensor(reward, dtype=torch.float32), "scores": float(reward),
                    "environment_feedback": "", "done": True, "sampling_params": states.get("sampling_params"),
                    "extra_logs": _sample_logs(row, False)}  # fmt: skip

    async def _step(self, row: dict[str, Any], states: dict) -> dict:
        response = states["action_text"]
        checks = text_checks(response)  # reflection / concerning phrases: the driver never sees the text
        referee = referee_for(row)
        if row["role"] == "propose":
            result = await referee.validate(row["task_type"], response, label_references(row))
            reward = 0.0 if result.valid else referee.config.rewards.invalid
            outcome = {"valid": result.valid, "format_ok": result.format_ok, "reason": result.reason,
                       "detail": result.detail[:300], "task": result.task.to_dict() if result.task else None}
            format_ok = result.format_ok
        else:
            task = label_task(row)
            if row.get("purpose") == "rollout" and not referee.config.step.rollout_format_check:
                response = answer_only(response)  # learnability rollouts: the answer alone (azr_env.step)
            scored = await referee.score(task, response)
            reward = scored.reward
            outcome = {"correct": scored.correct, "format_ok": scored.format_ok, "reward": scored.reward,
                       "reason": scored.reason, "answer": scored.parsed_answer}
            format_ok = scored.format_ok
        outcome["checks"] = checks
        slot = _OUTCOME.get()
        if slot is not None:
            slot["label"] = with_outcome(row, outcome)
        logs = _sample_logs(row, format_ok)
        return {
            "rewards": torch.tensor(reward, dtype=torch.float32),
            "scores": float(reward),
            "environment_feedback": "",
            "done": True,
            "sampling_params": states.get("sampling_params"),
            "extra_logs": logs,
        }


class AgentExecutor(MultiTurnAgentExecutor):
    """OpenRLHF's multi-turn executor over `AZRAgentInstance`, constructed without arguments as OpenRLHF does."""

    def __init__(self) -> None:
        super().__init__(AZRAgentInstance)

    async def execute(self, prompt, label, sampling_params, max_length: int, hf_tokenizer, llm_engine, images=None):
        sampling_params = copy.deepcopy(sampling_params)  # the multi-turn loop writes max_tokens into it
        prompt = with_bos(prompt, hf_tokenizer)
        budget = getattr(sampling_params, "max_tokens", None)
        if budget:
            prompt_len = len(hf_tokenizer(text=prompt, add_special_tokens=False)["input_ids"])
            max_length = min(max_length, prompt_len + int(budget))
        slot: dict[str, Any] = {}
        token = _OUTCOME.set(slot)
        try:
            result = await super().execute(prompt, label, sampling_params, max_length, hf_tokenizer, llm_engine,
                                           images)  # fmt: skip
        finally:
            _OUTCOME.reset(token)
        if "label" in slot:
            result["label"] = slot["label"]
            return result
        # No turn ran (the prompt left no token budget): scored like an unreadable response.
        row = parse_label(label)
        rewards = referee_for(row).config.rewards
        reward = rewards.invalid if row["role"] == "propose" else rewards.bad_format
        result.update(reward=reward, scores=reward, label=with_outcome(row, {"format_ok": False, "valid": False,
                      "correct": False, "reason": "no_token_budget"}),
                      extra_logs=_sample_logs(row, False))
        return result
