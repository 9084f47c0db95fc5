"""A small host app for the containers screen tests: a bundle, a runtime root, the screen."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot

from bundlebench.bundle.model import Bundle
from bundlebench.tui.screens.containers import ContainersScreen

SIZE = (120, 36)


class ContainersHost(App[None]):
    """Provides what ContainersScreen needs from the app: ``bundle`` and ``runtime_root``."""

    def __init__(self, bundle_dir: Path, root: Path | str,
                 screen: Callable[[], ContainersScreen] = ContainersScreen) -> None:
        super().__init__()
        self.bundle = Bundle.open(bundle_dir)
        self.runtime_root = str(root)
        self._make_screen = screen

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.push_screen(self._make_screen())

    @property
    def containers(self) -> ContainersScreen:
        screen = self.screen
        assert isinstance(screen, ContainersScreen)
        return screen


async def wait_for(pilot: Pilot, condition: Callable[[], Any], timeout: float = 15,
                   what: str = "condition") -> Any:
    """Let the app run until ``condition()`` is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await pilot.pause(0.05)
    from tests.tui.helpers import screen_text

    raise AssertionError(f"timed out waiting for {what}; the screen:\n"
                         f"{screen_text(pilot.app)}")


def run(coro: Any) -> None:
    asyncio.run(coro)
