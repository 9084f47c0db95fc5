"""Quick actions of the config screen, run from the command palette."""

from __future__ import annotations

from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input

from bundlebench.tui.widgets.config_dialogs import MountDialog, PromptDialog
from runtime.defaults import default_config
from tests.tui.config_host import SIZE, HostApp, make_bundle, ready, run


async def palette(pilot, app: HostApp, query: str) -> None:
    """Open the palette, type ``query`` and run the first hit."""
    await pilot.press("ctrl+p")
    await pilot.pause()
    assert isinstance(app.screen, CommandPalette)
    await pilot.press(*query)
    await pilot.pause(0.3)
    await pilot.press("enter")
    await pilot.pause()
    await pilot.pause()


def test_make_rootless_from_the_palette(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await palette(pilot, app, "make rootless")
            assert screen.session.data == default_config(rootless=True)
            assert screen.tree.cursor_pointer == "/linux/namespaces"
            assert app.dirty
            await pilot.press("ctrl+z")
            await pilot.pause()
            assert screen.session.data == default_config()

    run(scenario())


def test_namespaces_from_the_palette(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await palette(pilot, app, "add the cgroup namespace")
            assert "cgroup" in screen.namespace_types()
            assert screen.form.pointer == "/linux/namespaces/5"
            await palette(pilot, app, "remove the network namespace")
            assert "network" not in screen.namespace_types()

    run(scenario())


def test_toggle_readonly_root(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await palette(pilot, app, "toggle read-only root")
            assert screen.session.get("/root/readonly") is False
            assert screen.form.pointer == "/root/readonly"
            await screen.run_action("toggle_readonly_root")
            assert screen.session.get("/root/readonly") is True

    run(scenario())


def test_set_the_command(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await palette(pilot, app, "set the command")
            assert isinstance(app.screen, PromptDialog)
            prompt = app.screen.query_one("#prompt-input", Input)
            assert prompt.value == "sh"
            prompt.value = "sh -c 'echo hello world'"
            await pilot.press("enter")
            await pilot.pause()
            assert screen.session.get("/process/args") == ["sh", "-c", "echo hello world"]
            # A broken line changes nothing and says why.
            await screen.run_action("set_command")
            await pilot.pause()
            app.screen.query_one("#prompt-input", Input).value = "sh -c 'oops"
            await pilot.press("enter")
            await pilot.pause()
            assert screen.session.get("/process/args") == ["sh", "-c", "echo hello world"]
            assert any("closing quotation" in n.message for n in app._notifications)

    run(scenario())


def test_add_a_mount(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await palette(pilot, app, "add a mount")
            assert isinstance(app.screen, MountDialog)
            app.screen.query_one("#mount-destination", Input).value = "/data"
            app.screen.query_one("#mount-source", Input).value = "/srv/data"
            await pilot.click("#ok")
            await pilot.pause()
            assert screen.session.get("/mounts/7") == {
                "destination": "/data", "type": "bind", "source": "/srv/data",
                "options": ["rbind", "ro"]}
            assert screen.form.pointer == "/mounts/7"

    run(scenario())


def test_palette_lists_every_quick_action(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            from bundlebench.tui.widgets.config_commands import ConfigCommands

            provider = ConfigCommands(screen)
            names = [name for name, _, _ in provider._commands()]
            for wanted in ("make rootless", "add a mount…", "toggle read-only root",
                           "set the command…", "remove the pid namespace",
                           "add the time namespace"):
                assert f"Config: {wanted}" in names, wanted

    run(scenario())
