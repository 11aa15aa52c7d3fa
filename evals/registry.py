"""The benchmark registry: every benchmark `azr eval` knows, with its family, source and paper column.

A family decides how a benchmark is prompted and scored ("evalplus", "livecodebench", "math", "cruxeval"); the
group decides which average it enters (SPEC §7: CAvg over the 3 code sets, MAvg over the 6 math sets). Loaders
are referenced as "module:function" strings so that listing benchmarks imports nothing heavy.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from azr_env.errors import ConfigError


@dataclass(frozen=True)
class BenchmarkSpec:
    """How to load, prompt and score one benchmark.

    Attributes:
        name: registry name used on the command line.
        title: short column title, as in the paper's table (SPEC §7).
        family: "evalplus" | "livecodebench" | "math" | "cruxeval" (selects prompt builder and scorer).
        group: "code" | "math" (enter CAvg / MAvg) or "extra" (reported, not averaged).
        source: upstream location the default loader reads.
        local_dir: directory name under `--data-dir` (same layout as the upstream files).
        max_new_tokens: generation budget of the paper preset (SPEC §7: 8096 code, 16000 math).
        loader: "module:function" returning list[Problem].
    """

    name: str
    title: str
    family: str
    group: str
    source: str
    local_dir: str
    max_new_tokens: int
    loader: str


_QWEN_MATH = "https://raw.githubusercontent.com/QwenLM/Qwen2.5-Math/a45202bd16f1ec06f433442dc1152d0074773465"
_AZR = "https://raw.githubusercontent.com/LeapLabTHU/Absolute-Zero-Reasoner/a82124e514e27692aa9860c5ee21dbf9d81e3bc5"
# CRUXEval: facebookresearch/cruxeval HEAD 190faf1 (data/cruxeval.jsonl unchanged since 10d71b4, 2024-01-03).
_CRUX = "https://raw.githubusercontent.com/facebookresearch/cruxeval/190faf16d175b5847b0af05d937872b1fb395942"
# LiveCodeBench: a fixed revision of the HF dataset repo (its `main` moves when a release is added).
LCB_REVISION = "0fe84c3912ea0c4d4a78037083943e8f0c4dd505"
_MATH = "azr_evals.data.math_sets:load"
CODE_TOKENS, MATH_TOKENS = 8096, 16000

BENCHMARKS: dict[str, BenchmarkSpec] = {
    s.name: s
    for s in [
        BenchmarkSpec("humanevalplus", "HE+", "evalplus", "code",
                      "evalplus release v0.1.10 (evalplus.data.get_human_eval_plus)", "humanevalplus",
                      CODE_TOKENS, "azr_evals.data.evalplus_sets:load_humanevalplus"),
        BenchmarkSpec("mbppplus", "MBPP+", "evalplus", "code",
                      "evalplus release v0.2.0 (evalplus.data.get_mbpp_plus)", "mbppplus",
                      CODE_TOKENS, "azr_evals.data.evalplus_sets:load_mbppplus"),
        BenchmarkSpec("livecodebench", "LCBv5", "livecodebench", "code",
                      f"https://huggingface.co/datasets/livecodebench/code_generation_lite@{LCB_REVISION[:12]} "
                      "(release_v5)",
                      "livecodebench", CODE_TOKENS, "azr_evals.data.livecodebench:load"),
        BenchmarkSpec("aime24", "AIME24", "math", "math", f"{_QWEN_MATH}/evaluation/data/aime24/test.jsonl",
                      "aime24", MATH_TOKENS, _MATH),
        BenchmarkSpec("aime25", "AIME25", "math", "math",
                      f"{_AZR}/evaluation/math_eval/eval/data/aime25/test.jsonl", "aime25", MATH_TOKENS, _MATH),
        BenchmarkSpec("amc23", "AMC", "math", "math", f"{_QWEN_MATH}/evaluation/data/amc23/test.jsonl",
                      "amc23", MATH_TOKENS, _MATH),
        BenchmarkSpec("math500", "MATH500", "math", "math",
                      f"{_AZR}/evaluation/math_eval/eval/data/math500/test.jsonl", "math500", MATH_TOKENS, _MATH),
        BenchmarkSpec("minerva", "Minerva", "math", "math",
                      f"{_QWEN_MATH}/evaluation/data/minerva_math/test.jsonl", "minerva_math", MATH_TOKENS, _MATH),
        BenchmarkSpec("olympiadbench", "Olympiad", "math", "math",
                      f"{_QWEN_MATH}/evaluation/data/olympiadbench/test.jsonl", "olympiadbench", MATH_TOKENS,
                      _MATH),
        BenchmarkSpec("gsm8k", "GSM8K", "math", "extra", f"{_QWEN_MATH}/evaluation/data/gsm8k/test.jsonl",
                      "gsm8k", MATH_TOKENS, _MATH),
        BenchmarkSpec("cruxeval_i", "CRUX-I", "cruxeval", "extra", f"{_CRUX}/data/cruxeval.jsonl",
                      "cruxeval", CODE_TOKENS, "azr_evals.data.cruxeval:load_input"),
        BenchmarkSpec("cruxeval_o", "CRUX-O", "cruxeval", "extra", f"{_CRUX}/data/cruxeval.jsonl",
                      "cruxeval", CODE_TOKENS, "azr_evals.data.cruxeval:load_output"),
    ]
}

# The paper's benchmark order (SPEC §7 table), then the extra in-distribution checks.
PAPER_BENCHMARKS = ["humanevalplus", "mbppplus", "livecodebench", "aime24", "aime25", "amc23", "math500",
                    "minerva", "olympiadbench"]
ALIASES = {"humaneval": "humanevalplus", "he+": "humanevalplus", "mbpp": "mbppplus", "lcb": "livecodebench",
           "amc": "amc23", "minerva_math": "minerva", "ocw": "minerva", "olympiad": "olympiadbench",
           "cruxeval-i": "cruxeval_i", "cruxeval-o": "cruxeval_o"}


def get_benchmark(name: str) -> BenchmarkSpec:
    """Look a benchmark up by name or alias; an unknown name lists the known ones and the closest match."""
    key = ALIASES.get(name.lower(), name.lower())
    if key in BENCHMARKS:
        return BENCHMARKS[key]
    close = difflib.get_close_matches(key, list(BENCHMARKS) + list(ALIASES), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ConfigError(f"unknown benchmark '{name}'.{hint} Known: {', '.join(BENCHMARKS)} (or 'paper', 'all').")


def resolve_benchmarks(names: str | list[str]) -> list[BenchmarkSpec]:
    """Expand a comma-separated list (or list) of names; 'paper' is the 9 paper sets, 'all' every set."""
    items = names.split(",") if isinstance(names, str) else list(names)
    out: list[BenchmarkSpec] = []
    for item in (i.strip() for i in items):
        if not item:
            continue
        group = {"paper": PAPER_BENCHMARKS, "all": list(BENCHMARKS)}.get(item.lower())
        for spec in [get_benchmark(n) for n in group] if group else [get_benchmark(item)]:
            if spec not in out:
                out.append(spec)
    if not out:
        raise ConfigError(f"no benchmark given in {names!r}: pass e.g. --benchmarks paper or --benchmarks aime24")
    return out
