"""`python -m azr_evals.lm_eval_bridge ...`: lm-eval's CLI with the `azr` model registered and our task folder on
the include path, e.g.

    python -m azr_evals.lm_eval_bridge run --model azr --model_args backend=hf,model=PATH --tasks amc23_azr
"""

from __future__ import annotations

import sys

from azr_evals.lm_eval_bridge import TASKS_DIR, register


def main(argv: list[str] | None = None) -> None:
    register()
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--include_path" not in argv and any(a in ("run", "ls", "validate") for a in argv[:1]):
        argv += ["--include_path", str(TASKS_DIR)]
    sys.argv = ["lm_eval", *argv]
    from lm_eval.__main__ import cli_evaluate

    cli_evaluate()


if __name__ == "__main__":
    main()
