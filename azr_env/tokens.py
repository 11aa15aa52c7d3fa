"""How long a prompt is, for the proposer-prompt cap (SPEC §5; issue 12 item 5).

The reference re-draws a proposer prompt's references while the prompt is over 5600 *tokens* of the policy's
tokenizer (`len(tokenizer(prompt)['input_ids'])`, data_construction/constructor.py). Code is dense in
characters per token, so a character cap of the same number is far stricter: with ~800-character programs it
already leaves K=5 references where the reference shows 6. `PromptLength(tokenizer)` measures in tokens when
given a tokenizer and in characters otherwise, and says which (`unit`), so callers can report it.

Accepted tokenizers: a Hugging Face tokenizer (called as the reference calls it, special tokens included), a
`tokenizers.Tokenizer` (`encode(text).ids`), or any callable returning token ids or a count.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from azr_env.errors import ConfigError

UNITS = ("tokens", "characters")


class PromptLength:
    """`length(text)` in tokens of `tokenizer`, or in characters when it is None (`unit` says which)."""

    def __init__(self, tokenizer: Any = None):
        if tokenizer is not None and not callable(tokenizer) and not hasattr(tokenizer, "encode"):
            raise ConfigError(f"tokenizer {type(tokenizer).__name__} is neither callable nor has encode(); pass a "
                              "Hugging Face tokenizer, a tokenizers.Tokenizer or a text -> ids function")  # fmt: skip
        self.tokenizer = tokenizer
        self.unit = "characters" if tokenizer is None else "tokens"

    def __call__(self, text: str) -> int:
        tokenizer = self.tokenizer
        if tokenizer is None:
            return len(text)
        out = tokenizer(text) if callable(tokenizer) else tokenizer.encode(text)
        if isinstance(out, Mapping):
            out = out["input_ids"]
        if hasattr(out, "ids"):  # tokenizers.Encoding
            out = out.ids
        if isinstance(out, int):
            return out
        return len(out)

    def __repr__(self) -> str:
        return f"PromptLength({self.unit})"


def prompt_cap(config: Any, length: PromptLength) -> int:
    """The cap in `length`'s unit: `max_prompt_tokens` with a tokenizer, else `max_prompt_chars`."""
    return int(config.max_prompt_tokens if length.unit == "tokens" else config.max_prompt_chars)


__all__ = ["UNITS", "PromptLength", "prompt_cap"]
