"""The app shell: header, screens, help, palette, themes, quitting with unsaved edits."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.command import CommandPalette

from bundlebench.spec.problems import Problem
from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.commands import SYSTEM_ACTIONS, palette_commands
from bundlebench.tui.screens.confirm import ConfirmScreen
from bundlebench.tui.screens.goto import GotoScreen
from bundlebench.tui.screens.help import HelpScreen
from bundlebench.tui.screens.rootfs import RootfsScreen
from bundlebench.tui.widgets.bundle_header import BundleHeader
from tests.tui.helpers import SIZE, fixed_validator, screen_text, settle

TWO_PROBLEMS = [
    Problem("/process/args", "error", "process.args is empty", "set the command"),
    Problem("/hostname", "warning", "hostname without a UTS namespace", "add one"),
]


def run(coro) -> None:
    asyncio.run(coro)


def test_header_shows_path_and_problem_counts(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator(TWO_PROBLEMS))
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            text = screen_text(app)
            assert str(bundle)[:20] in text
            assert "✖ config.json 1 error, 1 warning" in text
            assert app.problems == TWO_PROBLEMS
            app.dirty = True
            await pilot.pause()
            assert "● unsaved changes" in screen_text(app)

    run(scenario())


def test_validation_uses_the_spec_validator_and_can_be_refreshed(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert app.problems is not None
            app.bundle.config.data["ociVersion"] = 7  # what an edit on the config screen does
            app.refresh_validation()
            await settle(pilot, app)
            assert any(p.pointer == "/ociVersion" and p.severity == "error"
                       for p in app.problems)
            assert "error" in screen_text(app)

    run(scenario())


def test_a_crashing_validator_is_reported_not_fatal(bundle: Path) -> None:
    def broken(config, bundle_dir):
        raise RuntimeError("boom")

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=broken)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            assert app.problems and "boom" in app.problems[0].message

    run(scenario())


def test_switch_screens_with_keys_and_header(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press("2")
            await settle(pilot, app)
            assert app.current_mode == "config"
            assert not isinstance(app.screen, RootfsScreen)
            assert app.screen.query(BundleHeader) or app.screen.query("Header")
            app.screen.set_focus(None)  # keys of the app work from any screen
            await pilot.press("1")
            await settle(pilot, app)
            assert isinstance(app.screen, RootfsScreen)
            await pilot.click("#header-tab-config")
            await settle(pilot, app)
            assert app.current_mode == "config"
            app.screen.set_focus(None)
            await pilot.press("3")
            await pilot.pause(0.2)
            assert app.current_mode == "containers"
            assert app.screen.query(BundleHeader)

    run(scenario())


def test_help_opens_on_f1_and_question_mark(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            for key in ("f1", "question_mark"):
                await pilot.press(key)
                await pilot.pause()
                assert isinstance(app.screen, HelpScreen)
                text = screen_text(app)
                for words in ("Filter", "Go to", "Hidden", "Size", "Theme", "Quit",
                              "palette"):
                    assert words in text
                await pilot.press("escape")
                await pilot.pause()
                assert isinstance(app.screen, RootfsScreen)

    run(scenario())


def test_every_binding_has_a_palette_command(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            for mode in ("rootfs", "config", "containers"):
                await app.action_switch_to(mode)
                await settle(pilot, app)
                screen = app.screen
                commands = {(id(c.node), c.action) for c in palette_commands(screen)}
                titles = {c.title for c in palette_commands(screen)}
                assert {"Screen: rootfs", "Screen: config", "Screen: containers",
                         "Screen: lessons"} <= titles
                for active in screen.active_bindings.values():
                    binding = active.binding
                    if not binding.description or not binding.show:
                        continue
                    name = binding.action.split("(")[0]
                    if name in SYSTEM_ACTIONS or name == "switch_to":
                        continue
                    assert (id(active.node), binding.action) in commands, binding

    run(scenario())


def test_palette_runs_commands(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press("ctrl+p")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)
            await pilot.press(*"go to")
            await wait_for_hits(pilot, app)
            await pilot.press("enter")
            await settle(pilot, app)
            assert isinstance(app.screen, GotoScreen)
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"screen: config")
            await wait_for_hits(pilot, app)
            await pilot.press("enter")
            await settle(pilot, app)
            assert app.current_mode == "config"

    run(scenario())


async def wait_for_hits(pilot, app) -> None:
    from textual.command import CommandList

    for _ in range(100):
        await pilot.pause(0.05)
        if app.screen.query_one(CommandList).option_count:
            await pilot.pause(0.2)  # let the search finish ranking
            return
    raise AssertionError("the palette found nothing")


def test_themes_switch(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            before = app.screen.query_one("RootfsTree").styles.border.top
            app.theme = "textual-light"
            await pilot.pause()
            assert app.screen.query_one("RootfsTree").styles.border.top != before
            await pilot.press("ctrl+t")
            await pilot.pause()
            assert isinstance(app.screen, CommandPalette)

    run(scenario())


def test_quit_without_unsaved_changes_exits(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press("q")
            await pilot.pause()
            assert app._exit

    run(scenario())


def test_quit_with_unsaved_changes_asks_first(bundle: Path) -> None:
    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            app.dirty = True
            await pilot.press("q")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            assert "unsaved changes" in screen_text(app)
            await pilot.press("n")
            await pilot.pause()
            assert not app._exit and isinstance(app.screen, RootfsScreen)
            await pilot.press("ctrl+q")
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await pilot.pause()
            assert app._exit

    run(scenario())


def test_a_screen_that_is_not_installed_is_replaced_by_a_note(bundle: Path) -> None:
    from bundlebench.tui import app as app_module
    from bundlebench.tui.screens.missing import MissingScreen

    assert isinstance(app_module.optional_screen("later", "bundlebench.tui.screens.later",
                                                 "LaterScreen"), MissingScreen)

    async def scenario() -> None:
        class WithoutConfig(BundlebenchApp):
            MODES = {**BundlebenchApp.MODES, "config": lambda: MissingScreen("config")}

        app = WithoutConfig(bundle, validator=fixed_validator())
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot, app)
            await pilot.press("2")
            await settle(pilot, app)
            assert "The config screen is not part of this installation." in screen_text(app)
            await pilot.press("1")
            await settle(pilot, app)
            assert isinstance(app.screen, RootfsScreen)

    run(scenario())
