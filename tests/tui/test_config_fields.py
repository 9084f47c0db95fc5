"""The config screen's form: one editor per kind of field, live validation, the panel."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, Input, Select, Static, Switch

from runtime.defaults import default_config
from tests.tui.config_host import SIZE, HostApp, go, make_bundle, ready, run


def field_problems(screen) -> str:
    return str(screen.form.query_one("#field-problems", Static).render())


def tree_label(screen, pointer: str) -> str:
    return str(screen.tree._by_pointer[pointer].label)


def test_string_field_edits_as_you_type(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            assert not app.dirty
            await go(pilot, screen, "/hostname")
            assert isinstance(app.focused, Input)
            await pilot.press("end", "x", "y")
            await pilot.pause()
            assert screen.session.get("/hostname") == "runcxy"
            assert tree_label(screen, "/hostname") == 'hostname: "runcxy"'
            assert app.dirty
            # Typing in one field is one undo step.
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert screen.session.get("/hostname") == "runc"
            assert not app.dirty

    run(scenario())


def test_number_field_with_bounds_marks_the_field_at_once(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/process/user/uid")
            title = str(screen.form.query_one("#field-title", Static).render())
            assert "integer 0 … 4294967295" in title
            await pilot.press("backspace", "minus")
            await pilot.pause()
            local = str(screen.form.query_one("#field-local", Static).render())
            assert "not a whole number" in local
            assert screen.session.get("/process/user/uid") == 0  # kept its last value
            await pilot.press("1")
            await pilot.pause()
            assert screen.session.get("/process/user/uid") == -1
            assert "out of range" in field_problems(screen)
            assert screen.form.query_one("#field-value", Input).has_class("-invalid")
            assert tree_label(screen, "/process/user/uid").startswith("✖ uid: -1")
            assert tree_label(screen, "/process").startswith("✖ ")  # ancestors too
            assert any(p.pointer == "/process/user/uid" for p in app.problems)
            assert "1 error" in (screen.panel.border_title or "")
            await pilot.press("backspace", "backspace", "7")
            await pilot.pause()
            assert screen.session.get("/process/user/uid") == 7
            assert field_problems(screen) == ""
            assert not tree_label(screen, "/process").startswith("✖")

    run(scenario())


def test_boolean_switch(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/process/terminal")
            assert isinstance(app.focused, Switch) and app.focused.value is True
            await pilot.press("space")
            await pilot.pause()
            assert screen.session.get("/process/terminal") is False
            assert tree_label(screen, "/process/terminal") == "terminal: false"

    run(scenario())


def test_enum_select(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/linux/namespaces/4/type")
            select = screen.form.query_one("#field-value", Select)
            assert select.value == "mount"
            await pilot.press("enter")  # open the list
            await pilot.pause()
            await pilot.press("down", "down", "enter")
            await pilot.pause()
            assert screen.session.get("/linux/namespaces/4/type") == "uts"
            # A namespace listed twice is a problem at once.
            assert any(p.pointer.startswith("/linux/namespaces") for p in screen.problems)

    run(scenario())


def test_value_outside_the_enum_is_shown_and_flagged(tmp_path: Path) -> None:
    config = default_config()
    config["linux"]["namespaces"][0]["type"] = "bogus"
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path, config))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/linux/namespaces/0/type")
            assert screen.form.query_one("#field-value", Select).value == "bogus"
            assert "not an allowed value" in field_problems(screen)

    run(scenario())


def test_array_add_remove_reorder(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/process/args")
            await pilot.click("#add-item")
            await pilot.pause()
            assert screen.session.get("/process/args") == ["sh", ""]
            assert screen.form.pointer == "/process/args"  # stays on the array
            assert screen.form.query_one("#array-items").highlighted == 1
            await pilot.click("#item-up")
            await pilot.pause()
            assert screen.session.get("/process/args") == ["", "sh"]
            assert screen.form.query_one("#array-items").highlighted == 0
            await pilot.click("#remove-item")
            await pilot.pause()
            assert screen.session.get("/process/args") == ["sh"]

    run(scenario())


def test_array_of_names_adds_the_chosen_name(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/process/capabilities/bounding")
            screen.form.query_one("#item-choice", Select).value = "CAP_CHOWN"
            await pilot.click("#add-item")
            await pilot.pause()
            assert screen.session.get("/process/capabilities/bounding")[-1] == "CAP_CHOWN"

    run(scenario())


def test_tree_keys_add_remove_and_move_elements(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            first = [m["destination"] for m in screen.session.get("/mounts")]
            await go(pilot, screen, "/mounts/1", focus_value=False)
            screen.tree.focus()
            await pilot.press("alt+up")
            await pilot.pause()
            moved = [m["destination"] for m in screen.session.get("/mounts")]
            assert moved[:2] == [first[1], first[0]]
            assert screen.tree.cursor_pointer == "/mounts/0"  # follows the element
            await pilot.press("x")
            await pilot.pause()
            assert len(screen.session.get("/mounts")) == len(first) - 1
            await go(pilot, screen, "/linux/maskedPaths", focus_value=False)
            screen.tree.focus()
            await pilot.press("a")
            await pilot.pause()
            assert screen.session.get("/linux/maskedPaths")[-1] == ""

    run(scenario())


def test_element_form_moves_and_removes_itself(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/process/env/1")
            await pilot.click("#move-up")
            await pilot.pause()
            assert screen.session.get("/process/env/0") == "TERM=xterm"
            assert screen.form.pointer == "/process/env/0"
            await pilot.click("#remove-field")
            await pilot.pause()
            assert screen.session.get("/process/env") == [
                "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
            assert screen.form.pointer == "/process/env"

    run(scenario())


def test_object_add_known_field_and_own_key(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/process")
            screen.form.query_one("#key-choice", Select).value = "oomScoreAdj"
            await pilot.click("#add-key")
            await pilot.pause()
            assert screen.session.get("/process/oomScoreAdj") == 0
            assert screen.form.pointer == "/process/oomScoreAdj"
            await go(pilot, screen, "")
            screen.form.query_one("#key-name", Input).focus()
            await pilot.press(*"annotations", "enter")
            await pilot.pause()
            assert screen.session.get("/annotations") == {}
            screen.form.query_one("#key-name", Input).focus()
            await pilot.press(*"org.example/x", "enter")
            await pilot.pause()
            assert screen.session.get("/annotations") == {"org.example/x": ""}
            assert screen.form.pointer == "/annotations/org.example~1x"
            await pilot.press(*"v1")
            await pilot.pause()
            assert screen.session.get("/annotations/org.example~1x") == "v1"

    run(scenario())


def test_type_mismatch_is_edited_as_json(tmp_path: Path) -> None:
    config = default_config()
    config["process"]["user"]["uid"] = "0"
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path, config))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/process/user/uid")
            assert screen.form.query_one("#field-value", Input).value == '"0"'
            assert "must be an integer" in field_problems(screen)
            screen.form.query_one("#field-value", Input).value = "0"
            await pilot.pause()
            assert screen.session.get("/process/user/uid") == 0
            assert not screen.problems or all(p.pointer != "/process/user/uid"
                                              for p in screen.problems)

    run(scenario())


def test_problems_panel_jumps_to_the_field(tmp_path: Path) -> None:
    config = default_config()
    config["process"]["rlimits"][0]["soft"] = -5
    del config["ociVersion"]
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path, config))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            pointers = [p.pointer for p in screen.panel.problems]
            assert "/process/rlimits/0/soft" in pointers and "/ociVersion" in pointers
            screen.panel.focus()
            screen.panel.highlighted = pointers.index("/process/rlimits/0/soft")
            await pilot.press("enter")
            await pilot.pause()
            assert screen.tree.cursor_pointer == "/process/rlimits/0/soft"
            assert screen.form.pointer == "/process/rlimits/0/soft"
            assert app.focused is screen.form.query_one("#field-value")
            # A missing field jumps to where it belongs.
            screen.panel.focus()
            screen.panel.highlighted = pointers.index("/ociVersion")
            await pilot.press("enter")
            await pilot.pause()
            assert screen.tree.cursor_pointer == ""
            await pilot.press("f8")
            await pilot.pause()
            assert screen.form.pointer == screen.problems[0].pointer or screen.form.pointer == ""

    run(scenario())


def test_problems_panel_click(tmp_path: Path) -> None:
    config = default_config()
    config["hostname"] = 5
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path, config))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            assert screen.panel.problems[0].pointer == "/hostname"
            await pilot.click("#problems", offset=(4, 1))
            await pilot.pause()
            assert screen.form.pointer == "/hostname"

    run(scenario())


def test_remove_button_on_a_field(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/hostname")
            assert screen.form.query_one("#remove-field", Button)
            await pilot.click("#remove-field")
            await pilot.pause()
            assert not screen.session.exists("/hostname")
            assert screen.form.pointer == ""

    run(scenario())
