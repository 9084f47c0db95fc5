"""`bundlebench spec`: write a default config.json, as `runc spec` does."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "spec",
        help="write a default config.json (what `runc spec` writes, ociVersion 1.3.0)",
        description="Write a default config.json into a bundle directory. "
        "Arguments after -- replace process.args.",
    )
    parser.add_argument(
        "--rootless", action="store_true",
        help="a config for an unprivileged user (user namespace mapping your ids)",
    )
    parser.add_argument("--bundle", "-b", default=".", metavar="DIR",
                        help="the bundle directory (default: the current one)")
    parser.add_argument("--force", "-f", action="store_true",
                        help="overwrite an existing config.json")
    parser.add_argument("args", nargs="*", metavar="ARGS",
                        help="the command to run in the container (after --)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bundlebench.bundle.atomic import write_atomic
    from bundlebench.errors import BundlebenchError
    from runtime.defaults import default_config, dumps

    bundle = Path(args.bundle)
    if not bundle.is_dir():
        what = "does not exist" if not bundle.exists() else "is not a directory"
        raise BundlebenchError(f"bundle directory {bundle} {what}: create it first or fix --bundle")
    target = bundle / "config.json"
    if target.exists() and not args.force:
        raise BundlebenchError(
            f"{target} already exists: pass --force to overwrite it"
        )
    config = default_config(rootless=args.rootless, args=args.args or None)
    try:
        write_atomic(target, dumps(config).encode("utf-8"))
    except PermissionError:
        raise BundlebenchError(f"{target} cannot be written: permission denied") from None
    except OSError as error:
        raise BundlebenchError(f"{target} could not be written: {error.strerror}") from None
    print(f"wrote {target}")
    return 0
