"""The containers screen without real containers: snapshot, refusals, the terminal pane."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from bundlebench.containers.listing import ContainerRow
from bundlebench.containers.transports import PtyTransport
from bundlebench.tui.screens.containers import ContainersScreen
from bundlebench.tui.widgets.terminal_pane import TerminalPane
from runtime.defaults import default_config
from tests.tui.config_host import make_bundle
from tests.tui.containers_host import (
    SIZE,
    ContainersHost,
    launch_with_dialog,
    private_state,  # noqa: F401 - a fixture
    run,
    wait_for,
)
from tests.tui.helpers import assert_snapshot, screen_text

FIXED = [
    ContainerRow("bundle-1a2b", "running", 0, "/b", "2024-01-02 03:04:05", attachable=True,
                 this_bundle=True),
    ContainerRow("bundle-3c4d", "stopped", 0, "/b", "2024-01-02 03:05:00", exit_code=137,
                 signal="SIGKILL", this_bundle=True),
    ContainerRow("other-9f00", "created", 0, "/o", "2024-01-02 04:00:00"),
]


class FixedScreen(ContainersScreen):
    """The screen over a fixed container list (pid 0: nothing to inspect for real)."""

    def list_containers(self) -> list[ContainerRow]:
        return list(FIXED)


# Snapshots are recorded as root in a fixed /tmp path (the header shows the bundle path).
@pytest.mark.skipif(os.getuid() != 0, reason="snapshots are recorded as root")
def test_snapshot_of_the_containers_screen(snapshot_bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = ContainersHost(snapshot_bundle, tmp_path / "no-root", FixedScreen)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: app.containers.table.row_count == 3, what="rows")
            await wait_for(pilot, lambda: "Exec shell" in screen_text(app)
                           and "Pause" in screen_text(app), what="the footer")
            text = screen_text(app)
            assert "bundle-1a2b" in text and "exited 137 (SIGKILL)" in text
            assert "Launch" in text and "Exec shell" in text
            assert_snapshot(app, "containers_screen")

    run(scenario())


@pytest.mark.usefixtures("private_state")
def test_launch_refused_lists_the_problems(tmp_path: Path) -> None:
    config = default_config()
    config["hostname"] = "web"
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"]
                                     if n["type"] != "uts"]
    bundle = make_bundle(tmp_path, config)

    async def scenario() -> None:
        app = ContainersHost(bundle, tmp_path / "root")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await launch_with_dialog(pilot)
            await wait_for(pilot, lambda: "Not launched" in screen_text(app), what="problems")
            text = screen_text(app)
            assert "/hostname" in text
            assert not (tmp_path / "root").exists() or not list((tmp_path / "root").iterdir())
            assert not app.containers.query(TerminalPane)

    run(scenario())


@pytest.mark.usefixtures("private_state")
def test_launch_without_privileges_says_what_is_needed(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    import bundlebench.containers.launch as launch

    monkeypatch.setattr(launch.os, "geteuid", lambda: 1000)
    # runc's default: no user namespace, so it needs root
    bundle = make_bundle(tmp_path, default_config())

    async def scenario() -> None:
        app = ContainersHost(bundle, tmp_path / "root")
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await launch_with_dialog(pilot)
            await wait_for(pilot, lambda: "needs root" in screen_text(app), what="sentence")
            assert "rootless" in screen_text(app)

    run(scenario())


class PaneApp(App[None]):
    """One terminal pane running a program on a pty of ours."""

    def __init__(self, argv: list[str]) -> None:
        super().__init__()
        self.argv = argv

    def compose(self) -> ComposeResult:
        yield TerminalPane(lambda rows, cols: PtyTransport(self.argv, rows, cols))


def test_pane_types_keys_follows_size_and_reports_exit() -> None:
    async def scenario() -> None:
        app = PaneApp(["sh"])
        async with app.run_test(size=(90, 20)) as pilot:
            pane = app.query_one(TerminalPane)
            pane.focus()
            await wait_for(pilot, lambda: pane._term is not None, what="terminal")
            await pilot.press(*"echo hel''lo", "enter")
            await wait_for(pilot, lambda: "hello" in pane.text(), what="echo")
            await pilot.press(*"stty size", "enter")
            await wait_for(pilot, lambda: f"{pane.size.height} {pane.size.width}" in pane.text(),
                           what="pane size")
            # ctrl keys reach the program; sent once the line runs (on a busy machine a
            # ctrl+c typed ahead would only clear the shell's empty line)
            await pilot.press(*"echo start-$((1+1)); sleep 100", "enter")
            await wait_for(pilot, lambda: "start-2" in pane.text(), what="the line to run")
            await pilot.press("ctrl+c")
            await pilot.press(*"echo after-$((6*7))", "enter")
            await wait_for(pilot, lambda: "after-42" in pane.text(), what="ctrl+c")
            await pilot.press("ctrl+right_square_bracket")  # the keys go back to the app
            assert app.focused is not pane
            pane.focus()
            await pilot.press(*"exit 4", "enter")
            await wait_for(pilot, lambda: pane.ended, what="exit")
            assert pane.exit_record["exit_code"] == 4

    run(scenario())


def test_a_flood_never_freezes_the_app() -> None:
    async def scenario() -> None:
        flood = "i=0; while [ $i -lt 200000 ]; do echo \"line $i of a flood\"; i=$((i+1)); done"
        app = PaneApp(["sh", "-c", f"{flood}; echo done-flooding; sleep 30"])
        async with app.run_test(size=(100, 30)) as pilot:
            pane = app.query_one(TerminalPane)
            start = time.monotonic()
            worst = 0.0
            while "done-flooding" not in pane.text() and time.monotonic() - start < 60:
                before = time.monotonic()
                await pilot.pause(0.01)
                worst = max(worst, time.monotonic() - before)
            elapsed = time.monotonic() - start
            assert "done-flooding" in pane.text()
            assert worst < 0.5, f"the event loop stalled for {worst:.2f}s"
            assert pane.frames <= 35 * elapsed + 5  # coalesced: about 30 frames a second

    run(scenario())


@pytest.mark.usefixtures("private_state")
def test_an_unsaved_rootless_config_is_what_launch_validates(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'Config: make rootless', then launch the edited version as a plain user: no 'needs
    root' (the bug was that the file on disk was validated and launched)."""
    import bundlebench.containers.launch as launch
    import shim
    from bundlebench.bundle.config import ConfigDocument
    from bundlebench.edit import EditSession, actions
    from bundlebench.tui.screens.containers_launch import UnsavedEditsDialog

    def no_shim(*args, **kwargs):
        raise shim.ShimError("no shim in this test")

    monkeypatch.setattr(launch.os, "geteuid", lambda: 1000)
    monkeypatch.setattr(launch.os, "getegid", lambda: 1000)
    monkeypatch.setattr(shim, "launch", no_shim)
    import shutil
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="bb-rootless-"))  # searchable by "uid 1000"
    base.chmod(0o755)
    bundle = make_bundle(base, default_config())
    for path in (bundle, bundle / "rootfs"):
        path.chmod(0o755)

    async def scenario() -> None:
        app = ContainersHost(bundle, tmp_path / "root")
        actions.make_rootless(EditSession(app.bundle.config), uid=1000, gid=1000)
        app.dirty = True
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, UnsavedEditsDialog),
                           what="the question")
            await pilot.press("e")
            dialog = await wait_for(pilot, lambda: not isinstance(app.screen,
                                                                   UnsavedEditsDialog)
                                    and app.screen, what="the launch dialog")
            dialog.action_submit()
            await wait_for(pilot, lambda: "no shim in this test" in screen_text(app),
                           what="the launch to reach the shim")
            assert "needs root" not in screen_text(app)

    try:
        run(scenario())
        assert ConfigDocument.load(bundle / "config.json").data == default_config()
    finally:
        shutil.rmtree(base)


