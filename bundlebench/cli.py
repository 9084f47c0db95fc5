"""The `bundlebench` command line."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from bundlebench import __version__
from bundlebench.commands import COMMANDS
from bundlebench.errors import BundlebenchError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bundlebench",
        description="Look inside, edit and run OCI container bundles.",
    )
    parser.add_argument("--version", action="version", version=f"bundlebench {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"bundlebench.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"bundlebench.commands.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except BundlebenchError as error:
        print(f"bundlebench: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("bundlebench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
