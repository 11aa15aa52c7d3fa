"""A fixed, seeded workload of small programs of the kinds AZR proposes: strings, sorting, dicts, recursion,
arithmetic. Each item is (program, expression); the same seed gives the same list."""

from __future__ import annotations

import random

_TEMPLATES = (
    # strings
    ("def f(s):\n    return ''.join(reversed(s)).upper() + str(len(s))", "f({word!r})"),
    ("def f(s, k):\n    return ''.join(chr((ord(c) - 97 + k) % 26 + 97) if c.isalpha() else c for c in s)",
     "f({word!r}, {k})"),
    ("def f(s):\n    counts = {}\n    for c in s:\n        counts[c] = counts.get(c, 0) + 1\n"
     "    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))", "f({word!r})"),
    # sorting
    ("def f(xs, k):\n    return sorted(xs, key=lambda x: (x % k, -x))", "f({nums}, {k})"),
    ("def f(xs):\n    out = list(xs)\n    for i in range(len(out)):\n        for j in range(len(out) - 1 - i):\n"
     "            if out[j] > out[j + 1]:\n                out[j], out[j + 1] = out[j + 1], out[j]\n    return out",
     "f({nums})"),
    # dicts
    ("def f(d):\n    return {v: k for k, v in sorted(d.items())}", "f({mapping})"),
    ("from collections import defaultdict\n\ndef f(words):\n    groups = defaultdict(list)\n"
     "    for w in words:\n        groups[len(w)].append(w)\n    return dict(sorted(groups.items()))", "f({words})"),
    # recursion
    ("def f(n):\n    if n < 2:\n        return n\n    return f(n - 1) + f(n - 2)", "f({small})"),
    ("def f(xs):\n    if not xs:\n        return []\n    pivot, rest = xs[0], xs[1:]\n"
     "    return f([x for x in rest if x < pivot]) + [pivot] + f([x for x in rest if x >= pivot])", "f({nums})"),
    # arithmetic
    ("def f(n):\n    total = 0\n    for i in range(1, n + 1):\n        if i % 3 == 0 or i % 5 == 0:\n"
     "            total += i * i\n    return total", "f({n})"),
    ("import math\n\ndef f(a, b):\n    return math.gcd(a, b), a * b // math.gcd(a, b)", "f({n}, {k})"),
)
_WORDS = ("hello", "absolute", "zero", "reasoner", "python", "sandbox", "kernel", "lambda", "sorted", "matrix")


def make_workload(size: int = 240, seed: int = 0) -> list[tuple[str, str]]:
    """`size` (program, expression) pairs cycling through every template with seeded arguments."""
    rng = random.Random(seed)
    jobs = []
    for index in range(size):
        program, call = _TEMPLATES[index % len(_TEMPLATES)]
        args = {
            "word": rng.choice(_WORDS) + rng.choice(_WORDS)[: rng.randint(0, 5)],
            "k": rng.randint(2, 9),
            "nums": [rng.randint(-50, 50) for _ in range(rng.randint(3, 20))],
            "mapping": {rng.choice(_WORDS): rng.randint(0, 9) for _ in range(4)},
            "words": [rng.choice(_WORDS) for _ in range(6)],
            "small": rng.randint(5, 15),
            "n": rng.randint(50, 500),
        }
        jobs.append((program, call.format(**args)))
    return jobs
