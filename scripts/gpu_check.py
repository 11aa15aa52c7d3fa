"""`make gpu-check`: keep the GPU path honest on a machine with a CUDA GPU, with nothing but torch + transformers.

What it does, in under 8 minutes on one GPU:
1. runs the repository's CUDA tests (`pytest -m gpu`, when pytest is importable);
2. builds a small, randomly initialised, Qwen2-shaped model locally (no hub: a GPU machine may reach none) with
   the repository's own byte-level tokenizer;
3. runs a few self-play steps of `azr_agents.trainer` on it with the HF backend on the GPU (propose, validate,
   solve, TRR++ update), and prints generation tokens/s, training tokens/s and peak GPU memory.

Why a script and not `make test`: such machines often have no package index and no `make install`. The repository is
imported in place (the four import names are linked into a temporary folder put first on `sys.path`), and what the
core needs beyond torch and transformers (gymnasium and its two small dependencies) comes from `--wheels DIR`, a
folder of wheels copied alongside (`pip download gymnasium -d wheels/` on a machine with an index).

Without CUDA it exits 2 with one line. `--device cpu` runs the same steps on the CPU at a smaller size; a CPU test
(tests/test_gpu_check.py) runs that mode so the script cannot rot.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# The same mapping as setup.py (the tests import all four, so collecting them needs all four).
IMPORT_NAME_TO_FOLDER = {"azr_env": "azr_env", "azr_agents": "agents", "azr_evals": "evals",
                         "azr_benchmarks": "benchmarks"}
CORE_MODULES = ("torch", "transformers", "gymnasium", "numpy")
# Model shape (Qwen2 layout: grouped-query attention, SwiGLU, RMSNorm, RoPE). "cuda" is big enough to exercise
# bf16 kernels and batching; "cpu" is sized to finish in well under a minute on 2 cores.
SHAPES = {
    "cuda": dict(hidden_size=512, intermediate_size=1408, num_hidden_layers=6, num_attention_heads=8,
                 num_key_value_heads=2),
    "cpu": dict(hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=4,
                num_key_value_heads=2),
}
# A random model proposes no valid program, so seeding asks for no more than the identity task every buffer starts
# with: the steps still run the whole propose -> validate -> solve -> update path.
RUNS = {
    "cuda": dict(total_steps=3, batch_per_type=16, n_rollouts=4, max_new_tokens=128, seed_buffer_size=1,
                 seeding_max_rounds=1, eval_tasks=32, mini_batch_size=48, micro_batch_size=8,
                 generation_batch_size=128, dtype="bfloat16"),
    "cpu": dict(total_steps=1, batch_per_type=2, n_rollouts=2, max_new_tokens=16, seed_buffer_size=1,
                seeding_max_rounds=1, eval_tasks=4, mini_batch_size=12, micro_batch_size=6,
                generation_batch_size=16, dtype="float32", threads=1),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gpu_check", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"), help="cuda (default) or the CPU mode")
    parser.add_argument("--out", default=None, help="folder for the model and the run (default: a temporary one)")
    parser.add_argument("--wheels", default=None, help="folder of wheels for missing pure-Python dependencies")
    parser.add_argument("--skip-tests", action="store_true", help="do not run `pytest -m gpu` first")
    args = parser.parse_args(argv)

    try:
        import torch
    except ImportError:
        return _fail("torch is not installed; gpu-check needs torch and transformers preinstalled")
    if args.device == "cuda" and not torch.cuda.is_available():
        return _fail("no CUDA device (torch.cuda.is_available() is False): run on a machine with a CUDA GPU, "
                     "or pass --device cpu for the CPU mode")
    work = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="azr-gpu-check-"))
    work.mkdir(parents=True, exist_ok=True)
    missing = _prepare_imports(work, Path(args.wheels) if args.wheels else None)
    if missing:
        return _fail(f"missing {', '.join(missing)}: copy their wheels alongside (pip download {' '.join(missing)} "
                     "-d wheels/) and pass --wheels wheels/")

    started = time.perf_counter()
    if not args.skip_tests and args.device == "cuda":
        code = _run_gpu_tests(work)
        if code != 0:
            return _fail(f"the CUDA tests failed (pytest exit {code})")
    model_dir = build_qwen2_model(work / "model", SHAPES[args.device])
    metrics = run_selfplay(model_dir, work / "run", args.device)
    report = {**metrics, "device": _device_name(args.device), "wall_s": round(time.perf_counter() - started, 1)}
    (work / "gpu_check.json").write_text(json.dumps(report, indent=2))
    print(format_report(report))
    return 0


def _fail(message: str) -> int:
    print(f"gpu-check: {message}", file=sys.stderr)
    return 2


def _prepare_imports(work: Path, wheels: Path | None) -> list[str]:
    """Make the repository importable in place and return the core modules still missing."""
    links = work / "import-path"
    links.mkdir(exist_ok=True)
    for name, folder in IMPORT_NAME_TO_FOLDER.items():
        link = links / name
        if not link.exists():
            link.symlink_to(REPO / folder, target_is_directory=True)
    sys.path.insert(0, str(links))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(links), os.environ.get("PYTHONPATH")]))
    missing = [m for m in CORE_MODULES if importlib.util.find_spec(m) is None]
    if missing and wheels is not None:
        target = work / "wheel-deps"
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--find-links", str(wheels),
                        "--target", str(target), *missing], check=False)
        sys.path.insert(1, str(target))
        os.environ["PYTHONPATH"] += os.pathsep + str(target)
        missing = [m for m in CORE_MODULES if importlib.util.find_spec(m) is None]
    return missing


def _run_gpu_tests(work: Path) -> int:
    if importlib.util.find_spec("pytest") is None:
        print("gpu-check: pytest not installed, CUDA tests skipped", file=sys.stderr)
        return 0
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-m", "gpu", "-p", "no:cacheprovider",
                           "--rootdir", str(REPO), str(REPO / "tests")], cwd=work).returncode


def build_qwen2_model(out_dir: Path, shape: dict) -> Path:
    """A randomly initialised Qwen2ForCausalLM with the repository's byte-level tokenizer, saved as an HF folder."""
    import torch
    from azr_agents.micro import build_byte_tokenizer
    from transformers import Qwen2Config, Qwen2ForCausalLM

    tokenizer = build_byte_tokenizer()
    config = Qwen2Config(vocab_size=len(tokenizer), max_position_embeddings=4096, tie_word_embeddings=True,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, **shape)
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(config)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    return out_dir


