"""Generate stage: prompts -> raw completions, cached per sample on disk so an interrupted run resumes.

The cache is an append-only JSONL file per benchmark (`<out>/generations/<benchmark>.jsonl`). Each row is one
completion, keyed by a hash of everything that determines it (model id, prompt, sampling settings) plus the sample
index, so a changed prompt or setting is regenerated and nothing else is. Rows are flushed batch by batch, or
prompt by prompt for agents that stream results (`generate_each`, e.g. the HTTP client: a request that fails
after its retries loses only itself and the prompts not yet asked); a half-written last line (a killed process)
is ignored on the next run.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from azr_evals.types import Completion, Problem

from azr_env.errors import ConfigError


@dataclass(frozen=True)
class GenerationConfig:
    """Sampling settings. Defaults are the paper preset (SPEC §7): greedy, one sample.

    Attributes:
        n: samples per problem (pass@k needs n >= k).
        temperature: 0 means greedy (the paper); > 0 samples.
        top_p: nucleus sampling mass (1.0: off).
        max_new_tokens: None uses the benchmark's preset (8096 code, 16000 math).
        seed: sampling seed passed to the backend (None: backend default).
        batch_size: prompts per `Agent.generate` call (and per cache flush).
    """

    n: int = 1
    temperature: float = 0.0
    top_p: float = 1.0
    max_new_tokens: int | None = None
    seed: int | None = 0
    batch_size: int = 16

    def __post_init__(self) -> None:
        if self.n < 1 or self.batch_size < 1:
            raise ConfigError(f"n={self.n} and batch_size={self.batch_size} must be >= 1")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ConfigError(f"temperature={self.temperature} must be >= 0 and top_p={self.top_p} in (0, 1]")
        if self.n > 1 and self.temperature == 0:
            raise ConfigError(f"n={self.n} greedy samples would be identical: pass --temperature > 0 (e.g. 0.8)")


def _key(model_id: str, prompt: str, config: GenerationConfig, max_new_tokens: int) -> str:
    settings = {k: v for k, v in asdict(config).items() if k not in ("n", "batch_size")}
    blob = json.dumps([model_id, prompt, settings, max_new_tokens], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


def _ends_with_newline(path: Path) -> bool:
    with open(path, "rb") as fh:
        fh.seek(-1, os.SEEK_END)
        return fh.read(1) == b"\n"


def read_cache(path: Path) -> dict[tuple[str, int], dict[str, Any]]:
    """(key, sample_idx) -> row for every complete line of the cache file."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    if not path.exists():
        return rows
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                row = json.loads(line)
                rows[(row["key"], int(row["sample_idx"]))] = row
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by an interrupted run
    return rows


def generate(agent: Any, problems: list[Problem], prompts: list[str], *, model_id: str, max_new_tokens: int,
             config: GenerationConfig, cache_path: Path, progress: bool = True) -> list[Completion]:
    """One Completion per (problem, sample index), reusing cached completions; new ones are appended to the cache."""
    if len(problems) != len(prompts):
        raise ConfigError(f"{len(problems)} problems but {len(prompts)} prompts")
    cache_path.parent.mkdir(parents=True, exist_ok=True)
    cached = read_cache(cache_path)
    keys = [_key(model_id, prompt, config, max_new_tokens) for prompt in prompts]
    todo = [i for i, key in enumerate(keys) if any((key, s) not in cached for s in range(config.n))]
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc=f"generating {problems[0].benchmark}", unit="prompt", leave=False)
    with open(cache_path, "a", encoding="utf-8") as out:
        if out.tell() > 0 and not _ends_with_newline(cache_path):
            out.write("\n")  # end a line cut short by an interrupted run, so the next row stays whole

        def save(i: int, gens: list[Any]) -> None:
            for s, gen in enumerate(gens[: config.n]):
                row = {"key": keys[i], "sample_idx": s, "benchmark": problems[i].benchmark,
                       "problem_id": problems[i].problem_id, "prompt": prompts[i],
                       "response": getattr(gen, "text", gen), "finish_reason": getattr(gen, "finish_reason", None)}
                cached[(keys[i], s)] = row
                out.write(json.dumps(row) + "\n")
            out.flush()

        sampling = {"n": config.n, "temperature": config.temperature, "top_p": config.top_p,
                    "max_new_tokens": max_new_tokens, "seed": config.seed}
        stream = getattr(agent, "generate_each", None)
        try:
            if callable(stream):
                for j, gens in stream([prompts[i] for i in todo], **sampling):
                    save(todo[j], gens)
                    if bar is not None:
                        bar.update(1)
            else:
                for start in range(0, len(todo), config.batch_size):
                    batch = todo[start : start + config.batch_size]
                    outputs = agent.generate([prompts[i] for i in batch], **sampling)
                    if len(outputs) != len(batch):
                        raise ConfigError(f"agent returned {len(outputs)} results for {len(batch)} prompts")
                    for i, gens in zip(batch, outputs):
                        save(i, gens)
                    os.fsync(out.fileno())
                    if bar is not None:
                        bar.update(len(batch))
        finally:
            out.flush()
            os.fsync(out.fileno())
    if bar is not None:
        bar.close()
    samples = []
    for problem, prompt, key in zip(problems, prompts, keys):
        for s in range(config.n):
            row = cached.get((key, s))
            if row is None:
                raise ConfigError(f"agent gave fewer than n={config.n} samples for {problem.problem_id}")
            samples.append(Completion(problem.benchmark, problem.problem_id, s, prompt, row["response"]))
    return samples
