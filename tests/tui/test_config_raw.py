"""The raw JSON view kept in sync with the fields, invalid JSON kept, undo and redo."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, Static

from bundlebench.tui.widgets.config_raw import json_highlights
from tests.tui.config_host import SIZE, HostApp, go, make_bundle, ready, run, saved


def status(screen) -> str:
    return str(screen.raw.query_one("#raw-status", Static).render())


def test_field_edit_shows_in_raw_json(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/hostname")
            await pilot.press("end", "2")
            await pilot.pause()
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert screen.showing_raw
            assert app.focused is screen.raw.text_area
            text = screen.raw.text
            assert '"hostname": "runc2"' in text
            assert text.startswith('{\n\t"ociVersion"')  # as it will be saved: runc's tabs
            assert "valid JSON" in status(screen)

    run(scenario())


def test_raw_edit_shows_in_fields(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await pilot.press("ctrl+r")
            await pilot.pause()
            area = screen.raw.text_area
            row = area.text.splitlines().index('\t"hostname": "runc",')
            area.cursor_location = (row, len('\t"hostname": "runc'))
            await pilot.press("X")
            await pilot.pause()
            assert screen.session.get("/hostname") == "runcX"  # applied as you type
            assert app.dirty
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert not screen.showing_raw
            assert str(screen.tree._by_pointer["/hostname"].label) == 'hostname: "runcX"'
            await go(pilot, screen, "/hostname")
            assert screen.form.query_one("#field-value", Input).value == "runcX"

    run(scenario())


def test_invalid_json_is_kept_with_line_and_column(tmp_path: Path) -> None:
    async def scenario() -> None:
        bundle = make_bundle(tmp_path)
        app = HostApp(bundle)
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await pilot.press("ctrl+r")
            await pilot.pause()
            area = screen.raw.text_area
            area.cursor_location = (2, 0)
            await pilot.press(*"oops")
            await pilot.pause()
            typed = area.text
            assert "oops" in typed
            assert "Invalid JSON at line 3, column 1" in status(screen)
            assert screen.session.get("/ociVersion") == "1.3.0"  # last valid config
            # The fields are read-only meanwhile and say why.
            await pilot.press("ctrl+r")
            await pilot.pause()
            banner = str(screen.query_one("#config-banner", Static).render())
            assert "line 3, column 1" in banner
            assert screen.form.disabled
            await screen.apply_edit("set", "/hostname", "lost?")
            assert screen.session.get("/hostname") == "runc"
            # Undo and save refuse rather than lose the text.
            await pilot.press("ctrl+z")
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert saved(bundle)["hostname"] == "runc"
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert screen.raw.text_area.text == typed  # never thrown away
            # Fix it: everything works again.
            area.cursor_location = (2, 0)
            await pilot.press("delete", "delete", "delete", "delete")
            await pilot.pause()
            assert "valid JSON" in status(screen)
            assert not screen.form.disabled

    run(scenario())


def test_raw_json_that_is_not_an_object(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await pilot.press("ctrl+r")
            await pilot.pause()
            screen.raw.text_area.load_text("[1, 2]")
            screen.raw.text_area.insert(" ")
            await pilot.pause()
            assert "must be a JSON object" in status(screen)
            assert isinstance(screen.session.data, dict) and "process" in screen.session.data

    run(scenario())


def test_undo_and_redo(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/process/terminal")
            await pilot.press("space")
            await pilot.pause()
            await go(pilot, screen, "/process/args")
            await pilot.click("#add-item")
            await pilot.pause()
            assert screen.session.get("/process/args") == ["sh", ""]
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert screen.session.get("/process/args") == ["sh"]
            assert str(screen.tree._by_pointer["/process/args"].label) == "args [1 item]"
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert screen.session.get("/process/terminal") is True
            assert not app.dirty
            await pilot.press("ctrl+y")
            await pilot.pause()
            assert screen.session.get("/process/terminal") is False
            await pilot.press("ctrl+shift+z")
            await pilot.pause()
            assert screen.session.get("/process/args") == ["sh", ""]
            assert app.dirty

    run(scenario())


def test_undo_shows_in_the_raw_view(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await screen.apply_edit("set", "/hostname", "edited")
            await pilot.press("ctrl+r")
            await pilot.pause()
            assert '"edited"' in screen.raw.text
            await screen.run_action("undo")
            await pilot.pause()
            assert json.loads(screen.raw.text)["hostname"] == "runc"

    run(scenario())


def test_json_highlighting_without_tree_sitter() -> None:
    assert json_highlights('\t"a": [1, true, null, "x"],') == [
        (1, 4, "json.label"), (6, 7, "punctuation.bracket"), (7, 8, "number"),
        (10, 14, "boolean"), (16, 20, "json.null"), (22, 25, "string"),
        (25, 26, "punctuation.bracket"),
    ]
    # Offsets are in bytes, as TextArea expects.
    assert json_highlights('"é": 1') == [(0, 4, "json.label"), (6, 7, "number")]


def test_undo_while_typing_keeps_the_focus_in_the_field(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/hostname")
            await pilot.press("end", "1", "2")
            await pilot.pause()
            await pilot.press("ctrl+z")
            await pilot.pause()
            field = screen.form.query_one("#field-value", Input)
            assert field.value == "runc" and app.focused is field
            await pilot.press("ctrl+y")
            await pilot.pause()
            assert screen.form.query_one("#field-value", Input).value == "runc12"

    run(scenario())
