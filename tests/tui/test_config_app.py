"""The config screen inside the real app: header, dirty marker, quit check, snapshot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.screens.config import ConfigScreen
from bundlebench.tui.widgets.bundle_header import BundleHeader
from runtime.defaults import default_config
from tests.tui.config_host import make_bundle, run
from tests.tui.helpers import SIZE, assert_snapshot, screen_text, settle

SNAPSHOT_ROOT = Path("/tmp/bundlebench-tui-snapshots/config")


async def open_config(pilot, app: BundlebenchApp) -> ConfigScreen:
    await settle(pilot, app)
    await pilot.press("2")
    await settle(pilot, app)
    assert isinstance(app.screen, ConfigScreen)
    return app.screen


def test_config_screen_in_the_app(tmp_path: Path) -> None:
    # A config the user running the test could run: validate == run on this host.
    config = default_config(rootless=os.geteuid() != 0)

    async def scenario() -> None:
        app = BundlebenchApp(make_bundle(tmp_path, config))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_config(pilot, app)
            assert len(screen.query(BundleHeader)) == 1
            assert app.problems == []
            await screen.go_to("/process/user/uid", focus_value=True)
            await pilot.pause()
            await pilot.press("backspace", "minus", "1")
            await pilot.pause()
            assert app.dirty
            assert [p.pointer for p in app.problems] == ["/process/user/uid"]
            text = screen_text(app)
            assert "unsaved changes" in text and "1 error" in text
            # The rootfs screen and back: the edits are still there.
            screen.tree.focus()
            await pilot.press("1")
            await settle(pilot, app)
            await pilot.press("2")
            await settle(pilot, app)
            assert app.screen is screen
            assert screen.session.get("/process/user/uid") == -1
            assert [p.pointer for p in app.problems] == ["/process/user/uid"]

    run(scenario())


def test_quitting_with_unsaved_edits_asks(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_config(pilot, app)
            await screen.apply_edit("set", "/hostname", "edited")
            screen.tree.focus()
            await pilot.press("q")
            await pilot.pause()
            assert app.is_running and app.screen is not screen  # the question
            await pilot.press("n")
            await pilot.pause()
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert not app.dirty
            await pilot.press("q")
            await pilot.pause()
            assert not app.is_running

    run(scenario())


# Snapshots are recorded as root in a fixed /tmp path (the header shows the bundle path).
@pytest.mark.skipif(os.getuid() != 0, reason="snapshots are recorded as root")
def test_snapshot_config_screen() -> None:
    """The config screen at 120x36 on a fixed bundle, one field in error."""
    config = default_config()
    config["hostname"] = "snapshot"
    config["process"]["user"]["uid"] = -1
    if SNAPSHOT_ROOT.exists():
        shutil.rmtree(SNAPSHOT_ROOT)
    SNAPSHOT_ROOT.mkdir(parents=True)

    async def scenario() -> None:
        app = BundlebenchApp(make_bundle(SNAPSHOT_ROOT, config))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_config(pilot, app)
            await screen.go_to("/process/user/uid")
            screen.tree.focus()
            await settle(pilot, app)
            assert_snapshot(app, "config_screen")

    try:
        run(scenario())
    finally:
        shutil.rmtree(SNAPSHOT_ROOT, ignore_errors=True)


def test_palette_in_the_app_has_keys_and_quick_actions(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await open_config(pilot, app)
            screen.tree.focus()
            for query in ("raw json", "make rootless"):
                await pilot.press("ctrl+p")
                await pilot.pause()
                await pilot.press(*query)
                await pilot.pause(0.3)
                await pilot.press("enter")
                await settle(pilot, app)
            assert screen.showing_raw
            assert '"user"' in screen.raw.text  # rootless and shown in the raw view
            assert screen.session.get("/linux/uidMappings/0/containerID") == 0

    run(scenario())
