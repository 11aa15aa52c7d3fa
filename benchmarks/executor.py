"""Executor benchmark: `python benchmarks/executor.py` (same as `azr bench executor`). See the module it runs."""

import sys

from azr_env.benchmarking.executor_bench import main

if __name__ == "__main__":
    sys.exit(main())
