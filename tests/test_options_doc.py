"""docs/options.md is generated from the config fields (scripts/gen_options_table.py) and kept up to date."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_committed_options_table_is_current_and_lists_every_option():
    from azr_agents.config import option_fields

    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_options_table.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr  # fix: python scripts/gen_options_table.py
    table = (ROOT / "docs" / "options.md").read_text()
    missing = [name for name in option_fields() if name != "preset" and f"| `{name}` |" not in table]
    assert not missing and "| `step.solver_batch_source` | `previous` |" in table
    assert "| `task.answer_mode` | `data` | `expression` |" in table  # the paper preset's column
