"""`azr play ENV_ID`: act as the agent yourself: the prompt is shown, you type the response, the reward is shown.

Type the response over as many lines as you like and end it with a line holding only `.` (or Ctrl-D). Unless
`--raw` is given, text without an `<answer>` tag is wrapped as `<think>...</think><answer>TEXT</answer>` for you.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

END = "."


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("play", help="play an AZR env yourself in the terminal")
    parser.add_argument("env_id", help="a registered id, e.g. AZR-Deduction-v0 (see docs/envs.md)")
    parser.add_argument("--episodes", type=int, default=1, help="episodes to play (default 1)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the first reset (default: random)")
    parser.add_argument("--raw", action="store_true", help="send exactly what you type (no automatic tags)")
    parser.set_defaults(func=run)


def read_response(stdin: TextIO, stdout: TextIO) -> str | None:
    """Lines up to a lone `.`; None at end of input with nothing typed."""
    stdout.write(f"\nYour response (end with a line holding only '{END}'):\n")
    stdout.flush()
    lines: list[str] = []
    for line in stdin:
        if line.rstrip("\r\n") == END:
            return "\n".join(lines)
        lines.append(line.rstrip("\r\n"))
    return "\n".join(lines) if lines else None


def play(env_id: str, episodes: int = 1, seed: int | None = None, raw: bool = False,
         stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> float:  # fmt: skip
    """Play `episodes` episodes of `env_id` with a person as the agent; returns the total reward."""
    import gymnasium as gym

    import azr_env  # noqa: F401  (registers the ids)
    from azr_env.errors import ConfigError

    if env_id not in gym.registry:
        known = ", ".join(sorted(i for i in gym.registry if i.startswith("AZR-")))
        raise ConfigError(f"unknown env id {env_id!r}; AZR envs: {known}")
    if episodes < 1:
        raise ConfigError(f"--episodes={episodes}; must be >= 1")
    env = gym.make(env_id)
    total = 0.0
    try:
        for episode in range(episodes):
            observation, info = env.reset(seed=seed if episode == 0 else None)
            done = False
            while not done:
                stdout.write(f"\n=== episode {episode + 1}, role: {info.get('next_role') or info.get('role')} ===\n")
                stdout.write(observation + "\n")
                response = read_response(stdin, stdout)
                if response is None:
                    stdout.write("\n(end of input)\n")
                    return total
                if not raw and "<answer>" not in response:
                    response = f"<think>typed in azr play</think>\n<answer>\n{response}\n</answer>"
                observation, reward, terminated, truncated, info = env.step(response)
                total += float(reward)
                done = terminated or truncated
                extra = f", proposer reward {info['proposer_reward']}" if "proposer_reward" in info else ""
                stdout.write(f"\n--> reward {reward} ({info.get('reason', '')}{extra}) {info.get('detail', '')}\n")
    finally:
        env.close()
    stdout.write(f"\nTotal reward: {total}\n")
    return total


def run(args: argparse.Namespace) -> int:
    play(args.env_id, args.episodes, args.seed, args.raw)
    return 0
