"""Checkpoints that survive SIGKILL at any moment: write a new folder, then atomically repoint `LATEST`.

Layout under `run_dir/checkpoints/`: `step-000010/` (model + tokenizer via save_pretrained, `optimizer.pt`,
`rng.pt`, `state.json`, `buffers/` copy) and `LATEST` (the name of the newest complete folder). A folder is
only named in `LATEST` after everything in it is written and fsynced, so a kill mid-save leaves the previous
checkpoint in charge; the orphaned folder is deleted on the next save. Buffers and logs written after the
checkpoint (by the step that was killed) are rolled back on resume, so a resumed run replays that step
exactly instead of seeing its tasks twice.
"""

from __future__ import annotations

import json
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from azr_env.errors import DataError

LATEST = "LATEST"


def _fsync_dir(path: Path) -> None:
    for file in path.rglob("*"):
        if file.is_file():
            with open(file, "rb") as fh:
                os.fsync(fh.fileno())


def rng_state(np_rng: np.random.Generator) -> dict[str, Any]:
    return {"python": random.getstate(), "numpy": np_rng.bit_generator.state, "torch": torch.get_rng_state()}


def save_checkpoint(root: Path, step: int, model, tokenizer, optimizer, np_rng: np.random.Generator,
                    state: dict[str, Any], buffer_dir: Path | None, keep: int = 2) -> Path:
    """Write checkpoint `step` and make it the latest; keeps the newest `keep` folders."""
    root.mkdir(parents=True, exist_ok=True)
    name = f"step-{step:06d}"
    folder = root / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    torch.save(optimizer.state_dict(), folder / "optimizer.pt")
    torch.save(rng_state(np_rng), folder / "rng.pt")
    (folder / "state.json").write_text(json.dumps(state | {"step": step}, indent=1))
    if buffer_dir is not None and buffer_dir.exists():
        shutil.copytree(buffer_dir, folder / "buffers")
    _fsync_dir(folder)
    tmp = root / f"{LATEST}.tmp"
    tmp.write_text(name)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, root / LATEST)
    complete = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith("step-"))
    for old in complete[:-keep]:
        if old.name != name:
            shutil.rmtree(old, ignore_errors=True)
    return folder


def latest_checkpoint(root: Path) -> Path | None:
    """The folder `LATEST` names, or None when there is no complete checkpoint."""
    pointer = root / LATEST
    if not pointer.is_file():
        return None
    folder = root / pointer.read_text().strip()
    if not (folder / "state.json").is_file():
        raise DataError(f"{pointer} names {folder}, which has no state.json; delete {root} to start over")
    return folder


def restore_rng(folder: Path) -> dict[str, Any]:
    """Restore python and torch RNGs; returns the numpy bit-generator state for the caller's Generator."""
    saved = torch.load(folder / "rng.pt", weights_only=False)
    random.setstate(saved["python"])
    torch.set_rng_state(saved["torch"])
    return saved["numpy"]


def restore_buffers(folder: Path, buffer_dir: Path) -> None:
    """Replace the live buffer files by the checkpoint's copy (drops tasks of the step that was killed)."""
    shutil.rmtree(buffer_dir, ignore_errors=True)
    if (folder / "buffers").exists():
        shutil.copytree(folder / "buffers", buffer_dir)
    else:
        buffer_dir.mkdir(parents=True, exist_ok=True)


def truncate_jsonl(path: Path, max_step: int) -> None:
    """Keep only rows with `step <= max_step` (and drop a torn last line) in a metrics/samples log."""
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if row.get("step", -1) <= max_step:
            kept.append(line)
    tmp = path.with_suffix(".tmp")
    tmp.write_text("".join(k + "\n" for k in kept))
    os.replace(tmp, path)
