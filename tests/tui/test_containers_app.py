"""The containers screen inside the real app: its key, its palette command, and the
lifecycle view's links opening the config screen at the field."""

from __future__ import annotations

from pathlib import Path

from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.screens.containers import ContainersScreen
from tests.tui.containers_host import SIZE, run, wait_for
from tests.tui.helpers import fixed_validator


def make_app(bundle: Path, root: Path) -> BundlebenchApp:
    app = BundlebenchApp(bundle, validator=fixed_validator())
    app.runtime_root = str(root)  # type: ignore[attr-defined]
    return app


def test_key_3_shows_the_containers_screen(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(bundle, tmp_path / "root")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("3")
            screen = await wait_for(pilot, lambda: isinstance(app.screen, ContainersScreen)
                                    and app.screen, what="the containers screen")
            assert app.current_mode == "containers"
            assert screen.root == str(tmp_path / "root")
            await pilot.press("1")
            await wait_for(pilot, lambda: app.current_mode == "rootfs", what="rootfs")

    run(scenario())


def test_palette_offers_the_screen_and_its_actions(bundle: Path, tmp_path: Path) -> None:
    from bundlebench.tui.commands import palette_commands

    async def scenario() -> None:
        app = make_app(bundle, tmp_path / "root")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            titles = [command.title for command in palette_commands(app.screen)]
            assert "Screen: containers" in titles
            await pilot.press("3")
            await wait_for(pilot, lambda: isinstance(app.screen, ContainersScreen),
                           what="the containers screen")
            titles = [command.title for command in palette_commands(app.screen)]
            for action in ("Launch…", "Create…", "Exec shell", "Kill…", "Stop", "Delete",
                           "Full screen"):
                assert action in titles

    run(scenario())


def test_lifecycle_link_opens_the_config_field(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = make_app(bundle, tmp_path / "root")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("3")
            screen = await wait_for(pilot, lambda: isinstance(app.screen, ContainersScreen)
                                    and app.screen, what="the containers screen")
            await screen.open_config_field("/process/cwd")
            await wait_for(pilot, lambda: app.current_mode == "config", what="config")
            form = await wait_for(pilot, lambda: getattr(app.screen, "form", None),
                                  what="the config form")
            await wait_for(pilot, lambda: form.pointer == "/process/cwd", what="the field")

    run(scenario())
