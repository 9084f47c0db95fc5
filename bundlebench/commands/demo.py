"""`bundlebench demo [DIR]`: build (or reuse) a runnable demo bundle from the host."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="build a runnable demo bundle from the host's programs (no network)",
        description="Build a demo bundle from busybox, or /bin/sh and host tools with "
        "their shared libraries, and print how to run it. A second call reuses it.",
    )
    parser.add_argument("dir", metavar="DIR", type=Path, nargs="?",
                        help="where to put the bundle (default: a per-user cache directory)")
    parser.add_argument("--force", action="store_true", help="rebuild even if it exists")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from bundlebench.bundle.demo import build_demo

    console = Console(highlight=False)
    bundle = build_demo(args.dir, force=args.force)
    console.print(f"Demo bundle: [bold]{bundle}[/]")
    console.print(f"  rootfs:      {bundle / 'rootfs'}")
    console.print(f"  config.json: {bundle / 'config.json'}")
    console.print("Run it with the embedded runtime or with runc, as root:")
    console.print(f"  bundlebench-runtime run --bundle {bundle} demo")
    console.print(f"  runc run --bundle {bundle} demo")
    return 0
