"""`TokenIdsWrapper`: token-id observations and actions over an AZR text env (docs/envs.md, "Token-level loop").

Token-level RL code (TRL, verl, OpenRLHF) holds ids, not text: what the policy saw and what it generated are
token sequences, and re-tokenizing decoded text does not give the same ids back. The wrapper encodes each
prompt once with the caller's Hugging Face tokenizer (optionally through its chat template) and decodes the
generated ids into the response the env scores. Both spaces are `Sequence(Discrete(len(tokenizer)),
stack=True)`: observations are 1-D int64 numpy arrays; actions may be any 1-D integer sequence (list, numpy
array, CPU tensor).

Generated ids are hostile like any model output: at most `max_action_tokens` are decoded, ids outside the
vocabulary are dropped, and an action that is not a sequence of integers is scored as an empty response.
"""

from __future__ import annotations

import warnings
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from azr_env.errors import ConfigError

MAX_ACTION_TOKENS = 1 << 16


class TokenIdsWrapper(gym.Wrapper, gym.utils.RecordConstructorArgs):
    """Token ids in and out. `info["text"]` is the prompt text; after a step `info["action_text"]` is the decoded
    response that was scored.

    Arguments: `tokenizer` (a Hugging Face tokenizer: `encode`/`decode`, `len()`, and `apply_chat_template` when
    `chat_template` is set), `chat_template` (False: encode the env's prompt as is; True: the tokenizer's chat
    template with the prompt as the user message and the generation prompt added; a str: that Jinja template),
    `system_prompt` (a system message for the chat template), `add_special_tokens` (without a chat template:
    whether `encode` adds BOS and the like), `skip_special_tokens` (whether decoding drops EOS/pad),
    `max_action_tokens`.
    """

    def __init__(
        self,
        env: gym.Env,
        tokenizer: Any,
        *,
        chat_template: bool | str = False,
        system_prompt: str | None = None,
        add_special_tokens: bool = True,
        skip_special_tokens: bool = True,
        max_action_tokens: int = MAX_ACTION_TOKENS,
    ):
        gym.utils.RecordConstructorArgs.__init__(
            self, tokenizer=tokenizer, chat_template=chat_template, system_prompt=system_prompt,
            add_special_tokens=add_special_tokens, skip_special_tokens=skip_special_tokens,
            max_action_tokens=max_action_tokens,
        )  # fmt: skip
        gym.Wrapper.__init__(self, env)
        for method in ("encode", "decode", "__len__"):
            if not callable(getattr(tokenizer, method, None)):
                raise ConfigError(f"tokenizer has no {method}(); pass a Hugging Face tokenizer")
        if chat_template is True and not getattr(tokenizer, "chat_template", None):
            raise ConfigError("chat_template=True but the tokenizer has no chat template; pass the template as a str")
        if not isinstance(max_action_tokens, int) or max_action_tokens < 1:
            raise ConfigError(f"max_action_tokens={max_action_tokens!r}; must be an int >= 1")
        config = getattr(env.unwrapped, "config", None)
        if chat_template and getattr(getattr(config, "task", None), "prompt_format", None) == "r1":
            warnings.warn(
                "TokenIdsWrapper(chat_template=...) over R1-wrapped prompts adds a chat template around the R1 "
                "template; build the env with config=RoundConfig(task=TaskConfig(prompt_format='raw'))",
                UserWarning,
                stacklevel=2,
            )
        self.tokenizer = tokenizer
        self.chat_template = chat_template
        self.system_prompt = system_prompt
        self.add_special_tokens = add_special_tokens
        self.skip_special_tokens = skip_special_tokens
        self.max_action_tokens = max_action_tokens
        self.vocab_size = len(tokenizer)
        self.observation_space = spaces.Sequence(spaces.Discrete(self.vocab_size), stack=True)
        self.action_space = spaces.Sequence(spaces.Discrete(self.vocab_size), stack=True)

    def encode(self, text: str) -> np.ndarray:
        """The prompt as the token ids the policy conditions on."""
        if not self.chat_template:
            ids = self.tokenizer.encode(text, add_special_tokens=self.add_special_tokens)
        else:
            messages = [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []
            messages.append({"role": "user", "content": text})
            template = self.chat_template if isinstance(self.chat_template, str) else None
            rendered = self.tokenizer.apply_chat_template(
                messages, tokenize=False, add_generation_prompt=True, chat_template=template
            )
            ids = self.tokenizer.encode(rendered, add_special_tokens=False)  # the template holds the specials
        return np.asarray(ids, dtype=np.int64).reshape(-1)

    def decode(self, action: Any) -> str:
        """Generated ids as response text; bounded, out-of-vocabulary ids dropped, junk as ""."""
        try:
            ids = np.asarray(action)
            if ids.ndim == 2 and ids.shape[0] == 1:  # a batch of one, as `generate` returns it
                ids = ids[0]
            if ids.ndim > 1 or not (np.issubdtype(ids.dtype, np.integer) or ids.size == 0):
                return ""
            ids = ids.reshape(-1)[: self.max_action_tokens].astype(np.int64)
        except (TypeError, ValueError, OverflowError):
            return ""
        ids = ids[(ids >= 0) & (ids < self.vocab_size)]
        return self.tokenizer.decode(ids.tolist(), skip_special_tokens=self.skip_special_tokens)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict]:
        text, info = self.env.reset(seed=seed, options=options)
        return self.encode(text), {**info, "text": text}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict]:
        response = self.decode(action)
        text, reward, terminated, truncated, info = self.env.step(response)
        return self.encode(text), reward, terminated, truncated, {**info, "text": text, "action_text": response}
