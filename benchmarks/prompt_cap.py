"""How many references K a proposer prompt keeps under the 5600 cap, counted in characters vs tokens.

`python benchmarks/prompt_cap.py [--prompts 300]`. The reference caps 5600 tokens of the policy's tokenizer
(issue 12 item 5); counting characters instead drops references once programs are long. Programs here are
synthetic straight-line code of about 500, 800 and 1,200 characters; the tokenizer is a byte-level BPE trained
on such code plus our prompt text (no model tokenizer is downloaded), so its characters per token is printed
too: a real code tokenizer (Qwen2.5-Coder) is typically 3-4 characters per token on Python.
"""

from __future__ import annotations

import argparse
from collections import Counter

import numpy as np
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from azr_env.buffer import BufferSet
from azr_env.rounds import Referee, RoundConfig
from azr_env.tasks import Task


def program(rng: np.random.Generator, chars: int) -> str:
    names = ["values", "total", "window", "count", "result", "stack", "seen", "limit", "index", "item"]
    lines = ["def f(values, limit=3):", "    total = 0", "    result = []"]
    while sum(len(x) + 1 for x in lines) < chars - 30:
        a, b = rng.choice(names, 2)
        k = int(rng.integers(1, 50))
        lines.append(rng.choice([
            f"    for {a}_i, {b}_v in enumerate(values):\n        total += ({b}_v * {k}) % (limit + {k})",
            f"    if total > {k}:\n        result.append(total // {k})",
            f"    {a}_map = {{x: x * {k} for x in range(limit)}}",
            f"    total = total ^ ({k} << 2) if total % {k} else total + {k}",
        ]))
    lines.append("    return [total, len(result)]")
    return "\n".join(lines)


def bpe(corpus: list[str]) -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=4000, special_tokens=["[UNK]"],
                                                        initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return tok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="azr bench prompt-cap", description=__doc__.splitlines()[0])
    parser.add_argument("--prompts", type=int, default=300, help="proposer prompts drawn per program size")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    pools = {size: [program(rng, size) for _ in range(60)] for size in (500, 800, 1200)}
    corpus = [p for pool in pools.values() for p in pool]
    corpus += [Referee(RoundConfig()).solver_prompt(Task("deduction", corpus[0], ("1",), ("1",)))] * 20
    tokenizer = bpe(corpus)
    print(f"{'program chars':>14} {'chars/token':>11}  K kept (of 6) over {args.prompts} prompts: "
          "chars cap | tokens cap")
    for size, pool in pools.items():
        buffers = BufferSet(("deduction", "abduction", "induction"), seed_zero=False)
        for i, text in enumerate(pool):
            buffers.add(Task("deduction", text, (f"[{i}, 2]",), (f"[{i}, 0]",)), -1)
        ratio = sum(len(p) for p in pool) / sum(len(tokenizer.encode(p).ids) for p in pool)
        kept = {}
        for unit, tok in (("chars", None), ("tokens", tokenizer)):
            with Referee(RoundConfig(), tokenizer=tok) as referee:
                draws = np.random.default_rng(1)
                kept[unit] = Counter(len(referee.proposer_prompt(buffers, "deduction", draws).references)
                                     for _ in range(args.prompts))
        show = {u: " ".join(f"K={k}:{n}" for k, n in sorted(c.items(), reverse=True)) for u, c in kept.items()}
        print(f"{size:>14} {ratio:>11.2f}  {show['chars']:<28} | {show['tokens']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
