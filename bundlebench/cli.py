"""The `bundlebench` command line."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bundlebench import __version__
from bundlebench.commands import COMMANDS
from bundlebench.errors import BundlebenchError
from bundlebench.untrusted import visible

OPEN_HELP = (
    "With no COMMAND, `bundlebench [BUNDLE]` opens the workbench (a terminal app) on BUNDLE, "
    "by default the current directory; `bundlebench --demo` opens the demo bundle, building "
    "it first. A bundle directory named like a command is opened as ./NAME."
)
READ_ONLY_HELP = ("open the workbench in read-only classroom mode: browse and edit in memory, "
                  "but nothing is launched, saved or typed into a container")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bundlebench",
        usage="bundlebench [-h] [--version] [--demo] [--read-only] [BUNDLE | COMMAND ...]",
        description="Look inside, edit and run OCI container bundles.",
        epilog=OPEN_HELP,
    )
    parser.add_argument("--version", action="version", version=f"bundlebench {__version__}")
    parser.add_argument("--demo", action="store_true",
                        help="open the workbench on the demo bundle (built on first use)")
    parser.add_argument("--read-only", action="store_true", help=READ_ONLY_HELP)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", prog="bundlebench")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"bundlebench.commands.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"bundlebench.commands.{name}":
                raise
            continue
        module.register(subparsers)
    return parser


def build_open_parser() -> argparse.ArgumentParser:
    """The parser for `bundlebench [--demo] BUNDLE` (the first word is no command)."""
    parser = argparse.ArgumentParser(prog="bundlebench", description=OPEN_HELP)
    parser.add_argument("bundle", metavar="BUNDLE", type=Path, help="the bundle directory")
    parser.add_argument("--demo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--read-only", action="store_true", help=READ_ONLY_HELP)
    return parser


def _command_names(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return set(action.choices)
    return set()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    if first is not None and first not in _command_names(parser):
        args = build_open_parser().parse_args(argv)
        args.func = _open
    else:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            args.bundle = None
            args.func = _open
    try:
        return int(args.func(args) or 0)
    except BundlebenchError as error:
        # Errors quote paths and names from bundles and images: shown, never obeyed.
        print(f"bundlebench: {visible(error)}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("bundlebench: interrupted", file=sys.stderr)
        return 130
    except OSError as error:  # a file the command did not expect to be unreadable
        print(f"bundlebench: {os_error_sentence(error)}", file=sys.stderr)
        return 2 if args.func.__module__.endswith(".validate") else 1
    except Exception as error:  # noqa: BLE001 - a bug: one sentence, never a traceback
        if os.environ.get("BUNDLEBENCH_DEBUG"):
            raise
        print(f"bundlebench: an internal error stopped the command ({visible(error)}): please "
              "report it as a bug, with the command you ran (BUNDLEBENCH_DEBUG=1 shows where)",
              file=sys.stderr)
        return 70  # EX_SOFTWARE


def os_error_sentence(error: OSError) -> str:
    """One sentence for an OSError: what could not be used, and why."""
    from bundlebench.untrusted import visible

    where = f" {visible(error.filename)}" if error.filename else ""
    if isinstance(error, PermissionError):
        return (f"cannot use{where}: permission denied; run as the user who owns it, or "
                "change its mode")
    return f"cannot use{where}: {error.strerror or error}"


def _open(args: argparse.Namespace) -> int:
    from bundlebench.tui.launch import open_app

    return open_app(args.bundle, demo=args.demo, read_only=args.read_only)


if __name__ == "__main__":
    raise SystemExit(main())
