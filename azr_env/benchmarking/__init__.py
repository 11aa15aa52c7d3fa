"""The executor benchmark and its workload, until they move to `benchmarks/` (`azr_benchmarks`) like the others.

Nothing in `azr_env` imports this package; `azr bench executor` runs it through `benchmarks/executor.py`.
"""