def run_selfplay(model_dir: Path, run_dir: Path, device: str) -> dict:
    """A few self-play steps through the real trainer; returns throughput and peak memory."""
    import torch
    from azr_agents.config import load_config
    from azr_agents.trainer import main as train

    options = dict(model=str(model_dir), run_dir=str(run_dir), device=device, rollout_backend="hf",
                   progress="none", workers=2, save_every=1000, eval_every=1000, seed=0, resume=False,
                   allow_weak_sandbox=True,  # GPU containers often lack bubblewrap; a random model's text is harmless
                   **RUNS[device])
    config = load_config("cpu-micro", None, options)
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    train(config)
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in rows if "perf/gen_tokens_per_s" in r]
    if not steps:
        raise RuntimeError(f"no training step was logged in {run_dir / 'metrics.jsonl'}")
    mean = lambda key: sum(r.get(key, 0.0) for r in steps) / len(steps)  # noqa: E731
    peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else 0.0
    return {"steps": len(steps), "gen_tokens_per_s": round(mean("perf/gen_tokens_per_s"), 1),
            "train_tokens_per_s": round(mean("perf/train_tokens_per_s"), 1), "peak_gpu_memory_gib": round(peak, 2)}


def _device_name(device: str) -> str:
    import torch

    return torch.cuda.get_device_name(0) if device == "cuda" else "cpu"


def format_report(report: dict) -> str:
    rows = [("device", report["device"]), ("self-play steps", report["steps"]),
            ("generation tokens/s", report["gen_tokens_per_s"]), ("training tokens/s", report["train_tokens_per_s"]),
            ("peak GPU memory (GiB)", report["peak_gpu_memory_gib"]), ("wall time (s)", report["wall_s"])]
    return "\n".join(f"{name:<24}{value}" for name, value in rows)


if __name__ == "__main__":
    sys.exit(main())
