"""One browser's workbench: `python -m bundlebench.serve.session [--read-only] BUNDLE`.

`bundlebench serve` runs this once per browser connection, with textual's web driver
speaking over stdin and stdout (so, unlike `bundlebench BUNDLE`, no terminal is needed).
"""

from __future__ import annotations

import argparse
import ctypes
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

PR_SET_PDEATHSIG = 1


def end_with_parent() -> None:
    """Have the kernel send SIGTERM when the server dies (the web driver then quits the
    app), so that no session outlives a server that was killed."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the server's shutdown still ends it
        pass


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bundlebench-session")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--read-only", action="store_true")
    args = parser.parse_args(argv)
    end_with_parent()

    from bundlebench.bundle.model import Bundle
    from bundlebench.errors import BundlebenchError
    from bundlebench.untrusted import visible

    try:
        bundle = Bundle.open(args.bundle)
    except BundlebenchError as error:
        print(f"bundlebench: {visible(error)}", file=sys.stderr)
        return 2
    from bundlebench.tui.app import BundlebenchApp

    BundlebenchApp(bundle, read_only=args.read_only).run()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
