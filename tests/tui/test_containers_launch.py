"""The launch dialog and the unsaved-edits question, without real containers: the id is
checked as you type, the choices reach the launch and are remembered per bundle, unsaved
edits are saved through the config screen or go with the launch; snapshots."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Checkbox, Input, RadioButton

from bundlebench.containers.choices import choices_path
from bundlebench.containers.launch import LaunchOptions
from bundlebench.tui.screens.containers import ContainersScreen
from bundlebench.tui.screens.containers_launch import LaunchDialog, UnsavedEditsDialog
from tests.tui.config_host import make_bundle
from tests.tui.containers_host import (
    ContainersHost,
    private_state,  # noqa: F401 - a fixture
    run,
    wait_for,
)
from tests.tui.helpers import assert_snapshot, fixed_validator, screen_text
from tests.tui.test_containers_screen import FIXED

pytestmark = pytest.mark.usefixtures("private_state")


class CapturingScreen(ContainersScreen):
    """Records each launch instead of making a container; a fixed list and a fixed id."""

    def __init__(self) -> None:
        super().__init__()
        self.launches: list[tuple[dict[str, Any] | None, LaunchOptions]] = []

    def list_containers(self):
        return list(FIXED)

    def _suggest_id(self) -> str:
        return "bundle-5e6f"

    def _launch(self, bundle: Path, root: str, config: dict[str, Any] | None,
                options: LaunchOptions) -> None:
        self.launches.append((config, options))


def host(bundle: Path, root: Path) -> ContainersHost:
    return ContainersHost(bundle, root, CapturingScreen)


async def open_dialog(pilot, key: str = "l") -> LaunchDialog:
    await pilot.pause()
    await pilot.press(key)
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, LaunchDialog)
                          and pilot.app.screen, what="the launch dialog")


async def type_into(pilot, dialog: LaunchDialog, widget_id: str, text: str) -> None:
    field = dialog.query_one(f"#{widget_id}", Input)
    field.value = ""
    field.focus()
    await pilot.press(*text) if text else None
    await pilot.pause()


def test_the_id_is_checked_as_you_type(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    root = tmp_path / "root"
    (root / "taken").mkdir(parents=True)

    async def scenario() -> None:
        app = host(bundle, root)
        async with app.run_test(size=(100, 30)) as pilot:
            dialog = await open_dialog(pilot)
            go = dialog.query_one("#launch-go", Button)
            assert "a new id" in screen_text(app) and not go.disabled
            await type_into(pilot, dialog, "launch-id", "bad/id")
            assert "contains '/'" in screen_text(app) and go.disabled
            await pilot.press("enter")  # refused: the dialog stays
            assert isinstance(app.screen, LaunchDialog)
            await type_into(pilot, dialog, "launch-id", "taken")
            assert "already exists" in screen_text(app) and go.disabled
            await type_into(pilot, dialog, "launch-id", "")
            assert "empty" in screen_text(app) and go.disabled
            await type_into(pilot, dialog, "launch-id", "web.1")
            assert not go.disabled
            await type_into(pilot, dialog, "launch-args", "sh -c 'echo")
            assert "quotation" in screen_text(app) and go.disabled
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, LaunchDialog),
                           what="cancelled")
            assert app.containers.launches == []

    run(scenario())


def test_choices_reach_the_launch_and_are_remembered_per_bundle(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)

    async def scenario() -> list[tuple[Any, LaunchOptions]]:
        app = host(bundle, tmp_path / "root")
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            screen = app.containers
            dialog = await open_dialog(pilot, "c")
            await type_into(pilot, dialog, "launch-args", "sh -c 'echo hi'")
            dialog.query_one("#launch-attach", Checkbox).value = False
            dialog.query_one("#launch-rm", Checkbox).value = True
            dialog.query_one("#launch-terminal", Checkbox).value = False
            dialog.query_one("#launch-rootless", RadioButton).value = True
            await pilot.pause()
            dialog.query_one("#launch-go", Button).press()
            await wait_for(pilot, lambda: screen.launches, what="the launch")
            again = await open_dialog(pilot)
            assert again.query_one("#launch-args", Input).value == "sh -c 'echo hi'"
            assert again.query_one("#launch-attach", Checkbox).value is False
            assert again.query_one("#launch-rm", Checkbox).value is True
            assert again.query_one("#launch-terminal", Checkbox).value is False
            assert again.query_one("#launch-rootless", RadioButton).value is True
            return screen.launches

    launches = run_value(scenario())
    config, options = launches[0]
    assert config is None  # nothing unsaved: the bundle itself is launched
    assert options == LaunchOptions(container_id="bundle-5e6f", args=["sh", "-c", "echo hi"],
                                    terminal=False, rootless=True, start=False, attach=False,
                                    remove_on_exit=True)
    remembered = json.loads(choices_path().read_text())
    assert remembered[str(bundle.absolute())]["args"] == "sh -c 'echo hi'"
    assert oct(os.stat(choices_path()).st_mode & 0o777) == "0o600"

    other = make_bundle(tmp_path / "other")

    async def fresh() -> None:  # another bundle starts from the defaults
        app = host(other, tmp_path / "root")
        async with app.run_test(size=(100, 30)) as pilot:
            dialog = await open_dialog(pilot)
            assert dialog.query_one("#launch-args", Input).value == ""
            assert dialog.query_one("#launch-attach", Checkbox).value is True

    run(fresh())


@pytest.mark.parametrize("content", [b"{not json", b"[1, 2]", b"\xff\xfe",
                                     b'{"BUNDLE": {"attach": "yes", "args": 7}}'])
def test_a_broken_choices_file_is_ignored(tmp_path: Path, content: bytes) -> None:
    bundle = make_bundle(tmp_path)
    choices_path().parent.mkdir(parents=True)
    choices_path().write_bytes(content.replace(b"BUNDLE", str(bundle.absolute()).encode()))

    async def scenario() -> None:
        app = host(bundle, tmp_path / "root")
        async with app.run_test(size=(100, 30)) as pilot:
            dialog = await open_dialog(pilot)
            assert dialog.query_one("#launch-attach", Checkbox).value is True
            assert dialog.query_one("#launch-args", Input).value == ""
            dialog.action_submit()
            await wait_for(pilot, lambda: app.containers.launches, what="the launch")
    run(scenario())
    assert json.loads(choices_path().read_text())[str(bundle.absolute())]["attach"] is True


def test_unsaved_edits_launch_as_edited_without_writing(tmp_path: Path) -> None:
    bundle = make_bundle(tmp_path)
    on_disk = (bundle / "config.json").read_bytes()

    async def scenario() -> None:
        app = host(bundle, tmp_path / "root")
        app.bundle.config.data["hostname"] = "edited"
        app.dirty = True
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, UnsavedEditsDialog),
                           what="the question")
            await pilot.press("escape")  # cancel: nothing happens
            await wait_for(pilot, lambda: not isinstance(app.screen, UnsavedEditsDialog),
                           what="cancelled")
            assert not isinstance(app.screen, LaunchDialog)
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, UnsavedEditsDialog),
                           what="the question")
            await pilot.press("e")
            dialog = await wait_for(pilot, lambda: isinstance(app.screen, LaunchDialog)
                                    and app.screen, what="the launch dialog")
            assert "unsaved edits" in screen_text(app)
            app.bundle.config.data["hostname"] = "later"  # an edit after the choice
            dialog.action_submit()
            (config, options), = await wait_for(pilot, lambda: app.containers.launches,
                                                what="the launch")
            assert config["hostname"] == "edited" and options.start
        assert (bundle / "config.json").read_bytes() == on_disk

    run(scenario())


def test_save_and_launch_saves_through_the_config_screen(bundle: Path, tmp_path: Path) -> None:
    from bundlebench.tui.app import BundlebenchApp

    async def scenario() -> None:
        app = BundlebenchApp(bundle, validator=fixed_validator())
        app.runtime_root = str(tmp_path / "root")  # type: ignore[attr-defined]
        async with app.run_test(size=(120, 36)) as pilot:
            await pilot.pause()
            await pilot.press("2")
            config = await wait_for(pilot, lambda: getattr(app.screen, "session", None)
                                    and app.screen, what="the config screen")
            await config.apply_edit("set", "/hostname", "saved-host")
            await wait_for(pilot, lambda: app.dirty, what="dirty")
            await pilot.press("3")
            await wait_for(pilot, lambda: isinstance(app.screen, ContainersScreen),
                           what="the containers screen")
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, UnsavedEditsDialog),
                           what="the question")
            await pilot.press("s")
            await wait_for(pilot, lambda: isinstance(app.screen, LaunchDialog),
                           what="the launch dialog after saving")
            assert not app.dirty
            assert "unsaved edits" not in screen_text(app)
            saved = json.loads((bundle / "config.json").read_text())
            assert saved["hostname"] == "saved-host"
            assert (bundle / "config.json.bak").exists()  # the config screen's save
            await pilot.press("escape")

    run(scenario())


# Snapshots are recorded as root in a fixed /tmp path (the dialog shows the bundle's name).
@pytest.mark.skipif(os.getuid() != 0, reason="snapshots are recorded as root")
@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
def test_snapshot_of_the_launch_dialog(snapshot_bundle: Path, tmp_path: Path,
                                       size: tuple[int, int]) -> None:
    async def scenario() -> None:
        app = host(snapshot_bundle, tmp_path / "no-root")
        app.dirty = True
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: app.containers.table.row_count == 3, what="rows")
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, UnsavedEditsDialog),
                           what="the question")
            await pilot.press("e")
            await wait_for(pilot, lambda: isinstance(app.screen, LaunchDialog),
                           what="the dialog")
            await pilot.pause(0.2)
            text = screen_text(app)
            for words in ("bundle-5e6f", "a new id", "Remove when it exits", "rootless",
                          "Cancel"):
                assert words in text, words
            assert_snapshot(app, f"launch_dialog_{size[0]}x{size[1]}")

    run(scenario())


def run_value(coro: Any) -> Any:
    import asyncio

    return asyncio.run(coro)
