"""Editor manners: ← and → in the config tree, a removed section named (ctrl+z brings it
back), save and quit, and the theme and the config view remembered between runs."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.screens.config import ConfigScreen
from bundlebench.tui.screens.confirm import QuitScreen
from bundlebench.tui.settings import load_settings, save_setting, settings_path
from tests.tui.helpers import SIZE, fixed_validator, settle


def run(coro) -> None:
    asyncio.run(coro)


async def config_screen(pilot, app: BundlebenchApp) -> ConfigScreen:
    await settle(pilot, app)
    await pilot.press("2")
    await settle(pilot, app)
    screen = app.screen
    assert isinstance(screen, ConfigScreen)
    return screen


def messages(app: BundlebenchApp) -> list[str]:
    return [notification.message for notification in app._notifications]


def test_left_collapses_and_right_expands(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            screen = await config_screen(pilot, app)
            tree = screen.tree
            tree.select_pointer("/process")
            await pilot.pause()
            node = tree.cursor_node
            assert node is not None and node.data == "/process" and not node.is_expanded
            await pilot.press("right")
            await pilot.pause()
            assert node.is_expanded and node.children
            await pilot.press("right")  # open: → goes to the first child
            await pilot.pause()
            assert tree.cursor_node is node.children[0]
            await pilot.press("left")  # a leaf: ← goes to the parent
            await pilot.pause()
            assert tree.cursor_node is node and node.is_expanded
            await pilot.press("left")  # open: ← collapses it
            await pilot.pause()
            assert tree.cursor_node is node and not node.is_expanded

    run(scenario())


def test_removing_a_section_names_it_and_ctrl_z_brings_it_back(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            screen = await config_screen(pilot, app)
            session = screen.session
            assert session is not None
            before = session.get("/process")
            screen.tree.select_pointer("/process")
            await pilot.pause()
            await pilot.press("x")
            await settle(pilot, app)
            assert not session.exists("/process")
            assert any("Removed process {" in m and "ctrl+z brings it back" in m
                       for m in messages(app)), messages(app)
            await pilot.press("ctrl+z")
            await settle(pilot, app)
            assert session.get("/process") == before

    run(scenario())


def test_the_quit_dialog_saves_and_quits(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            screen = await config_screen(pilot, app)
            await screen.apply_edit("set", "/hostname", "saved-on-quit")
            await settle(pilot, app)
            assert app.dirty
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, QuitScreen)
            await pilot.press("s")
            await pilot.pause()
            assert app._exit

    run(scenario())
    assert json.loads((bundle / "config.json").read_text())["hostname"] == "saved-on-quit"


def test_the_quit_dialog_can_still_stay_or_quit_without_saving(bundle: Path) -> None:
    original = (bundle / "config.json").read_text()

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            screen = await config_screen(pilot, app)
            await screen.apply_edit("set", "/hostname", "never-saved")
            await settle(pilot, app)
            await pilot.press("q")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            assert not app._exit and app.screen is screen
            await pilot.press("q")
            await pilot.pause()
            await pilot.click("#quit-quit")
            await pilot.pause()
            assert app._exit

    run(scenario())
    assert (bundle / "config.json").read_text() == original


def test_the_theme_and_the_config_view_persist_across_runs(bundle: Path,
                                                           private_config_home: Path) -> None:
    async def first() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await config_screen(pilot, app)
            app.theme = "nord"
            await pilot.press("ctrl+r")  # the raw JSON view
            await settle(pilot, app)

    async def second() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert app.theme == "nord"
            screen = await config_screen(pilot, app)
            assert screen.showing_raw

    run(first())
    path = private_config_home / "bundlebench" / "settings.json"
    assert settings_path() == path
    assert json.loads(path.read_text()) == {"theme": "nord", "config_view": "raw"}
    assert path.stat().st_mode & 0o777 == 0o600
    run(second())


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"x" * 100_000,
                                     b"[" * 100_000, b'{"theme": 42}'])
def test_a_broken_settings_file_is_ignored_with_a_notice(bundle: Path, content: bytes) -> None:
    path = settings_path()
    path.parent.mkdir(parents=True)
    path.write_bytes(content)

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert app.theme == "textual-dark"
            if content != b'{"theme": 42}':  # a value of the wrong type is left out quietly
                assert any("Ignored the settings" in m for m in messages(app)), messages(app)
            app.theme = "nord"  # the broken file is replaced
            await pilot.pause()

    run(scenario())
    assert load_settings() == ({"theme": "nord"}, None)


def test_a_fifo_or_a_directory_as_settings_never_blocks_or_crashes() -> None:
    path = settings_path()
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    settings, notice = load_settings()
    assert settings == {} and notice and "not a regular file" in notice
    path.unlink()
    path.mkdir()
    settings, notice = load_settings()
    assert settings == {} and notice
    assert save_setting("theme", "nord")  # a sentence, not an exception
