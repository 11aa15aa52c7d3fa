"""`azr exec`: run one program in the sandbox and print its ExecutionResult as JSON."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path

from azr_env.errors import ConfigError


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "exec",
        help="run a Python program in the sandboxed executor",
        description="Exec PROGRAM (a file path, '-' for stdin, or inline code with -c) in a fresh sandboxed "
        "process, evaluate EXPRESSION there, and print the result as JSON.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("program", nargs="?", help="path of a .py file, or '-' to read the program from stdin")
    source.add_argument("-c", "--code", help="the program as a string")
    parser.add_argument("-e", "--expression", default="None", help="expression evaluated after the program "
                        "(default: None), e.g. \"f('abc')\"")
    parser.add_argument("--timeout", type=float, default=10.0, help="wall-clock limit in seconds (default 10)")
    parser.add_argument("--memory-mb", type=int, default=1024, help="memory limit in MB (default 1024)")
    parser.add_argument("--isolation", choices=("auto", "bwrap", "fallback"), default="auto",
                        help="sandbox mode (default auto: bubblewrap when available)")
    parser.add_argument("--check-determinism", action="store_true",
                        help="evaluate the expression twice in the same process and compare")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from azr_env.executor import Executor

    if args.code is not None:
        program = args.code
    elif args.program == "-":
        program = sys.stdin.read()
    else:
        path = Path(args.program)
        if not path.is_file():
            raise ConfigError(f"program file {str(path)!r} does not exist (use -c CODE for inline code)")
        try:
            program = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"program file {str(path)!r} is not UTF-8 text: {exc.reason}") from None
    with Executor(workers=1, timeout_s=args.timeout, memory_mb=args.memory_mb, isolation=args.isolation) as ex:
        result = ex.run(program, args.expression, check_determinism=args.check_determinism)
    print(json.dumps(asdict(result), indent=2))
    return 0 if result.ok else 1
