"""Helpers for driving the app in tests: plain screen text, waiting, SVG snapshots."""

from __future__ import annotations

import io
import os
from pathlib import Path

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot

SNAPSHOT_DIR = Path(__file__).parent / "__snapshots__"
UPDATE_ENV = "BUNDLEBENCH_UPDATE_SNAPSHOTS"
SIZE = (120, 36)


def screen_text(app: App) -> str:
    """What the terminal shows right now, as plain text."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True,
                      force_terminal=True, color_system="truecolor", legacy_windows=False)
    console.print(app.screen._compositor.render_update(
        full=True, screen_stack=app._background_screens))
    return console.export_text()


async def settle(pilot: Pilot, app: App) -> None:
    """Wait until no worker runs (workers may start others) and the screen is repainted."""
    quiet = 0
    for _ in range(200):
        await app.workers.wait_for_complete()
        await pilot.pause()
        busy = any(not worker.is_finished for worker in app.workers)
        quiet = 0 if busy else quiet + 1
        if quiet >= 2:
            break
    await pilot.pause(0.05)


def assert_snapshot(app: App, name: str) -> None:
    """Compare an SVG screenshot with tests/tui/__snapshots__/NAME.svg.

    Set BUNDLEBENCH_UPDATE_SNAPSHOTS=1 to (re)write the files after a deliberate change.
    """
    svg = app.export_screenshot(title="bundlebench")
    path = SNAPSHOT_DIR / f"{name}.svg"
    if os.environ.get(UPDATE_ENV) or not path.exists():
        SNAPSHOT_DIR.mkdir(exist_ok=True)
        path.write_text(svg)
        return
    if path.read_text() != svg:
        actual = path.with_suffix(".actual.svg")
        actual.write_text(svg)
        raise AssertionError(
            f"{name}: the screen differs from {path}; see {actual}, and rerun with "
            f"{UPDATE_ENV}=1 if the change is intended"
        )


def fixed_validator(problems: list | None = None):
    """A validator that always answers ``problems`` (the header stays the same)."""
    answer = list(problems or [])
    return lambda config, bundle_dir: list(answer)
