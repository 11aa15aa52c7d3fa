"""Benchmark implementations shared by `benchmarks/*.py` scripts and `azr bench` (so an installed wheel has them)."""
