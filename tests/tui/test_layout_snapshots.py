"""The layout from 80×24 to 250×70: snapshots of every screen at three sizes, and what must
stay on screen at every size (the footer, the list's columns, the tab row).

After a deliberate change of the look: BUNDLEBENCH_UPDATE_SNAPSHOTS=1 pytest tests/tui
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Footer, TabbedContent, Tabs

from bundlebench.containers.listing import ContainerRow
from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.screens.containers import ContainersScreen
from bundlebench.tui.screens.containers_launch import LaunchDialog
from tests.tui.containers_host import private_state  # noqa: F401 - a fixture
from tests.tui.helpers import assert_snapshot, fixed_validator, screen_text, settle

SIZES = [(80, 24), (120, 36), (200, 60)]
ALL_SIZES = [*SIZES, (250, 70)]
LONG_ID = "a-very-long-container-identifier-0123456789abcdef"

# pid 0 on the row under the cursor: nothing of the host's /proc gets inspected.
ROWS = [
    ContainerRow("bundle-1a2b", "running", 0, "/b", "2024-01-02 03:04:05", attachable=True,
                 this_bundle=True),
    ContainerRow("bundle-3c4d", "stopped", 0, "/b", "2024-01-02 03:05:00", exit_code=137,
                 signal="SIGKILL", this_bundle=True),
    ContainerRow(LONG_ID, "paused", 123456, "/o", "2024-01-02 04:00:00"),
    ContainerRow("other-9f00", "created", 4194304, "/o", "2024-01-02 04:10:00"),
]


class FixedContainers(ContainersScreen):
    """The containers screen over fixed rows and a fixed suggested id."""

    def list_containers(self) -> list[ContainerRow]:
        return list(ROWS)

    def _suggest_id(self) -> str:
        return "bundle-5e6f"


class LayoutApp(BundlebenchApp):
    MODES = {**BundlebenchApp.MODES, "containers": FixedContainers}


def tag(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


async def to_containers(pilot: Pilot, app: LayoutApp) -> None:
    await pilot.press("3")
    for _ in range(100):
        await settle(pilot, app)
        if isinstance(app.screen, ContainersScreen) and app.screen.table.row_count == 4:
            return
    raise AssertionError(f"no rows:\n{screen_text(app)}")


async def open_launch(pilot: Pilot, app: LayoutApp) -> None:
    await to_containers(pilot, app)
    await pilot.press("l")
    for _ in range(100):
        await settle(pilot, app)
        if isinstance(app.screen, LaunchDialog):
            await pilot.pause(0.2)
            return
    raise AssertionError(f"no launch dialog:\n{screen_text(app)}")


async def open_help(pilot: Pilot, app: LayoutApp) -> None:
    await pilot.press("f1")
    await settle(pilot, app)


async def open_quit(pilot: Pilot, app: LayoutApp) -> None:
    app.dirty = True
    await pilot.press("q")
    await settle(pilot, app)


async def to_config(pilot: Pilot, app: LayoutApp) -> None:
    await pilot.press("2")
    await settle(pilot, app)


async def stay(pilot: Pilot, app: LayoutApp) -> None:
    await settle(pilot, app)


SCENES: dict[str, Callable[[Pilot, LayoutApp], Awaitable[None]]] = {
    "rootfs": stay, "config": to_config, "containers": to_containers, "help": open_help,
    "launch": open_launch, "quit": open_quit}


def run_app(bundle: Path, root: Path, size: tuple[int, int],
            scene: Callable[[Pilot, LayoutApp], Awaitable[None]],
            check: Callable[[LayoutApp], Awaitable[None] | None]) -> None:
    async def scenario() -> None:
        app = LayoutApp(bundle, validator=fixed_validator())
        app.runtime_root = str(root)  # type: ignore[attr-defined]
        async with app.run_test(size=size) as pilot:
            await settle(pilot, app)
            await scene(pilot, app)
            result = check(app)
            if result is not None:
                await result

    asyncio.run(scenario())


@pytest.mark.skipif(os.getuid() != 0, reason="snapshots are recorded as root")
@pytest.mark.usefixtures("private_state")
@pytest.mark.parametrize("size", SIZES, ids=tag)
@pytest.mark.parametrize("scene", sorted(SCENES))
def test_layout_snapshot(snapshot_bundle: Path, tmp_path: Path, scene: str,
                         size: tuple[int, int]) -> None:
    run_app(snapshot_bundle, tmp_path / "no-root", size, SCENES[scene],
            lambda app: assert_snapshot(app, f"layout_{scene}_{tag(size)}"))


def assert_footer_on_screen(screen: Screen) -> None:
    footer = screen.query_one(Footer)
    region = footer.region
    assert region.height >= 1 and screen.region.contains_region(region), region


@pytest.mark.usefixtures("private_state")
@pytest.mark.parametrize("size", ALL_SIZES, ids=tag)
def test_what_stays_on_screen(snapshot_bundle: Path, tmp_path: Path,
                              size: tuple[int, int]) -> None:
    """The footer on every screen; the list's STATUS, PID and TIME headers; the tab row
    whole whichever tab is active."""

    async def check(app: LayoutApp) -> None:
        screen = app.screen
        assert isinstance(screen, ContainersScreen)
        assert_footer_on_screen(screen)
        header = next((line for line in screen_text(app).splitlines() if " ID " in line),
                      "")
        for column in ("STATUS", "PID", "TIME"):
            assert f" {column} " in header, (column, screen_text(app))
        table = screen.table
        assert screen.region.contains_region(table.region)
        tabs = screen.query_one("#containers-tabs", TabbedContent)
        pilot = Pilot(app)
        for pane in ("tab-terminal", "tab-inspect", "tab-lifecycle", "tab-logs"):
            tabs.active = pane
            await settle(pilot, app)
            row = screen.query_one("#containers-tabs Tabs", Tabs)
            assert screen.region.contains_region(row.region), (pane, row.region)
            scrolled = row.query_one("#tabs-scroll").scroll_x
            assert scrolled == 0, (pane, screen_text(app))  # no tab scrolled out of view
            text = screen_text(app)
            assert all(label in text for label in ("Terminal", "Inspect", "Lifecycle",
                                                   "Logs")), (pane, text)
            assert_footer_on_screen(screen)
        for key in ("1", "2"):
            await pilot.press(key)
            await settle(pilot, app)
            assert_footer_on_screen(app.screen)

    run_app(snapshot_bundle, tmp_path / "no-root", size, to_containers, check)
