"""`azr eval --reproduce results.json`: re-run a recorded configuration and say what differs, settings and scores.

A number that does not reproduce is only useful with its cause: the comparison lists every recorded setting or
provenance entry that changed (data hashes, prompt and template hashes, package versions, machine, generation
settings) beside every score that changed and the problems whose verdict flipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from azr_env.errors import ConfigError, DataError

# Keys that change on every run and say nothing about the configuration.
VOLATILE = (".at",)


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """{"a.b.c": leaf} of nested dicts (lists are leaves)."""
    if not isinstance(obj, dict):
        return {prefix: obj}
    out: dict[str, Any] = {}
    for key, value in obj.items():
        out |= flatten(value, f"{prefix}.{key}" if prefix else str(key))
    return out


def config_differences(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(key, old, new) for every recorded setting/provenance entry that differs (missing on one side: None)."""
    a = flatten({"settings": old.get("settings"), "reproducibility": old.get("reproducibility")})
    b = flatten({"settings": new.get("settings"), "reproducibility": new.get("reproducibility")})
    return [(k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b))
            if not k.endswith(VOLATILE) and a.get(k) != b.get(k)]


def _verdicts(folder: Path, benchmark: str) -> dict[tuple[str, int], bool]:
    path = folder / "scored" / f"{benchmark}.jsonl"
    if not path.exists():
        return {}
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {(r["problem_id"], int(r["sample_idx"])): bool(r["correct"]) for r in rows}


@dataclass
class Reproduction:
    """The outcome of re-running a results file.

    Attributes:
        original: the results.json that was reproduced.
        out_dir: where the new run wrote its files.
        results: the new results dict.
        config_differences: (key, original, now) per differing setting or provenance entry.
        score_differences: (benchmark, original, now) per differing pass@1 (None: not run on that side).
        verdict_changes: benchmark -> problem ids whose verdict flipped (when both scored files exist).
    """

    original: Path
    out_dir: Path
    results: dict[str, Any]
    config_differences: list[tuple[str, Any, Any]] = field(default_factory=list)
    score_differences: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    verdict_changes: dict[str, list[str]] = field(default_factory=dict)

    @property
    def reproduced(self) -> bool:
        """True when every score is the same."""
        return not self.score_differences

    def text(self) -> str:
        def short(v: Any) -> str:
            text = json.dumps(v, default=str)
            return text if len(text) <= 80 else text[:77] + "..."

        lines = [f"reproduced {self.original} into {self.out_dir}"]
        lines.append(f"configuration differences: {len(self.config_differences) or 'none'}")
        lines += [f"  {k}: {short(a)} -> {short(b)}" for k, a, b in self.config_differences]
        lines.append(f"score differences: {len(self.score_differences) or 'none (every score reproduced)'}")
        for name, a, b in self.score_differences:
            delta = f" ({b - a:+.1f})" if a is not None and b is not None else ""
            flips = self.verdict_changes.get(name) or []
            more = f"; verdict changed on {len(flips)}: {', '.join(flips[:10])}" if flips else ""
            lines.append(f"  {name}: {a if a is None else f'{a:.1f}'} -> {b if b is None else f'{b:.1f}'}{delta}"
                         f"{more}")
        return "\n".join(lines)


def compare(original: Path, old: dict[str, Any], new: dict[str, Any], out_dir: Path) -> Reproduction:
    """Differences between two results dicts (and their scored files, for the problems that flipped)."""
    report = Reproduction(original, out_dir, new, config_differences(old, new))
    names = list(dict.fromkeys([*old.get("benchmarks", {}), *new.get("benchmarks", {})]))
    for name in names:
        a = (old.get("benchmarks", {}).get(name) or {}).get("score")
        b = (new.get("benchmarks", {}).get(name) or {}).get("score")
        if a != b:
            report.score_differences.append((name, a, b))
        va, vb = _verdicts(original.parent, name), _verdicts(out_dir, name)
        flips = sorted({pid for (pid, s) in set(va) & set(vb) if va[(pid, s)] != vb[(pid, s)]})
        if flips:
            report.verdict_changes[name] = flips
    return report


def reproduce(results_path: str | Path, *, agent: Any = None, out_dir: str | Path | None = None,
              api_key: str | None = None, data_dir: str | Path | None = None, progress: bool = True,
              log: Any = print) -> Reproduction:
    """Re-run the configuration of `results_path` into `out_dir` (default: `<its folder>-reproduce`).

    The agent is rebuilt from the recorded backend, model and server options unless `agent` is given (a run
    made with a Python function must pass it again); the API key is never recorded, so pass `api_key` (the CLI
    reads --api-key / $OPENAI_API_KEY). `data_dir` replaces the recorded data folder (data moved to another
    machine); whether the files are the same shows in the data hashes of the comparison.
    """
    from azr_evals.backends import build_agent
    from azr_evals.runner import EvalConfig, run

    original = Path(results_path)
    try:
        old = json.loads(original.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read results file {original}: {exc}") from exc
    settings = dict(old.get("settings") or {})
    if data_dir is not None:
        settings["data_dir"] = str(data_dir)
    info = (old.get("reproducibility") or {}).get("agent")
    if "benchmarks" not in settings or not isinstance(settings["benchmarks"], list):
        raise DataError(f"{original} records no run configuration (written by an older azr eval?); "
                        "nothing to reproduce")
    target = Path(out_dir) if out_dir else original.parent.with_name(original.parent.name + "-reproduce")
    if target.resolve() == original.parent.resolve():
        raise ConfigError(f"--out {target} is the original run's folder; reproduce into a new one")
    if agent is None:
        if not info or info.get("backend") in (None, "python"):
            raise ConfigError(f"{original} was made with a Python agent ({(info or {}).get('repr', 'unknown')}); "
                              "reproduce it from Python: azr_evals.reproduce(path, agent=...)")
        agent = build_agent(info, settings.get("prompt_format", "r1"), api_key=api_key)
    else:
        from azr_agents.base import as_agent

        agent = as_agent(agent)
    config = EvalConfig.from_dict(settings, target, progress=progress, agent_info=info)
    new = run(agent, config, log=log)
    return compare(original, old, new or {}, target)
