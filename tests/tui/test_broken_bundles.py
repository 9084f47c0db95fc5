"""Broken bundles open for repair: a config.json that does not parse, none, no rootfs."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from textual.widgets import Button, Static

from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.screens.config import ConfigScreen
from bundlebench.tui.screens.confirm import ConfirmScreen
from bundlebench.tui.screens.make_dialogs import PathsDialog
from bundlebench.tui.screens.rootfs import RootfsScreen
from bundlebench.tui.widgets.rootfs_repair import RootfsRepair
from bundlebench.tui.widgets.rootfs_tree import RootfsTree
from tests.tui.broken_helpers import (
    as_nobody,
    no_config,
    no_rootfs,
    rootfs_tarball,
    saved,
    truncated_config,
)
from tests.tui.helpers import fixed_validator, screen_text, settle

SIZE = (120, 36)


def run(coro) -> None:
    asyncio.run(coro)


def raw_status(screen: ConfigScreen) -> str:
    return str(screen.raw.query_one("#raw-status", Static).render())


def test_a_truncated_config_opens_in_the_raw_editor_at_the_error(tmp_path: Path) -> None:
    bundle = truncated_config(tmp_path / "bundle")
    broken = (bundle / "config.json").read_text()

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            screen = app.screen
            assert isinstance(screen, ConfigScreen) and screen.showing_raw
            area = screen.raw.text_area
            assert area.text == broken
            assert app.focused is area
            assert area.cursor_location == (5, 13)  # line 6, column 14, counted from 1
            assert "Invalid JSON at line 6, column 14" in raw_status(screen)
            assert "fields wait until it parses" in raw_status(screen)
            assert screen.tree.disabled and screen.form.disabled
            assert "is not valid JSON" in screen_text(app)  # the problems panel says it
            assert "1 error" in screen_text(app)
            await pilot.press("ctrl+s")  # refused: the text is not a config yet
            await settle(pilot, app)
            assert (bundle / "config.json").read_text() == broken
            # Finish the text: the fields come back, and it saves atomically.
            area.move_cursor(area.document.end)
            area.insert('"fixed"\n}\n')
            await settle(pilot, app)
            assert "valid JSON" in raw_status(screen)
            assert not screen.tree.disabled and not screen.form.disabled
            assert app.bundle.config_trouble is None and app.dirty
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            assert saved(bundle)["hostname"] == "fixed"
            assert (bundle / "config.json.bak").read_text() == broken
            assert not app.dirty
            await pilot.press("ctrl+r")
            await settle(pilot, app)
            assert "/hostname" in screen.tree._by_pointer
            # The rootfs screen, which waited for root.path, shows the rootfs now.
            await pilot.press("1")
            await settle(pilot, app)
            assert app.screen.query(RootfsTree) and not app.screen.query(RootfsRepair)

    run(scenario())


def test_deeply_nested_json_is_one_sentence(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    (bundle / "rootfs").mkdir(parents=True)
    (bundle / "config.json").write_text("[" * 50_000)

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert "nests deeper than 64 levels at /0/0/0/0/0/0/…" in raw_status(app.screen)

    run(scenario())


def test_no_config_offers_the_default(tmp_path: Path) -> None:
    bundle = no_config(tmp_path / "bundle")

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            screen = app.screen
            assert isinstance(screen, ConfigScreen)
            assert "has no config.json" in screen_text(app)
            await pilot.press("ctrl+s")  # nothing to save
            await settle(pilot, app)
            assert not (bundle / "config.json").exists()
            await pilot.click("#write-default")
            await settle(pilot, app)
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("n")  # not now: nothing written
            await settle(pilot, app)
            assert not (bundle / "config.json").exists()
            await pilot.click("#write-default")
            await settle(pilot, app)
            await pilot.click("#confirm-yes")
            await settle(pilot, app)
            config = saved(bundle)
            rootless = any(n["type"] == "user" for n in config["linux"]["namespaces"])
            assert rootless == (os.geteuid() != 0)
            assert screen.query_one("#config-switcher").current == "config-fields"
            assert "/process" in screen.tree._by_pointer
            await pilot.press("1")
            await settle(pilot, app)
            assert await app.screen.query_one(RootfsTree).reveal("/etc/hostname")

    run(scenario())


def test_a_missing_rootfs_is_made_from_a_tarball(tmp_path: Path) -> None:
    bundle = no_rootfs(tmp_path / "bundle")
    tarball = rootfs_tarball(tmp_path / "root.tar.gz")

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert isinstance(app.screen, RootfsScreen)
            text = screen_text(app)
            assert "root.path 'rootfs' does not exist" in text
            assert "Filter" not in text  # the browsing keys wait for a rootfs
            await pilot.press("2")  # the config screen works meanwhile
            await settle(pilot, app)
            assert app.screen.session.get("/hostname") == "no-rootfs"
            await pilot.press("1")
            await settle(pilot, app)
            await pilot.click("#make-from-tarball")
            await settle(pilot, app)
            dialog = app.screen
            assert isinstance(dialog, PathsDialog)
            dialog.query_one("#path-source").value = str(tarball)
            await pilot.click("#paths-ok")
            await settle(pilot, app)
            assert (bundle / "rootfs/etc/hostname").read_text() == "from-tarball\n"
            assert sorted(os.listdir(bundle)) == ["config.json", "rootfs"]
            assert isinstance(app.screen, RootfsScreen)
            assert await app.screen.query_one(RootfsTree).reveal("/etc/hostname")

    run(scenario())


def test_a_missing_rootfs_is_made_from_an_image(tmp_path: Path) -> None:
    from tests.unit.image_helpers import D, F, write_oci_layout

    bundle = no_rootfs(tmp_path / "bundle")
    write_oci_layout(tmp_path / "img", [{"layers": [[D("etc"), F("etc/os", b"image\n")]]}])

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.click("#make-from-image")
            await settle(pilot, app)
            app.screen.query_one("#path-source").value = str(tmp_path / "img")
            await pilot.click("#paths-ok")
            await settle(pilot, app)
            assert (bundle / "rootfs/etc/os").read_text() == "image\n"
            assert saved(bundle)["hostname"] == "no-rootfs"  # the config stays
            assert app.screen.query(RootfsTree)

    run(scenario())


def test_a_symlinked_root_path_is_refused_and_fixed_on_the_config_screen(
        tmp_path: Path) -> None:
    bundle = no_rootfs(tmp_path / "bundle")
    (bundle / "real").mkdir()
    (bundle / "rootfs").symlink_to("real")

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert "passes through a symlink" in screen_text(app)
            assert not app.screen.query(Button)  # nothing is made over the user's link
            await pilot.press("2")
            await settle(pilot, app)
            await app.screen.apply_edit("set", "/root/path", "real")
            await pilot.press("ctrl+s")
            await settle(pilot, app)
            await pilot.press("1")
            await settle(pilot, app)
            assert app.screen.query(RootfsTree)

    run(scenario())


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root: makes a rootfs of root's and "
                    "opens it as a plain user (uid 65534)")
def test_an_unreadable_rootfs_as_a_plain_user(tmp_path: Path) -> None:
    # pytest's own tmp dirs are private to root: a plain user must reach this one
    top = Path(tempfile.mkdtemp(prefix="bundlebench-plain-", dir="/tmp"))
    try:
        bundle = no_rootfs(top / "bundle")

        async def scenario(expect_unreadable: bool) -> None:
            app = BundlebenchApp(bundle, validator=fixed_validator())
            async with app.run_test(size=SIZE) as pilot:
                await settle(pilot, app)
                text = screen_text(app)
                if not expect_unreadable:
                    assert app.screen.query(RootfsTree)
                    return
                assert "root.path 'rootfs' cannot be read" in text
                assert "permission denied" in text
                assert not app.screen.query(Button)  # nothing is made over it
                await pilot.press("2")
                await settle(pilot, app)
                assert app.screen.session.get("/hostname") == "no-rootfs"

        (bundle / "rootfs").mkdir()
        run(scenario(False))  # as root first: loads every module the child needs
        (bundle / "rootfs").chmod(0o700)
        for path in (top, bundle):
            path.chmod(0o755)
        as_nobody(lambda: run(scenario(True)))
    finally:
        shutil.rmtree(top)


def test_the_palette_lists_the_make_commands(tmp_path: Path) -> None:
    from bundlebench.tui.commands import palette_commands

    bundle = no_rootfs(tmp_path / "bundle")

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            titles = {c.title: c.action for c in palette_commands(app.screen)}
            assert titles["New bundle from rootfs tarball…"] == "new_bundle"
            assert titles["Unpack OCI image or docker archive…"] == "unpack_image"
            assert titles["Write default config.json…"] == "write_default_config"

    run(scenario())
