"""The building blocks of generated programs: typed one-line operations and block statements.

Each op maps a variable of one type to a new value of a (possibly) different type; `{v}` is the input
variable, other fields are drawn by `fill`. Every op is total on its input type (no exceptions) unless listed in
`RISKY_OPS`, which the error-type generator uses on purpose. Types: int, str, list (of ints), words (list of
str), dict (str -> int).
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Op:
    family: str  # "math" | "string" | "list" | "dict" — what the `operations` knob selects
    source: str
    target: str
    template: str
    hint: str


OPS: tuple[Op, ...] = (
    Op("math", "int", "int", "{v} * {k} + {j}", "scales and shifts a number"),
    Op("math", "int", "int", "abs({v} - {k}) % {m}", "takes a distance modulo a constant"),
    Op("math", "int", "int", "({v} ** 2 + {k}) % {m}", "squares a number modulo a constant"),
    Op("math", "int", "int", "{v} // {k} - {j}", "divides and shifts a number"),
    Op("math", "int", "str", "bin({v})[2:] if {v} >= 0 else '-' + bin(-{v})[2:]", "writes a number in binary"),
    Op("math", "int", "list", "[({v} + i) % {m} for i in range({n})]", "builds a list from a number"),
    Op("string", "str", "str", "{v}[::-1]", "reverses text"),
    Op("string", "str", "str", "{v}.upper()", "upper-cases text"),
    Op("string", "str", "str", "{v}.replace('{c}', '{d}')", "replaces a character"),
    Op("string", "str", "str", "''.join(sorted({v}))", "sorts the characters"),
    Op("string", "str", "str", "{v} + '{s}'", "appends a suffix"),
    Op("string", "str", "str", "{v}[{a}:] + {v}[:{a}]", "rotates text"),
    Op("string", "str", "str", "''.join(ch for ch in {v} if ch not in 'aeiou')", "drops vowels"),
    Op("string", "str", "str", "''.join(ch * 2 if i % {k} == 0 else ch for i, ch in enumerate({v}))",
       "doubles some characters"),
    Op("string", "str", "int", "len({v})", "measures length"),
    Op("string", "str", "int", "{v}.count('{c}')", "counts a character"),
    Op("string", "str", "int", "sum(ord(ch) for ch in {v}) % {m}", "sums character codes"),
    Op("string", "str", "list", "[ord(ch) % {m} for ch in {v}]", "turns characters into numbers"),
    Op("string", "str", "words", "{v}.split('{c}')", "splits text"),
    Op("list", "list", "list", "sorted({v})", "sorts numbers"),
    Op("list", "list", "list", "[x * {k} - {j} for x in {v}]", "maps an affine function over numbers"),
    Op("list", "list", "list", "[x for x in {v} if x % {k} != {r}]", "filters numbers by remainder"),
    Op("list", "list", "list", "{v}[::-1]", "reverses a list"),
    Op("list", "list", "list", "[x + i for i, x in enumerate({v})]", "adds positions"),
    Op("list", "list", "list", "{v}[{a}:] + {v}[:{a}]", "rotates a list"),
    Op("list", "list", "list", "sorted(set({v}))", "deduplicates and sorts"),
    Op("list", "list", "int", "sum({v})", "sums numbers"),
    Op("list", "list", "int", "max({v}, default={k})", "takes a maximum"),
    Op("list", "list", "int", "len([x for x in {v} if x > {k}])", "counts large numbers"),
    Op("list", "list", "str", "''.join(chr(97 + x % 26) for x in {v})", "turns numbers into letters"),
    Op("list", "list", "dict", "{{str(x): i for i, x in enumerate({v})}}", "indexes numbers by value"),
    Op("list", "words", "words", "sorted({v}, key=len)", "sorts words by length"),
    Op("list", "words", "words", "[w[::-1] for w in {v}]", "reverses each word"),
    Op("list", "words", "str", "'{c}'.join({v})", "joins words"),
    Op("list", "words", "list", "[len(w) for w in {v}]", "measures words"),
    Op("dict", "words", "dict", "{{w: len(w) for w in {v}}}", "maps words to lengths"),
    Op("dict", "dict", "list", "sorted({v}.values())", "sorts dictionary values"),
    Op("dict", "dict", "words", "sorted({v})", "sorts dictionary keys"),
    Op("dict", "dict", "dict", "{{k: val * {k} for k, val in {v}.items() if val % {m} != {r}}}",
       "filters and scales dictionary values"),
    Op("dict", "dict", "int", "sum(val for key, val in {v}.items() if key < '{c}')", "sums some values"),
)  # fmt: skip

# Ops that raise on some inputs: the error-type generator appends one of these.
RISKY_OPS: tuple[Op, ...] = (
    Op("risky", "list", "int", "{v}[{a}]", "indexes a list"),
    Op("risky", "int", "int", "{k} // ({v} % {m} - {r})", "divides by a remainder"),
    Op("risky", "str", "int", "int({v})", "parses text as a number"),
    Op("risky", "dict", "int", "{v}['{c}']", "looks up a key"),
    Op("risky", "words", "str", "{v}[{a}].upper()", "indexes a word list"),
)  # fmt: skip

ALPHABET = "abcdefghij"


def fill(template: str, var: str, rng: random.Random) -> str:
    """Instantiate an op template for variable `var` with small random constants."""
    return template.format(
        v=var,
        k=rng.randint(2, 5),
        j=rng.randint(0, 9),
        m=rng.randint(3, 11),
        n=rng.randint(2, 6),
        a=rng.randint(1, 3),
        r=rng.randint(0, 1),
        c=rng.choice(ALPHABET[:5]),
        d=rng.choice("xyz"),
        s=rng.choice(["!", "ab", "z", "-", "42"]),
    )


def random_value(kind: str, rng: random.Random, size: int) -> str:
    """A literal of type `kind`, as written in an input block (repr of a random value)."""
    if kind == "int":
        return repr(rng.randint(-20, 99))
    if kind == "str":
        return repr("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, size + 3))))
    if kind == "list":
        return repr([rng.randint(-9, 30) for _ in range(rng.randint(1, size + 3))])
    if kind == "words":
        return repr(
            ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 5))) for _ in range(rng.randint(1, size + 1))]
        )
    if kind == "dict":
        keys = rng.sample(ALPHABET, rng.randint(1, min(len(ALPHABET), size + 2)))
        return repr({key: rng.randint(0, 20) for key in keys})
    raise ValueError(kind)
