#!/usr/bin/env bash
# Installs the OpenRLHF training stack into its own venv (default .venv-train), apart from the core .venv.
#
# Why a separate venv: OpenRLHF 0.11.2 pins transformers==5.15.0 (and deepspeed 0.19.6, flash-attn 2.8.3,
# ray 2.55.0); evalplus in the core venv needs a protobuf/transformers combination that conflicts with it.
#
# Modes (TRAIN_ENV_MODE):
#   cpu  (default when nvidia-smi is absent) torch CPU wheel; flash-attn in its Python-only build mode
#        (FLASH_ATTENTION_SKIP_CUDA_BUILD=TRUE), deepspeed with DS_BUILD_OPS=0, vLLM's Python package without
#        its CUDA dependencies. Enough to import OpenRLHF and run tests/openrlhf on CPU (with a stand-in for
#        flash-attn's missing compiled module, see tests/openrlhf/conftest.py); not enough to train.
#   gpu  torch from PyPI (CUDA), flash-attn built/fetched normally, openrlhf[vllm] (vllm 0.29.0, torch 2.13.0).
set -euo pipefail

VENV="${TRAIN_VENV:-.venv-train}"
PYTHON="${PYTHON:-python3}"
# The one supported version: also pyproject.toml's `openrlhf` extra and azr_agents/openrlhf/compat.py (the entry
# point refuses any other at start-up); tests/openrlhf/test_openrlhf_compat.py keeps the three equal.
OPENRLHF_VERSION=0.11.2
if [ -z "${TRAIN_ENV_MODE:-}" ]; then
  if command -v nvidia-smi >/dev/null 2>&1; then TRAIN_ENV_MODE=gpu; else TRAIN_ENV_MODE=cpu; fi
fi
case "$TRAIN_ENV_MODE" in cpu|gpu) ;; *) echo "TRAIN_ENV_MODE must be cpu or gpu, got '$TRAIN_ENV_MODE'" >&2; exit 2;; esac

echo "[train-env] mode=$TRAIN_ENV_MODE venv=$VENV openrlhf=$OPENRLHF_VERSION ($(date -u +%FT%TZ))"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip)
"${PIP[@]}" install -q --upgrade pip wheel "setuptools>=77" packaging ninja psutil

if [ "$TRAIN_ENV_MODE" = cpu ]; then
  # torch==2.13.0 resolves to a local +cpu wheel where one is on the find-links path; elsewhere set
  # TORCH_CPU_INDEX=https://download.pytorch.org/whl/cpu to avoid the multi-GB CUDA build.
  "${PIP[@]}" install -q torch==2.13.0 ${TORCH_CPU_INDEX:+--extra-index-url "$TORCH_CPU_INDEX"}
  export FLASH_ATTENTION_SKIP_CUDA_BUILD=TRUE FLASH_ATTENTION_FORCE_BUILD=TRUE DS_BUILD_OPS=0
  echo "[train-env] flash-attn 2.8.3 (Python-only build) ($(date -u +%T))"
  "${PIP[@]}" install -q --no-build-isolation flash-attn==2.8.3
  echo "[train-env] deepspeed 0.19.6 (DS_BUILD_OPS=0) ($(date -u +%T))"
  "${PIP[@]}" install -q --no-build-isolation deepspeed==0.19.6
  echo "[train-env] openrlhf $OPENRLHF_VERSION ($(date -u +%T))"
  "${PIP[@]}" install -q "openrlhf==$OPENRLHF_VERSION"
  # vLLM's Python package only (its CUDA dependencies cannot install here), plus the pure-Python modules that
  # `import vllm`, `vllm.SamplingParams` and OpenRLHF's engine module need. Nothing in it runs on CPU.
  echo "[train-env] vllm 0.29.0 Python package, no dependencies ($(date -u +%T))"
  "${PIP[@]}" install -q --no-deps vllm==0.29.0
  "${PIP[@]}" install -q msgspec cbor2 pyzmq openai openai-harmony pybase64 cachetools uvloop
else
  "${PIP[@]}" install -q torch==2.13.0
  "${PIP[@]}" install -q --no-build-isolation flash-attn==2.8.3
  "${PIP[@]}" install -q "openrlhf[vllm]==$OPENRLHF_VERSION"
fi

# Our packages (azr_env, azr_agents) without the core extras: the train venv keeps OpenRLHF's pins.
echo "[train-env] azr-env (editable) + test tools ($(date -u +%T))"
"${PIP[@]}" install -q --no-deps -e .
"${PIP[@]}" install -q "gymnasium>=1.0" "pytest>=8" "pytest-timeout>=2.3"
"$VENV/bin/python" -c "import openrlhf, deepspeed, ray, transformers, torch; print('[train-env] ok: openrlhf',
  openrlhf.__file__, 'transformers', transformers.__version__, 'ray', ray.__version__, 'torch', torch.__version__)"
# The executor's full sandbox (bubblewrap): training refuses to start without it unless told otherwise.
if ! command -v bwrap >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "[train-env] installing bubblewrap ($(date -u +%T))"
  apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null || true
fi
if "$VENV/bin/python" -c "import sys; from azr_env.sandbox.isolation import bwrap_works; sys.exit(not bwrap_works())"; then
  echo "[train-env] sandbox: bubblewrap works"
else
  echo "[train-env] WARNING: bubblewrap is missing or unusable here (containers need unprivileged user namespaces);" \
    "training refuses to start on such a node unless --azr.allow_weak_sandbox 1 (see docs/openrlhf.md)" >&2
fi
touch "$VENV/.installed"
echo "[train-env] done ($(date -u +%FT%TZ)); size: $(du -sh "$VENV" | cut -f1)"
