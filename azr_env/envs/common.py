"""What every AZR env shares: text spaces, a lazily created referee shared per process, rendering.

Envs in one process that use the same `RoundConfig` share one `Referee` (and so one executor pair); it is
created on first use and closed when the last of them is closed. Pass `referee=` to use your own (it is then
never closed by the env).
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
from typing import Any, ClassVar

import gymnasium as gym
from gymnasium.vector import AutoresetMode

from azr_env.envs.spaces import AnyText
from azr_env.errors import ConfigError
from azr_env.rounds import Referee, RoundConfig

MAX_OBSERVATION_CHARS = 1 << 16
MAX_ACTION_CHARS = 1 << 26

_LOCK = threading.Lock()
_SHARED: dict[tuple[int, RoundConfig, int], list[Any]] = {}  # (pid, config, id(tokenizer)) -> [referee, users]


def acquire_referee(config: RoundConfig, tokenizer: Any = None) -> Referee:
    with _LOCK:
        key = (os.getpid(), config, id(tokenizer))
        entry = _SHARED.setdefault(key, [None, 0])
        if entry[0] is None:
            entry[0] = Referee(config, tokenizer=tokenizer)
        entry[1] += 1
        return entry[0]


def release_referee(referee: Referee) -> None:
    with _LOCK:
        for key, entry in list(_SHARED.items()):
            if entry[0] is referee:
                entry[1] -= 1
                if entry[1] <= 0:
                    referee.close()
                    del _SHARED[key]
                return


def as_text(action: Any) -> str:
    """Any action as the response string it stands for (bytes decoded, None as empty)."""
    if isinstance(action, str):
        return str(action)
    if isinstance(action, bytes | bytearray):
        return bytes(action).decode("utf-8", errors="replace")
    return "" if action is None else str(action)


def clean_info(info: dict[str, Any]) -> dict[str, Any]:
    """Drop None values: vector envs stack info values by key, and a key that is sometimes None, sometimes a
    dict or float breaks that stacking; an absent key is masked instead (`info["_key"]`)."""
    return {key: value for key, value in info.items() if value is not None}


NEXT_STEP_HINT = (
    "an AZR env was reset by a vector env's NEXT_STEP autoreset: every second step of this vector env is a "
    "dummy reset with reward 0 and the action ignored. Build it with gym.make_vec(id, n) (the default mode), "
    "azr_env.make_vec(id, n), or pass vector_kwargs={\"autoreset_mode\": gym.vector.AutoresetMode.SAME_STEP} "
    "(SyncVectorEnv/AsyncVectorEnv(..., autoreset_mode=gym.vector.AutoresetMode.SAME_STEP)); or make the env "
    "continuing=True (docs/envs.md, \"Vector envs\")"
)
_warned_next_step = False


def reset_by_next_step_autoreset(max_depth: int = 16) -> bool:
    """Whether the current `reset` call comes from a Gymnasium vector env's NEXT_STEP autoreset.

    The env cannot see the vector env, so this reads the call stack: `SyncVectorEnv.step` or the
    `AsyncVectorEnv` worker's "step" command, in NEXT_STEP mode, some frames up (wrappers add frames).
    """
    from gymnasium.vector import AutoresetMode

    frame = sys._getframe(1)
    for _ in range(max_depth):
        frame = frame.f_back
        if frame is None:
            return False
        module, name = frame.f_globals.get("__name__"), frame.f_code.co_name
        if module == "gymnasium.vector.sync_vector_env" and name == "step":
            owner = frame.f_locals.get("self")
            return getattr(owner, "autoreset_mode", None) == AutoresetMode.NEXT_STEP
        if module == "gymnasium.vector.async_vector_env" and name == "_async_worker":
            return frame.f_locals.get("command") == "step" and (
                frame.f_locals.get("autoreset_mode") == AutoresetMode.NEXT_STEP
            )
    return False


def warn_if_next_step_autoreset() -> None:
    """Warn once per process when a NEXT_STEP autoreset resets an AZR env (issue 13: half the steps wasted)."""
    global _warned_next_step
    if not _warned_next_step and reset_by_next_step_autoreset():
        _warned_next_step = True
        warnings.warn(NEXT_STEP_HINT, UserWarning, stacklevel=3)


class AZRBaseEnv(gym.Env):
    """Text in, text out. Subclasses implement `reset` and `step`; this class owns spaces and the referee."""

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["human", "ansi"],
        "render_fps": 1,
        "autoreset_mode": AutoresetMode.SAME_STEP,
    }

    def __init__(self, config: RoundConfig | None = None, referee: Referee | None = None,
                 render_mode: str | None = None, tokenizer: Any = None):  # fmt: skip
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ConfigError(f"render_mode={render_mode!r}; choose one of {self.metadata['render_modes']} or None")
        if config is not None and not isinstance(config, RoundConfig):
            raise ConfigError(f"config must be an azr_env.rounds.RoundConfig, got {type(config).__name__}")
        self.config = referee.config if referee is not None else (config or RoundConfig())
        self.render_mode = render_mode
        self.observation_space = AnyText(MAX_OBSERVATION_CHARS)
        self.action_space = AnyText(MAX_ACTION_CHARS)
        self._given_referee = referee
        self._tokenizer = tokenizer  # the policy's: proposer prompts are capped in its tokens (else characters)
        self._shared_referee: Referee | None = None
        self._last: tuple[str, str, dict] | None = None  # (observation, last action, info) for render

    @property
    def referee(self) -> Referee:
        if self._given_referee is not None:
            return self._given_referee
        if self._shared_referee is None:
            self._shared_referee = acquire_referee(self.config, self._tokenizer)
        return self._shared_referee

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> Any:
        if not getattr(self, "continuing", False):  # a continuing env loses one step per max_tasks, not half
            warn_if_next_step_autoreset()
        return super().reset(seed=seed, options=options)

    def close(self) -> None:
        if self._shared_referee is not None:
            release_referee(self._shared_referee)
            self._shared_referee = None
        super().close()

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the configuration, not the executor: the copy creates (or shares) its referee on first use.

        A `referee=` given by the caller holds worker processes and cannot travel; the copy uses a shared
        referee of the same `RoundConfig` instead.
        """
        state = dict(self.__dict__)
        state["_given_referee"] = None
        state["_shared_referee"] = None
        return state

    def _record(self, observation: str, action: str, info: dict) -> None:
        self._last = (observation, action, info)
        if self.render_mode == "human":
            print(self._text())

    def _text(self) -> str:
        if self._last is None:
            return "(call reset() first)"
        observation, action, info = self._last
        lines = [f"--- {info.get('role', '?')} / {info.get('task_type', '?')} ---", observation]
        if action:
            lines += ["--- response ---", action]
        if "reward" in info:
            lines.append(f"--- reward {info['reward']} ({info.get('reason', '')}) ---")
        return "\n".join(lines)

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._text()
        if self.render_mode == "human":
            print(self._text())
        return None
