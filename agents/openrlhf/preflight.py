"""Checks made before a run starts Ray actors: run folder, sandbox on every node, storage shared by every node.

- Run folder: task buffers reload from `<buffer_dir>/*.jsonl`; without `--ckpt.load_enable` a folder holding a
  previous run's buffers or checkpoints would start the new run from the old run's tasks. Refused.
- Sandbox: model-written programs run in executors inside every vLLM engine actor. Without bubblewrap the
  executor falls back to a weaker mode (no network or pid namespaces). Refused on any node unless
  `--azr.allow_weak_sandbox 1`; the mode of every node is logged and written to `<ckpt.path>/azr_nodes.json`.
- Shared storage: the trainer actor may land on any node and reads buffers and checkpoints from its own disk.
  A marker written on the driver's (head) node under `--ckpt.path` (and the buffer folder) must be readable on
  every node.

`run_folder_problem`, `sandbox_mode` and `node_report` are pure; `check_cluster` needs a running Ray.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from pathlib import Path
from typing import Any

from azr_env.errors import ConfigError
from azr_env.sandbox.isolation import training_isolation

WANDB_KEY_ENV = "WANDB_API_KEY"
WANDB_KEY_FROM_ENV = f"env:{WANDB_KEY_ENV}"
"""`--logger.wandb.key` value meaning "the key is in $WANDB_API_KEY": the key itself never becomes an argument
(OpenRLHF prints all arguments, W&B stores them as the run config, `ray job submit` stores the command line)."""
MARKER = ".azr_shared_storage"
NODES_FILE = "azr_nodes.json"
RESUME_HINT = "pass --ckpt.load_enable (`azr train-openrlhf --resume`) to continue it, or use a new run folder"
log = logging.getLogger(__name__)


def check_wandb_key(key: str | None) -> None:
    """The W&B key must reach OpenRLHF's logger through the environment only.

    OpenRLHF's `WandbLogger` logs in only when `wandb.api.api_key` (which reads $WANDB_API_KEY) is empty, so with
    the variable set the placeholder argument is never used as a key. Run on the driver and in the trainer actor.
    """
    if not key:
        return
    if key != WANDB_KEY_FROM_ENV:
        raise ConfigError(f"--logger.wandb.key with the key itself would print it in the job's logs; export "
                          f"{WANDB_KEY_ENV} and pass --logger.wandb.key {WANDB_KEY_FROM_ENV}")  # fmt: skip
    if not os.environ.get(WANDB_KEY_ENV):
        raise ConfigError(f"{WANDB_KEY_ENV} is not set in the environment of {socket.gethostname()}; export it "
                          "before starting Ray (`ray start`, or the training command) or drop W&B logging")  # fmt: skip


def run_folder_problem(ckpt_path: str | None, buffer_dir: str | None, resume: bool) -> str | None:
    """Why starting fresh here would reuse a previous run's state (None when it would not)."""
    if resume:
        return None
    if buffer_dir and Path(buffer_dir).is_dir():
        stale = sorted(p.name for p in Path(buffer_dir).glob("*.jsonl") if p.stat().st_size > 0)
        if stale:
            return f"{buffer_dir} holds a previous run's task buffers ({', '.join(stale)})"
    if ckpt_path and (Path(ckpt_path) / "_actor").exists():
        return f"{ckpt_path} holds a previous run's checkpoints (_actor)"
    return None


def check_run_folder(ckpt_path: str | None, buffer_dir: str | None, resume: bool) -> None:
    problem = run_folder_problem(ckpt_path, buffer_dir, resume)
    if problem:
        raise ConfigError(f"{problem}; a fresh run would start from its tasks: {RESUME_HINT}")


def sandbox_mode(bwrap_ok: bool, allow_weak: bool, where: str = "this node") -> str:
    """The executor isolation a node will use (the rule both trainers share, with OpenRLHF's flag)."""
    return training_isolation(bwrap_ok, allow_weak, where=where, allow_flag="--azr.allow_weak_sandbox 1")


def write_markers(folders: list[str]) -> dict[str, str]:
    """Write a fresh marker into each folder (created if needed); returns {marker path: token}."""
    out = {}
    for folder in dict.fromkeys(folders):
        Path(folder).mkdir(parents=True, exist_ok=True)
        token = uuid.uuid4().hex
        path = Path(folder) / MARKER
        path.write_text(token)
        out[str(path)] = token
    return out


def node_report(markers: dict[str, str]) -> dict[str, Any]:
    """Run on one node: its host name, which markers it reads back, and whether bubblewrap works there."""
    from azr_env.sandbox.isolation import bwrap_works

    unseen = []
    for path, token in markers.items():
        try:
            seen = Path(path).read_text() == token
        except OSError:
            seen = False
        if not seen:
            unseen.append(path)
    return {"host": socket.gethostname(), "pid": os.getpid(), "unseen_markers": unseen, "bwrap": bwrap_works()}


def check_reports(reports: list[dict[str, Any]], allow_weak: bool) -> list[dict[str, Any]]:
    """Refuse nodes that do not share the run folder or lack the sandbox; add each node's `isolation`."""
    blind = [r for r in reports if r["unseen_markers"]]
    if blind:
        names = ", ".join(f"{r['node']} ({r['host']})" for r in blind)
        raise ConfigError(f"node(s) {names} cannot read {blind[0]['unseen_markers'][0]} written on the head node: "
                          "--ckpt.path (and --azr.buffer_dir) must be on storage shared by every node (NFS, Lustre, "
                          "...), or the trainer would resume from, and write buffers to, one node's local disk "
                          "(docs/openrlhf.md, multi-node)")  # fmt: skip
    for r in reports:
        r["isolation"] = sandbox_mode(r["bwrap"], allow_weak, where=f"node {r['node']} ({r['host']})")
    return reports


def check_cluster(ckpt_path: str, buffer_dir: str | None, allow_weak: bool) -> list[dict[str, Any]]:
    """On the driver after `ray.init`: every alive node reads the markers and reports its sandbox.

    Writes `<ckpt_path>/azr_nodes.json` (the run's record of every node's isolation mode) and logs one line per
    node. Raises ConfigError naming the nodes that fail.
    """
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    markers = write_markers([ckpt_path, *([buffer_dir] if buffer_dir else [])])
    probe = ray.remote(num_cpus=0)(node_report)
    nodes = [n for n in ray.nodes() if n.get("Alive")]
    refs = [probe.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False)).remote(markers)
            for n in nodes]  # fmt: skip
    reports = [dict(r, node=n.get("NodeManagerAddress", n["NodeID"][:8])) for n, r in zip(nodes, ray.get(refs))]
    reports = check_reports(reports, allow_weak)
    for r in reports:
        log.info("AZR node %s (%s): sandbox isolation %s, shared run folder ok", r["node"], r["host"], r["isolation"])
    Path(ckpt_path, NODES_FILE).write_text(json.dumps(reports, indent=1, sort_keys=True))
    return reports
