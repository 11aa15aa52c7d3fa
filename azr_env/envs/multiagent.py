"""PettingZoo-style self-play with two agents, `proposer` and `solver` (needs `pip install 'azr-env[multiagent]'`).

Both classes keep AZR's semantics by calling the round API (`azr_env.rounds.Referee`); they differ in turn order.

`AZRSelfPlayAEC` (turn-based, `pettingzoo.AECEnv`). A round is one proposer turn followed by `n_rollouts`
solver turns on the proposed task (on a task drawn from the buffer when the proposal was invalid). Rewards:
the solver, per answer, 1 / −0.5 / −1; the proposer −1 at once for an invalid proposal, otherwise learnability
`1 − p` (or −0.5 at p ∈ {0, 1}) when the round's last answer is in. After `max_rounds` rounds both agents are
truncated.

`AZRSelfPlayParallel` (simultaneous, `pettingzoo.ParallelEnv`). Each step the proposer proposes a new task
and the solver answers the task of the previous step with `n_rollouts` responses at once (its action is a tuple
of strings). Rewards: the solver gets the mean of its answers' rewards; the proposer gets −1 at once for an
invalid proposal and, for a valid one, its learnability one step later, when the solver's answers to it are
in. The solver's first task, and its task after an invalid proposal, comes from the buffer.

Observations are prompt strings; `infos[agent]` has `task_type`, `reason` and, for scored actions, the same
fields as the single-agent envs. `tokenizer=` (the policy's) caps proposer prompts at `max_prompt_tokens` of it, as
the reference; without one they are capped at `max_prompt_chars` characters.

PettingZoo conventions: the module-level factories `env()` (the AEC env in PettingZoo's order-enforcing
wrapper), `raw_env()` and `parallel_env()` take the classes' arguments; both classes render text ("ansi"
returns it, "human" prints it).
"""

from __future__ import annotations

from typing import Any, ClassVar

from gymnasium import spaces
from gymnasium.utils import seeding

from azr_env.buffer import BufferSet
from azr_env.envs.common import MAX_ACTION_CHARS, MAX_OBSERVATION_CHARS, acquire_referee, as_text, release_referee
from azr_env.envs.spaces import AnyText, TextObservation
from azr_env.errors import ConfigError, require
from azr_env.rewards import proposer_reward, solve_rate
from azr_env.rounds import RoundConfig
from azr_env.tasks import Task, get_task_type
from azr_env.tasks.registry import AZR_TASK_TYPES

pettingzoo = require("pettingzoo", "multiagent", "azr_env.envs.multiagent")

AGENTS = ["proposer", "solver"]


def check_render_mode(render_mode: str | None, modes: list[str]) -> str | None:
    if render_mode is not None and render_mode not in modes:
        raise ConfigError(f"render_mode={render_mode!r}; choose one of {modes} or None")
    return render_mode


def show(text: str, render_mode: str) -> str | None:
    """"ansi" returns the text, "human" prints it (and returns None, as PettingZoo's render test expects)."""
    if render_mode == "human":
        print(text)
        return None
    return text


