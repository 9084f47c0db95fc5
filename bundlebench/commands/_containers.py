"""Shared pieces of the container commands (run, attach, ps, exec, kill, rm)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TypeVar

from bundlebench.errors import BundlebenchError

T = TypeVar("T")


def add_root_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", metavar="DIR",
                        help="runtime state root (default /run/bundlebench, or "
                        "$XDG_RUNTIME_DIR/bundlebench as a user)")


def runtime_api(root: str | None) -> Any:
    from bundlebench.containers.launch import runtime_root
    from runtime.api import Runtime

    return Runtime(root=runtime_root(root))


def runtime_call(action: Callable[[], T]) -> T:
    """Run a runtime API call, turning its failure into our one-sentence error."""
    from runtime.errors import RuntimeFailure

    try:
        return action()
    except RuntimeFailure as error:
        raise BundlebenchError(str(error)) from None
