"""`python benchmarks/trainer.py` (same as `azr bench trainer`). See the module it runs: azr_agents.benchmark."""

import sys

from azr_agents.benchmark import main

if __name__ == "__main__":
    sys.exit(main())
