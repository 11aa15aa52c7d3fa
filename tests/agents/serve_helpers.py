"""A real `azr serve` process on loopback for the HTTP client and trainer tests (shared by both)."""

import socket
import subprocess
import sys
import time
from contextlib import contextmanager

import httpx
import pytest

LAUNCH = (
    "import argparse, sys\n"
    "from azr_agents.commands import serve_cmd\n"
    "p = argparse.ArgumentParser(); serve_cmd.add_parser(p.add_subparsers())\n"
    "a = p.parse_args(sys.argv[1:]); sys.exit(a.func(a))\n"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(model_dir):
    """`azr serve` in a subprocess on a free loopback port; yields the /v1 URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "serve", "--model", str(model_dir), "--served-name", "micro",
         "--port", str(port), "--device", "cpu", "--threads", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.time() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"azr serve exited: {proc.stdout.read()}")
            if time.time() > deadline:
                pytest.fail("azr serve did not come up in 90 s")
            try:
                if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)
