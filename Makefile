# Two commands on a fresh machine: `make demo` and `make test`. Both create .venv and install into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
EXTRAS ?= dev,hf,eval,train,serve,multiagent

.PHONY: demo test test-fast lint bench install sandbox-deps clean gpu-check

$(VENV)/.installed: pyproject.toml setup.py constraints-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -c constraints-dev.txt torch==2.13.0
	$(PIP) install -q -c constraints-dev.txt -e ".[$(EXTRAS)]"
	touch $@

install: $(VENV)/.installed sandbox-deps

# bubblewrap gives the executor its network/pid namespaces; without it the executor warns and uses a weaker mode.
sandbox-deps:
	@command -v bwrap >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
		(apt-get update -qq && apt-get install -y -qq bubblewrap >/dev/null) || \
		echo "note: bubblewrap (bwrap) not installed; the executor will use its documented fallback isolation"; }

demo: install
	$(VENV)/bin/azr demo

test: install
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

test-fast: install
	$(PY) -m pytest -q -m "not slow"

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(VENV)/bin/azr bench executor

# For a machine with a CUDA GPU and only torch + transformers preinstalled (no `make install`, maybe no package
# index): the CUDA tests plus a few self-play steps on a small random Qwen2-shaped model; prints tokens/s and peak
# GPU memory. Without CUDA it exits non-zero with one line. GPU_CHECK_ARGS="--wheels DIR" for missing pure wheels.
gpu-check:
	$(PYTHON) scripts/gpu_check.py $(GPU_CHECK_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info

# Multi-GPU training stack (OpenRLHF 0.11.2, DeepSpeed, Ray, vLLM) in its own venv: its transformers pin conflicts
# with evalplus in .venv. On a machine without CUDA it installs the CPU test variant (docs/openrlhf.md).
TRAIN_VENV := .venv-train

.PHONY: train-env test-openrlhf

$(TRAIN_VENV)/.installed: scripts/install_train_env.sh
	TRAIN_VENV=$(TRAIN_VENV) PYTHON=$(PYTHON) bash scripts/install_train_env.sh

train-env: $(TRAIN_VENV)/.installed

test-openrlhf: train-env
	$(TRAIN_VENV)/bin/python -m pytest -q tests/openrlhf
