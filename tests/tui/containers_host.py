"""A small host app for the containers screen tests: a bundle, a runtime root, the screen."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot

from bundlebench.bundle.model import Bundle
from bundlebench.tui.screens.containers import ContainersScreen

SIZE = (120, 36)


@pytest.fixture
def private_state(tmp_path_factory: pytest.TempPathFactory,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The launch dialog remembers choices under XDG_STATE_HOME: a private one per test."""
    state = tmp_path_factory.mktemp("xdg-state")
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    yield state


class ContainersHost(App[None]):
    """Provides what ContainersScreen needs from the app: ``bundle``, ``runtime_root`` and
    ``dirty`` (True: the bundle's config document holds unsaved edits)."""

    dirty = False

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


async def launch_with_dialog(pilot: Pilot, key: str = "l") -> Any:
    """Press ``key`` (launch or create) and accept the launch dialog as it stands."""
    from bundlebench.tui.screens.containers_launch import LaunchDialog

    await pilot.press(key)
    dialog = await wait_for(pilot, lambda: isinstance(pilot.app.screen, LaunchDialog)
                            and pilot.app.screen, what="the launch dialog")
    await pilot.pause()
    dialog.action_submit()
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, LaunchDialog),
                   what="the dialog to close")
    return dialog


def run(coro: Any) -> None:
    asyncio.run(coro)
