"""SVG snapshots of the main screens (fixed size, fixed bundle, fixed mtimes, no clock).

After a deliberate change of the look: BUNDLEBENCH_UPDATE_SNAPSHOTS=1 pytest tests/tui
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from bundlebench.spec.problems import Problem
from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.widgets.rootfs_tree import RootfsTree
from tests.tui.helpers import SIZE, assert_snapshot, fixed_validator, settle

# Owners show as "builder (UID)": the checked-in pictures were taken as root (as CI runs).
pytestmark = pytest.mark.skipif(os.getuid() != 0, reason="snapshots are recorded as root")

PROBLEMS = [Problem("/hostname", "warning", "hostname without a UTS namespace", "add one")]


async def _at(app: BundlebenchApp, pilot, path: str) -> None:
    await settle(pilot, app)
    if path != "/":
        assert await app.query_one(RootfsTree).reveal(path)
    await settle(pilot, app)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("rootfs_start", "/"),
        # Plain text: pygments' token boundaries change between its releases, so the
        # highlighted preview is tested by test_highlighting_follows_the_file_name.
        ("rootfs_text_preview", "/etc/passwd"),
        ("rootfs_binary_preview", "/usr/bin/tool"),
        ("rootfs_hostile_link", "/etc/climb"),
        ("rootfs_fifo", "/run/pipe"),
    ],
)
def test_rootfs_screen(snapshot_bundle: Path, name: str, path: str) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(snapshot_bundle, validator=fixed_validator(PROBLEMS))
        async with app.run_test(size=SIZE) as pilot:
            await _at(app, pilot, path)
            assert_snapshot(app, name)

    asyncio.run(scenario())


def test_filter_results(snapshot_bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(snapshot_bundle, validator=fixed_validator(PROBLEMS))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            app.screen.action_filter()
            app.screen.query_one("#filter-input").value = "*.py"
            app.screen.start_search("*.py")
            await settle(pilot, app)
            app.screen.tree.focus()  # no blinking cursor in the picture
            await settle(pilot, app)
            assert_snapshot(app, "rootfs_filter")

    asyncio.run(scenario())


def test_directory_size(snapshot_bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(snapshot_bundle, validator=fixed_validator(PROBLEMS))
        async with app.run_test(size=SIZE) as pilot:
            await _at(app, pilot, "/var/many")
            await pilot.press("s")
            await settle(pilot, app)
            assert_snapshot(app, "rootfs_size")

    asyncio.run(scenario())


def test_help_screen(snapshot_bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(snapshot_bundle, validator=fixed_validator(PROBLEMS))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press("f1")
            await settle(pilot, app)
            assert_snapshot(app, "help")

    asyncio.run(scenario())


def test_quit_dialog(snapshot_bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(snapshot_bundle, validator=fixed_validator(PROBLEMS))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            app.dirty = True
            await pilot.press("q")
            await settle(pilot, app)
            assert_snapshot(app, "quit_unsaved")

    asyncio.run(scenario())
