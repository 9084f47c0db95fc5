"""Open the app from the command line: pick the bundle, check it, then import textual."""

from __future__ import annotations

import sys
from pathlib import Path

from bundlebench.errors import BundlebenchError


def resolve_bundle(target: Path | None, *, demo: bool) -> Path:
    """The bundle directory to open, building the demo bundle when asked."""
    if demo:
        from bundlebench.bundle.demo import build_demo, default_demo_dir, is_demo_complete

        if not is_demo_complete(default_demo_dir()):
            print("bundlebench: building the demo bundle (once)…", file=sys.stderr)
        return build_demo()
    if target is not None:
        return target
    cwd = Path.cwd()
    if not (cwd / "config.json").is_file():
        raise BundlebenchError(
            f"{cwd} is not a bundle (it has no config.json): pass a bundle directory, "
            "e.g. `bundlebench ./oci-bundle`, or try `bundlebench --demo`",
            exit_code=2,
        )
    return cwd


def open_app(target: Path | None, *, demo: bool = False, read_only: bool = False) -> int:
    """Run the workbench on a bundle; errors are BundlebenchError sentences."""
    from bundlebench.bundle.model import Bundle

    bundle = Bundle.open(resolve_bundle(target, demo=demo))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise BundlebenchError(
            "the workbench needs a terminal: run it in one, or use a subcommand "
            "such as `bundlebench validate` in scripts",
            exit_code=2,
        )
    from bundlebench.tui.app import BundlebenchApp

    BundlebenchApp(bundle, read_only=read_only).run()
    return 0
