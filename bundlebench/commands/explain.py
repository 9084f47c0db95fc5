"""`bundlebench explain POINTER`: what a config.json field means."""

from __future__ import annotations

import argparse
from typing import Any

HELP = "explain a config.json field, e.g. /linux/namespaces or /process/capabilities/bounding"


def register(subparsers: Any) -> None:
    """Add the `explain` subcommand."""
    parser = subparsers.add_parser(
        "explain",
        help=HELP,
        description=(
            "Show what a config.json field does, what the kernel or runtime does with it, "
            "an example, its allowed values and the fields below it. POINTER is a JSON "
            "Pointer such as /process/rlimits/0/hard; array indices may be given as *. "
            "Use / for the top level."
        ),
    )
    parser.add_argument("pointer", metavar="POINTER", help="JSON Pointer of the field")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the documentation of one field, or fail with a hint."""
    from bundlebench.errors import BundlebenchError
    from bundlebench.spec import fields

    pointer: str = args.pointer
    doc = fields.field_doc(pointer)
    if doc is None:
        hints = fields.suggest(pointer)
        hint = f"; did you mean {' or '.join(hints)}?" if hints else ""
        raise BundlebenchError(
            f"{pointer!r} is not a config.json field{hint} "
            "(run `bundlebench explain /` to see the top-level fields)"
        )
    from rich.console import Console

    from bundlebench.commands._explain_view import render

    Console().print(render(pointer, doc))
    return 0
