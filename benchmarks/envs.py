"""Env and round-API throughput: `python benchmarks/envs.py` (same as `azr bench envs`). See the module it runs."""

import sys

from azr_env.benchmarking.envs_bench import main

if __name__ == "__main__":
    sys.exit(main())