class WidgetsApp(App[None]):
    """The lifecycle view and the inspector alone, fed by hand."""

    def compose(self) -> ComposeResult:
        from bundlebench.tui.widgets.inspector import Inspector
        from bundlebench.tui.widgets.lifecycle import LifecycleView

        yield LifecycleView(id="lifecycle")
        yield Inspector(id="inspector")


def test_container_text_is_shown_never_obeyed() -> None:
    from rich.text import Text
    from textual.widgets import DataTable

    from bundlebench.containers import inspect
    from bundlebench.containers.mount_labels import describe
    from bundlebench.spec.steps import ExplainedStep
    from bundlebench.tui.widgets.inspector import Inspector, Snapshot
    from bundlebench.tui.widgets.lifecycle import LifecycleView
    from runtime.linux import mountinfo

    hostile = "[bold]evil[/bold]\x1b]0;pwned\x07"

    async def scenario() -> None:
        app = WidgetsApp()
        async with app.run_test(size=(160, 50)) as pilot:
            lifecycle = app.query_one(LifecycleView)
            lifecycle.show_steps([ExplainedStep("hostname", "Hostname", f"sethostname({hostile})",
                                                "ok", 3, "why", "/hostname")])
            inspector = app.query_one(Inspector)
            inspector.query_one("#inspector-body").display = True
            snapshot = Snapshot(pid=1, processes=[inspect.ProcessRow(0, 1, "root", hostile,
                                                                     0.0, 0)])
            inspector._show_processes(snapshot)
            await pilot.pause()
            text = screen_text(app)
            assert "sethostname([bold]evil[/bold]\\x1b]0;pwned\\x07)" in text
            # the timeline's cell, the step's detail, the process's command line
            assert text.count("[bold]evil[/bold]\\x1b]0;pwned\\x07") == 3
            assert "\x1b]0;" not in text
            # A mount's paths and its label (which quotes them) are Text, never markup.
            row = f"1 0 254:0 /{hostile} /mnt rw - ext4 /dev/{hostile} rw"
            snapshot.mounts = describe(mountinfo.parse(row), [])
            inspector._show_mounts(snapshot)
            table = inspector.query_one("#inspector-mounts", DataTable)
            cells = table.get_row_at(0)
            assert all(isinstance(cell, Text) for cell in cells)
            assert "\x1b" not in "".join(cell.plain for cell in cells)
            assert "[bold]evil[/bold]\\x1b]0;pwned\\x07" in cells[1].plain  # the label

    run(scenario())