class _SelfPlayCore:
    """State shared by both multi-agent envs: config, buffers, referee, RNG, task-type choice."""

    def __init__(self, task_types, n_rollouts, max_rounds, config, buffers, referee, tokenizer=None):
        self.config = referee.config if referee is not None else (config or RoundConfig())
        self.task_types = [get_task_type(t).name for t in task_types]
        self.n_rollouts = n_rollouts if n_rollouts is not None else self.config.n_rollouts
        if self.n_rollouts < 1 or max_rounds < 1 or not self.task_types:
            raise ConfigError(
                f"need n_rollouts >= 1 (got {self.n_rollouts}), max_rounds >= 1 (got {max_rounds}) "
                f"and at least one task type (got {task_types!r})"
            )
        self.max_rounds = max_rounds
        needed = sorted({n for t in self.task_types for n in (t, *get_task_type(t).reference_types)})
        self.buffers = buffers if buffers is not None else BufferSet(needed)
        self._given, self._shared = referee, None
        self.tokenizer = tokenizer  # the policy's: proposer prompts capped in its tokens (else characters)
        self.rng, _ = seeding.np_random(None)

    @property
    def referee(self):
        if self._given is not None:
            return self._given
        if self._shared is None:
            self._shared = acquire_referee(self.config, self.tokenizer)
        return self._shared

    def close(self) -> None:
        if self._shared is not None:
            release_referee(self._shared)
            self._shared = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the configuration; the copy creates (or shares) a referee of the same config on first use."""
        return dict(self.__dict__, _given=None, _shared=None)

    def seed(self, seed: int | None) -> None:
        if seed is not None:
            self.rng, _ = seeding.np_random(seed)

    def proposer_prompt(self):
        task_type = self.task_types[int(self.rng.integers(len(self.task_types)))]
        return self.referee.proposer_prompt(self.buffers, task_type, self.rng)

    def validate(self, prompt, response: str, step: int):
        [result] = self.referee.validate([(prompt.task_type, response, prompt.references)])
        if result.valid and result.task is not None:
            self.buffers.add(result.task, step)
        return result

    def buffer_task(self, task_type: str) -> Task:
        return self.buffers.solver_batch(task_type, 1, self.rng)[0]

    def proposer_info(self, result) -> dict[str, Any]:
        return {"task_type": result.task_type, "format_ok": result.format_ok, "valid": result.valid,
                "reason": result.reason, "detail": result.detail,
                "task": result.task.to_dict() if result.task else None}  # fmt: skip

    @staticmethod
    def solver_info(result) -> dict[str, Any]:
        return {"task_type": result.task.task_type, "format_ok": result.format_ok, "correct": result.correct,
                "parsed_answer": result.parsed_answer, "reason": result.reason, "detail": result.detail,
                "task": result.task.to_dict()}  # fmt: skip


class AZRSelfPlayAEC(pettingzoo.AECEnv):
    metadata: ClassVar[dict[str, Any]] = {
        "name": "azr_selfplay_aec_v0",
        "render_modes": ["human", "ansi"],
        "is_parallelizable": False,
    }

    def __init__(self, task_types=AZR_TASK_TYPES, n_rollouts: int | None = None, max_rounds: int = 8,
                 config: RoundConfig | None = None, *, buffers: BufferSet | None = None, referee: Any = None,
                 render_mode: str | None = None, tokenizer: Any = None):  # fmt: skip
        super().__init__()
        self.core = _SelfPlayCore(task_types, n_rollouts, max_rounds, config, buffers, referee, tokenizer)
        self.possible_agents = list(AGENTS)
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self._obs_space, self._act_space = AnyText(MAX_OBSERVATION_CHARS), AnyText(MAX_ACTION_CHARS)
        self.observation_spaces = {a: self._obs_space for a in AGENTS}
        self.action_spaces = {a: self._act_space for a in AGENTS}

    def observation_space(self, agent: str) -> spaces.Space:
        return self._obs_space

    def action_space(self, agent: str) -> spaces.Space:
        return self._act_space

    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        self.core.seed(seed)
        self.agents = list(AGENTS)
        self.rewards = dict.fromkeys(AGENTS, 0.0)
        self._cumulative_rewards = dict.fromkeys(AGENTS, 0.0)
        self.terminations = dict.fromkeys(AGENTS, False)
        self.truncations = dict.fromkeys(AGENTS, False)
        self.infos = {a: {} for a in AGENTS}
        self._obs = {"proposer": "", "solver": ""}
        self.round, self._step = 0, 0
        self._start_round()

    def _start_round(self) -> None:
        self._prompt = self.core.proposer_prompt()
        self._obs["proposer"] = self._prompt.prompt
        self._task, self._answers, self._pending = None, [], False
        self.agent_selection = "proposer"

    def observe(self, agent: str) -> str:
        return TextObservation(self._obs[agent])

    def step(self, action: Any) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self._cumulative_rewards[agent] = 0.0
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._step += 1
        if agent == "proposer":
            result = self.core.validate(self._prompt, as_text(action), self._step)
            self.infos["proposer"] = self.core.proposer_info(result)
            if result.valid and result.task is not None:
                self._task, self._pending = result.task, True
            else:
                self.rewards["proposer"] = proposer_reward(False, config=self.core.config.rewards)
                self._task = self.core.buffer_task(self._prompt.task_type)
            self._obs["solver"] = self.core.referee.solver_prompt(self._task)
            self.agent_selection = "solver"
        else:
            [result] = self.core.referee.score([self._task], [as_text(action)])
            self.rewards["solver"] = result.reward
            self.infos["solver"] = self.core.solver_info(result) | {"rollout": len(self._answers) + 1}
            self._answers.append(result.correct)
            if len(self._answers) >= self.core.n_rollouts:
                if self._pending:
                    p = solve_rate(self._answers)
                    self.rewards["proposer"] = proposer_reward(True, p, config=self.core.config.rewards)
                    self.infos["proposer"] = self.infos["proposer"] | {"solve_rate": p}
                self.round += 1
                if self.round >= self.core.max_rounds:
                    self.truncations = dict.fromkeys(self.agents, True)
                    self.agent_selection = "proposer"
                else:
                    self._start_round()
        self._accumulate_rewards()

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        if not hasattr(self, "_obs"):
            return show("(call reset() first)", self.render_mode)
        agent = self.agent_selection
        return show(f"[round {self.round}, {agent} to act]\n{self._obs.get(agent, '')}", self.render_mode)

    def close(self) -> None:
        self.core.close()


class AZRSelfPlayParallel(pettingzoo.ParallelEnv):
    metadata: ClassVar[dict[str, Any]] = {
        "name": "azr_selfplay_parallel_v0",
        "render_modes": ["human", "ansi"],
        "is_parallelizable": True,
    }

    def __init__(self, task_types=AZR_TASK_TYPES, n_rollouts: int | None = None, max_rounds: int = 8,
                 config: RoundConfig | None = None, *, buffers: BufferSet | None = None, referee: Any = None,
                 render_mode: str | None = None, tokenizer: Any = None):  # fmt: skip
        self.core = _SelfPlayCore(task_types, n_rollouts, max_rounds, config, buffers, referee, tokenizer)
        self.possible_agents = list(AGENTS)
        self.agents: list[str] = []
        self.render_mode = check_render_mode(render_mode, self.metadata["render_modes"])
        self.round = 0
        self._prompt, self._task = None, None
        obs = AnyText(MAX_OBSERVATION_CHARS)
        self.observation_spaces = {a: obs for a in AGENTS}
        self.action_spaces = {
            "proposer": AnyText(MAX_ACTION_CHARS),
            "solver": spaces.Tuple([AnyText(MAX_ACTION_CHARS)] * self.core.n_rollouts),
        }

    def observation_space(self, agent: str) -> spaces.Space:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space:
        return self.action_spaces[agent]

    def reset(self, seed: int | None = None, options: dict | None = None) -> tuple[dict, dict]:
        self.core.seed(seed)
        self.agents = list(AGENTS)
        self.round = 0
        self._prompt = self.core.proposer_prompt()
        self._task, self._pending = self.core.buffer_task(self._prompt.task_type), None
        return self._observations(), {a: {"task_type": self._prompt.task_type} for a in AGENTS}

    def _observations(self) -> dict[str, str]:
        return {"proposer": self._prompt.prompt, "solver": self.core.referee.solver_prompt(self._task)}

    def step(self, actions: dict[str, Any]) -> tuple[dict, dict, dict, dict, dict]:
        if not self.agents:
            raise ConfigError("the episode is over; call reset()")
        rewards = dict.fromkeys(AGENTS, 0.0)
        infos: dict[str, dict] = {}
        answers = actions.get("solver")
        answers = [answers] if isinstance(answers, str) else list(answers or [])
        answers = [as_text(a) for a in answers][: self.core.n_rollouts] or [""]
        scored = self.core.referee.score([self._task] * len(answers), answers)
        rewards["solver"] = sum(s.reward for s in scored) / len(scored)
        infos["solver"] = self.core.solver_info(scored[-1]) | {"correct_count": sum(s.correct for s in scored)}
        previous_rate = None
        if self._pending is not None:  # the previous proposal was valid and its answers are now in
            previous_rate = solve_rate([s.correct for s in scored])
            rewards["proposer"] += proposer_reward(True, previous_rate, config=self.core.config.rewards)
        result = self.core.validate(self._prompt, as_text(actions.get("proposer")), self.round)
        infos["proposer"] = self.core.proposer_info(result) | {"previous_solve_rate": previous_rate}
        if result.valid and result.task is not None:
            self._task, self._pending = result.task, result.task
        else:
            rewards["proposer"] += proposer_reward(False, config=self.core.config.rewards)
            self._task, self._pending = self.core.buffer_task(self._prompt.task_type), None
        self.round += 1
        truncated = self.round >= self.core.max_rounds
        self._prompt = self.core.proposer_prompt()
        observations = self._observations()
        terminations = dict.fromkeys(AGENTS, False)
        truncations = dict.fromkeys(AGENTS, truncated)
        if truncated:
            self.agents = []
        return observations, rewards, terminations, truncations, infos

    def render(self) -> str | None:
        if self.render_mode is None:
            return None
        if self._prompt is None or self._task is None:
            return show("(call reset() first)", self.render_mode)
        return show(f"[round {self.round}]\n--- proposer ---\n{self._prompt.prompt}\n"
                    f"--- solver ---\n{self.core.referee.solver_prompt(self._task)}", self.render_mode)  # fmt: skip

    def close(self) -> None:
        self.core.close()


def raw_env(**kwargs: Any) -> AZRSelfPlayAEC:
    """The turn-based env without wrappers (PettingZoo's `raw_env` convention)."""
    return AZRSelfPlayAEC(**kwargs)


def env(**kwargs: Any) -> pettingzoo.AECEnv:
    """The turn-based env as PettingZoo's own envs come: in `OrderEnforcingWrapper` (errors on use before reset)."""
    from pettingzoo.utils.wrappers import OrderEnforcingWrapper

    return OrderEnforcingWrapper(AZRSelfPlayAEC(**kwargs))


def parallel_env(**kwargs: Any) -> AZRSelfPlayParallel:
    """The simultaneous env (PettingZoo's `parallel_env` convention)."""
    return AZRSelfPlayParallel(**kwargs)
