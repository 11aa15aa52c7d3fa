"""`AnyText`: a Gymnasium Text space that holds any string a model can produce (unicode, empty, long).

Gymnasium's `Text` only contains strings over its charset (alphanumeric by default) and at least `min_length`
long, so real prompts and responses would fail `check_env` and `AsyncVectorEnv`'s shared memory, which stores
charset indices, would mangle them. `AnyText` accepts every `str` up to `max_length` characters and registers
shared-memory handlers that store Unicode code points, so `AsyncVectorEnv(shared_memory=True)` returns the
exact, fresh observation of every step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import create_shared_memory, read_from_shared_memory, write_to_shared_memory

# Characters `sample()` draws from: ASCII, markup used by AZR responses, and some non-ASCII text.
_SAMPLE_CHARS = [
    *"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 \n\t()[]{}<>/'\"`:,.=+-*_#",
    "é", "ß", "中", "文", "🙂", "\u200b", "<think>", "</think>", "<answer>", "</answer>", "```",
]  # fmt: skip


class AnyText(spaces.Text):
    """Any `str` of at most `max_length` characters. `sample()` gives short random text with markup."""

    def __init__(self, max_length: int = 1 << 16, *, seed: int | np.random.Generator | None = None):
        super().__init__(max_length=max_length, min_length=0, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and len(x) <= self.max_length

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        length = int(self.np_random.integers(0, min(64, self.max_length) + 1))
        picks = self.np_random.integers(0, len(_SAMPLE_CHARS), size=length)
        return "".join(_SAMPLE_CHARS[int(i)] for i in picks)[: self.max_length]

    def __repr__(self) -> str:
        return f"AnyText(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnyText) and other.max_length == self.max_length

    __hash__ = None  # type: ignore[assignment]


@create_shared_memory.register(AnyText)
def _create(space: AnyText, n: int = 1, ctx: Any = None) -> Any:
    import multiprocessing

    ctx = ctx or multiprocessing
    return ctx.Array(np.dtype(np.int32).char, n * (space.max_length + 1))


class LiveTexts(Sequence):
    """The strings in a shared-memory block, read at access time.

    `AsyncVectorEnv` calls `read_from_shared_memory` once, at construction, and relies on getting a live view
    (numpy arrays are); a tuple of strings would be stale forever. `deepcopy` (what the vector env returns
    with `copy=True`, its default) gives a plain tuple of the current strings.
    """

    def __init__(self, space: AnyText, shared_memory: Any, n: int):
        self._data = np.frombuffer(shared_memory.get_obj(), dtype=np.int32).reshape((n, space.max_length + 1))

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(len(self))[index])
        row = self._data[index]
        return row[1 : 1 + int(row[0])].tobytes().decode("utf-32-le")

    def __deepcopy__(self, memo: dict) -> tuple[str, ...]:
        return tuple(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return repr(tuple(self))


@read_from_shared_memory.register(AnyText)
def _read(space: AnyText, shared_memory: Any, n: int = 1) -> LiveTexts:
    return LiveTexts(space, shared_memory, n)


@write_to_shared_memory.register(AnyText)
def _write(space: AnyText, index: int, value: str, shared_memory: Any) -> None:
    codes = np.frombuffer(value.encode("utf-32-le"), dtype=np.int32)
    if len(codes) > space.max_length:
        raise ValueError(f"observation of {len(codes)} characters exceeds AnyText(max_length={space.max_length})")
    size = space.max_length + 1
    destination = np.frombuffer(shared_memory.get_obj(), dtype=np.int32)
    destination[index * size] = len(codes)
    destination[index * size + 1 : index * size + 1 + len(codes)] = codes


class TextObservation(str):
    """A `str` that also carries `AnyText.dtype`, for tools (PettingZoo's `api_test`) that read `obs.dtype`."""

    __slots__ = ()
    dtype = np.dtype(str)
