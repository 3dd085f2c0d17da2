"""``python -m segcore``: one sub-command per file in this package.

Exit codes: 0 success, 1 an error the user can fix (one ``error: ...`` line on stderr),
2 a usage error (argparse), 130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

from ..errors import SegcoreError

__all__ = ["main", "console_main"]

COMMANDS = ("predict", "prelabel", "train", "models", "convert", "eval", "cutout", "prompt", "users")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="segcore",
                                     description="Semantic segmentation, label formats and metrics.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = import_module(f".{name}", __name__)
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except SegcoreError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except OSError as e:  # disk full, read-only folder...: the user can fix it
        where = f" ({e.filename})" if getattr(e, "filename", None) else ""
        print(f"error: {e.strerror or e}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130


def console_main() -> None:
    """Entry point of the ``segcore`` console script."""
    raise SystemExit(main())
