"""The config screen's field panel shows the what-if of the selected field and value."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select, Static

from bundlebench.spec.docs.what_ifs import NAMESPACES, PIDS_LIMIT
from bundlebench.tui.screens.config import HIGHLIGHT_SETTLE_SECONDS
from runtime.defaults import default_config
from tests.tui.config_host import SIZE, HostApp, go, make_bundle, ready, run


def panel(screen) -> str:
    return str(screen.query_one("#docs-text", Static).render())


def test_selecting_a_namespace_shows_the_what_if_of_its_type(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))  # namespaces: pid, network, ipc, uts, mount
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/linux/namespaces/0", focus_value=False)
            text = panel(screen)
            assert "What if" in text and NAMESPACES["pid"].with_it in text
            assert f"See it: {NAMESPACES['pid'].see}" in text
            # The cursor moves on in the tree: the panel follows to the next entry's type.
            for _ in range(4):
                if screen.tree.cursor_pointer == "/linux/namespaces/1":
                    break
                await pilot.press("down")
                await pilot.pause(HIGHLIGHT_SETTLE_SECONDS * 4)
            assert screen.tree.cursor_pointer == "/linux/namespaces/1"
            await pilot.pause(HIGHLIGHT_SETTLE_SECONDS * 4)
            text = panel(screen)
            assert NAMESPACES["network"].without_it in text
            assert NAMESPACES["pid"].with_it not in text

    run(scenario())


def test_changing_the_type_changes_the_what_if(tmp_path: Path) -> None:
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path))
        async with app.run_test(size=SIZE) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/linux/namespaces/4/type")
            assert NAMESPACES["mount"].with_it in panel(screen)
            screen.form.query_one("#field-value", Select).value = "uts"
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert screen.session.get("/linux/namespaces/4/type") == "uts"
            assert NAMESPACES["uts"].with_it in panel(screen)
            assert NAMESPACES["mount"].with_it not in panel(screen)

    run(scenario())


def test_a_resource_limit_shows_its_command_at_80x24(tmp_path: Path) -> None:
    config = default_config()
    config["linux"]["resources"]["pids"] = {"limit": 64}
    async def scenario() -> None:
        app = HostApp(make_bundle(tmp_path, config))
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await ready(pilot, app)
            await go(pilot, screen, "/linux/resources/pids/limit")
            text = panel(screen)
            assert PIDS_LIMIT.with_it in text and PIDS_LIMIT.see in text

    run(scenario())
