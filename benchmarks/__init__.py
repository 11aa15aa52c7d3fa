"""Performance benchmarks of azr-env (import name `azr_benchmarks`): each module prints a table or ratios.

Run one with `azr bench NAME` (the registry is `azr_benchmarks.bench_cmd.BENCHMARKS`), `python -m
azr_benchmarks.NAME` or, in a checkout, `python benchmarks/NAME.py`. Benchmarks measure; tests assert (no timed
assertions in tests/).
"""