def test_inspector_scrolls_in_its_pane_above_the_footer(tmp_path: Path) -> None:
    """300 mounts and 50 processes: the body scrolls, and its last row shows above the
    footer (it sat under it)."""
    from textual.widgets import DataTable, Footer

    from bundlebench.containers import inspect
    from bundlebench.containers.mount_labels import describe
    from bundlebench.tui.widgets.inspector import Inspector, Snapshot
    from runtime.linux import mountinfo

    text = "".join(f"{i} 1 0:{i} / /mnt/m{i:03} rw - tmpfs tmpfs rw\n" for i in range(300))
    snapshot = Snapshot(pid=1, mounts=describe(mountinfo.parse(text), []),
                        processes=[inspect.ProcessRow(0, i, "root", f"p{i}", 0.0, 0, i)
                                   for i in range(1, 51)])

    async def scenario() -> None:
        app = ContainersHost(make_bundle(tmp_path, default_config()), tmp_path / "no-root",
                             FixedScreen)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.containers
            screen.query_one("#containers-tabs").active = "tab-inspect"
            inspector = screen.query_one(Inspector)
            inspector.query_one("#inspector-empty").display = False
            body = inspector.query_one("#inspector-body")
            body.display = True
            inspector._show_processes(snapshot)
            inspector._show_mounts(snapshot)
            await pilot.pause()
            footer = screen.query_one(Footer).region
            assert body.region.bottom <= footer.y and body.max_scroll_y > 0
            body.scroll_end(animate=False)
            table = inspector.query_one("#inspector-mounts", DataTable)
            table.move_cursor(row=299)
            await pilot.pause()
            await pilot.pause()
            assert table.region.bottom <= footer.y
            assert "/mnt/m299" in screen_text(app)

    run(scenario())
