"""`python benchmarks/learning.py` (same as `azr bench learning`). See the module it runs: azr_agents.learning_bench."""

import sys

from azr_agents.learning_bench import main

if __name__ == "__main__":
    sys.exit(main())
