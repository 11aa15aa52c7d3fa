"""HumanEval+ scoring, ours vs evalplus's evaluator: `python benchmarks/evals.py --help` (code: azr_evals.benchmark)."""

import sys

from azr_evals.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
