"""The `bundlebench-runtime` command line (runc-compatible)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from runtime import OCI_VERSION, __version__

USAGE = """\
usage: bundlebench-runtime [--root DIR] COMMAND [ARGS...]

An OCI runtime written in Python, with runc's command line.
The lifecycle commands (create, start, run, state, kill, delete, exec) are being built.
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["--version"], ["-v"]):
        print(f"bundlebench-runtime version {__version__}\nspec: {OCI_VERSION}")
        return 0
    print(USAGE, end="", file=sys.stdout if not args or args[0] in ("-h", "--help") else sys.stderr)
    return 0 if not args or args[0] in ("-h", "--help") else 2


if __name__ == "__main__":
    raise SystemExit(main())
