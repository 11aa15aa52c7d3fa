"""`azr serve`: serve a local model (HF backend) over an OpenAI-compatible HTTP API."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "serve",
        help="serve a local model with an OpenAI-compatible API (/v1/completions, /v1/chat/completions)",
        description="Serve a local Hugging Face model folder (or the cpu-micro model) over an OpenAI-compatible "
        "HTTP API. Loopback only by default.",
    )
    p.add_argument("--model", default="cpu-micro", help="'cpu-micro' or a local model folder (default: cpu-micro)")
    p.add_argument("--served-name", default=None, help="model name clients send (default: --model)")
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N (default auto)")
    p.add_argument("--dtype", default="auto", help="auto, float32, bfloat16, float16 (default auto)")
    p.add_argument("--batch-size", type=int, default=32, help="sequences generated together (default 32)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--cache-dir", default=None, help="where cpu-micro is cached (default ~/.cache/azr-env)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from azr_env.errors import require

    uvicorn = require("uvicorn", "serve", "azr serve")
    require("fastapi", "serve", "azr serve")
    import torch
    from azr_agents.hf import HFAgent
    from azr_agents.models import resolve_model
    from azr_agents.server import create_app

    if args.threads:
        torch.set_num_threads(args.threads)
    path = resolve_model(args.model, args.cache_dir)
    agent = HFAgent(path, device=args.device, dtype=args.dtype, batch_size=args.batch_size)
    name = args.served_name or args.model
    app = create_app(agent, name)
    print(f"azr serve: {name} ({path}) on http://{args.host}:{args.port}/v1", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    return 0
