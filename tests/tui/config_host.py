"""A small host app for the config screen tests (the real app's contract, nothing more)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.reactive import reactive

from bundlebench.bundle.model import Bundle
from bundlebench.spec.problems import Problem
from bundlebench.tui.screens.config import ConfigScreen
from runtime.defaults import default_config, dumps

SIZE = (120, 40)
APP_CSS = Path(__file__).resolve().parents[2] / "bundlebench" / "tui" / "app.tcss"


def make_bundle(root: Path, config: dict[str, Any] | None = None) -> Path:
    """A bundle dir with a rootfs holding only /bin/sh and ``config`` (default: runc's default)."""
    bundle = root / "bundle"
    (bundle / "rootfs" / "bin").mkdir(parents=True)
    shell = bundle / "rootfs" / "bin" / "sh"
    shell.write_text("#!/bin/sh\n")
    shell.chmod(0o755)
    (bundle / "config.json").write_text(dumps(config or default_config()))
    return bundle


class HostApp(App[None]):
    """Provides what ConfigScreen needs from the app: bundle, problems, dirty, validating."""

    CSS_PATH = APP_CSS

    problems: reactive[list[Problem] | None] = reactive(None, always_update=True)
    dirty: reactive[bool] = reactive(False)
    validating: reactive[bool] = reactive(False)

    def __init__(self, bundle_dir: Path) -> None:
        super().__init__()
        self.bundle = Bundle.open(bundle_dir)

    def on_mount(self) -> None:
        self.theme = "textual-dark"
        self.push_screen(ConfigScreen())

    @property
    def config_screen(self) -> ConfigScreen:
        screen = self.screen
        assert isinstance(screen, ConfigScreen)
        return screen


def run(coro: Any) -> None:
    """Run one async test scenario."""
    asyncio.run(coro)


async def ready(pilot: Pilot, app: HostApp) -> ConfigScreen:
    """Wait for the config screen to be shown and idle."""
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    return app.config_screen


async def go(pilot: Pilot, screen: ConfigScreen, pointer: str, *, focus_value: bool = True
             ) -> None:
    """Select a field as the problems panel would, and wait."""
    await screen.go_to(pointer, focus_value=focus_value)
    await pilot.pause()


def saved(bundle_dir: Path) -> dict[str, Any]:
    """config.json as it is on disk."""
    return json.loads((bundle_dir / "config.json").read_text())
