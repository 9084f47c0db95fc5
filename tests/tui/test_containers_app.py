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
                           "Full screen", "Step launch"):
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


def test_step_launch_pushes_the_step_view_with_its_help_and_go_to_field(
        bundle: Path, tmp_path: Path, monkeypatch) -> None:
    import bundlebench.containers.stepping as stepping
    from bundlebench.tui.screens.help import HelpScreen
    from tests.tui.step_fakes import FakeSource, open_step_view, stops

    source = FakeSource(stops())
    asked: list[tuple[Path, dict | None]] = []

    def fake_create(bundle_path: Path, root: str, *, config=None, container_id=None):
        asked.append((bundle_path, config))
        return source

    monkeypatch.setattr(stepping, "step_create", fake_create)

    async def scenario() -> None:
        app = make_app(bundle, tmp_path / "root")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("3")
            await wait_for(pilot, lambda: isinstance(app.screen, ContainersScreen))
            screen = await open_step_view(pilot, app)
            assert asked and asked[0][1] is None  # nothing unsaved: config.json as saved
            await pilot.press("f1")
            help_screen = await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen)
                                         and app.screen, what="help")
            keys = [row[1] for row in help_screen.screen_keys]
            for key in ("Next", "Continue", "Run to…", "Explain", "Go to field", "Abandon"):
                assert key in keys, keys
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen is screen)
            await pilot.press("g")
            await wait_for(pilot, lambda: app.current_mode == "config", what="config")
            form = await wait_for(pilot, lambda: getattr(app.screen, "form", None),
                                  what="the config form")
            await wait_for(pilot, lambda: form.pointer == "/linux/namespaces",
                           what="the field")

    run(scenario())


def test_step_launch_with_unsaved_edits_steps_the_edited_config(
        bundle: Path, tmp_path: Path, monkeypatch) -> None:
    import bundlebench.containers.stepping as stepping
    from bundlebench.tui.screens.step import StepScreen
    from tests.tui.step_fakes import FakeSource, stops

    asked: list[dict | None] = []

    def fake_create(bundle_path: Path, root: str, *, config=None, container_id=None):
        asked.append(config)
        return FakeSource(stops())

    monkeypatch.setattr(stepping, "step_create", fake_create)

    async def scenario() -> None:
        app = make_app(bundle, tmp_path / "root")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("3")
            await wait_for(pilot, lambda: isinstance(app.screen, ContainersScreen))
            app.bundle.config.data["hostname"] = "edited-not-saved"
            app.dirty = True
            await pilot.press("S")
            await wait_for(pilot, lambda: isinstance(app.screen, StepScreen))
            assert asked[0] is not None and asked[0]["hostname"] == "edited-not-saved"
            assert asked[0] is not app.bundle.config.data  # a copy: later edits stay out

    run(scenario())
