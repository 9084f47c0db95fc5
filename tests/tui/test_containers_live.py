"""The containers screen with real containers (root): launch the demo bundle, type into
its terminal, exec a second shell, inspect, trace, kill, stop; nothing may leak."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from textual.widgets import OptionList

from bundlebench.tui.widgets.containers_dialogs import SignalPicker
from bundlebench.tui.widgets.inspector import Inspector
from bundlebench.tui.widgets.lifecycle import LifecycleView
from bundlebench.tui.widgets.terminal_pane import TerminalPane
from tests.integration.conftest import ROOT_ONLY
from tests.tui.containers_host import (
    SIZE,
    ContainersHost,
    launch_with_dialog,
    private_state,  # noqa: F401 - a fixture
    run,
    wait_for,
)
from tests.tui.helpers import screen_text

pytestmark = [ROOT_ONLY, pytest.mark.usefixtures("private_state")]


def _shims(root: Path) -> list[int]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if "shim" in cmdline and str(root) in cmdline:
            found.append(process.pid)
    return found


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The demo bundle and a private runtime root; afterwards nothing may be left."""
    from bundlebench.bundle.demo import build_demo

    base = tmp_path_factory.mktemp("containers-live")
    os.chmod(base, 0o755)
    bundle = build_demo(base / "demo")
    root = base / "state"
    yield bundle, root
    from bundlebench.containers.control import delete
    from bundlebench.containers.records import RECORDS_DIR
    from runtime.api import Runtime

    leftovers = [state["id"] for state in Runtime(str(root)).list()] if root.exists() else []
    for container_id in leftovers:
        delete(str(root), container_id)
    records = root / RECORDS_DIR
    stale = sorted(p.name for p in records.iterdir()) if records.exists() else []
    deadline = time.monotonic() + 10
    while _shims(root) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not leftovers, f"containers left behind: {leftovers}"
    assert not records.exists(), f"launch records left behind: {stale}"
    assert not _shims(root), "a shim outlived its container"
    children = [p.pid for p in psutil.Process().children(recursive=True)]
    assert not children, f"child processes left behind: {children}"


async def launch(pilot, app: ContainersHost) -> TerminalPane:
    """Press l and wait for the attached pane's prompt."""
    await pilot.pause()
    await launch_with_dialog(pilot)
    screen = app.containers
    pane = await wait_for(pilot, lambda: next(iter(screen.query("#terminal-pane")), None),
                          what="the terminal pane")
    await wait_for(pilot, lambda: "#" in pane.text(), what="the shell prompt")
    # The pane attaches at once; the list shows (and selects) the row a listing later:
    # the keys that act on the selected row (k, s, f...) need it.
    await wait_for(pilot, lambda: screen.selected is not None
                   and screen.selected.id == screen.attached_id, what="the row")
    return pane


async def delete_and_wait(pilot, app: ContainersHost, container_id: str) -> None:
    app.containers.delete(container_id)
    await wait_for(pilot, lambda: container_id not in app.containers.table.rows_by_id,
                   what="the deletion")


def test_launch_type_echo_hello_and_keep_running_after_quit(demo) -> None:
    bundle, root = demo
    box: dict[str, str] = {}

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            pane = await launch(pilot, app)
            await pilot.press(*"echo hel''lo", "enter")
            await wait_for(pilot, lambda: "\nhello" in pane.text(), what="hello")
            await pilot.press(*"stty size", "enter")
            size = f"{pane.size.height} {pane.size.width}"
            await wait_for(pilot, lambda: size in pane.text(), what="the pane's size")
            await wait_for(pilot, lambda: app.containers.selected, what="the row")
            box["id"] = app.containers.attached_id or ""
            assert app.containers.selected.status == "running"

    run(scenario())
    from bundlebench.containers.control import delete
    from runtime.api import Runtime

    assert Runtime(str(root)).state(box["id"])["status"] == "running"  # quitting kills nothing
    delete(str(root), box["id"])


def test_exec_shell_in_a_new_tab(demo) -> None:
    bundle, root = demo

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            await launch(pilot, app)
            screen = app.containers
            await wait_for(pilot, lambda: screen.selected, what="the row")
            screen.table.focus()
            await pilot.press("e")
            pane = await wait_for(pilot, lambda: next(iter(screen.query(".exec-pane")), None),
                                  what="the exec tab")
            await wait_for(pilot, lambda: "#" in pane.text(), what="the exec prompt")
            await pilot.press(*"echo exec-$((6*7)); hostname", "enter")
            await wait_for(pilot, lambda: "bundlebench-demo" in pane.text(), what="exec output")
            assert "exec-42" in pane.text()
            await pilot.press(*"exit 3", "enter")
            await wait_for(pilot, lambda: pane.ended, what="the exec's end")
            assert pane.exit_record["exit_code"] == 3
            assert screen.selected.status == "running"  # the container goes on
            await delete_and_wait(pilot, app, screen.selected.id)

    run(scenario())


def test_kill_with_the_signal_picker_shows_the_exit(demo) -> None:
    bundle, root = demo

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            await launch(pilot, app)
            screen = app.containers
            container_id = screen.attached_id
            screen.table.focus()
            await pilot.press("k")
            picker = await wait_for(pilot, lambda: isinstance(app.screen, SignalPicker)
                                    and app.screen, what="the signal picker")
            options = picker.query_one(OptionList)
            options.highlighted = [o.id for o in options._options].index("KILL")
            await pilot.press("enter")
            await wait_for(pilot, lambda: "killed by SIGKILL" in screen_text(app),
                           what="the exit status")
            await wait_for(pilot, lambda: screen.selected and screen.selected.status ==
                           "stopped", what="stopped")
            assert screen.selected.status_text == "exited 137 (SIGKILL)"
            await delete_and_wait(pilot, app, container_id)

    run(scenario())


def test_stop_sends_term_then_kill(demo) -> None:
    bundle, root = demo

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            await launch(pilot, app)
            screen = app.containers
            screen.stop_timeout = 1.0  # sh as pid 1 ignores SIGTERM: KILL follows
            container_id = screen.attached_id
            screen.table.focus()
            started = time.monotonic()
            await pilot.press("s")
            await wait_for(pilot, lambda: screen.selected and screen.selected.status_text ==
                           "exited 137 (SIGKILL)", what="SIGTERM, then SIGKILL")
            assert time.monotonic() - started >= 1.0  # TERM was tried first
            await delete_and_wait(pilot, app, container_id)

    run(scenario())


def test_inspector_and_lifecycle_of_a_real_container(demo) -> None:
    bundle, root = demo

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            await launch(pilot, app)
            screen = app.containers
            screen.table.focus()
            await pilot.press("i")
            inspector = screen.query_one(Inspector)
            snapshot = await wait_for(pilot, lambda: inspector.snapshot, what="the inspector")
            kinds = {ns.kind: ns for ns in snapshot.namespaces}
            for kind in ("pid", "mnt", "net", "ipc", "uts"):
                assert kinds[kind].verdict == "private", kind
            assert kinds["user"].verdict == "shared with host"  # the demo has no userns
            assert snapshot.processes[0].command == "sh" and snapshot.processes[0].nspid == 1
            assert "CAP_NET_BIND_SERVICE" in snapshot.security.capabilities["effective"]
            assert any(m.target == "/proc" and m.fstype == "proc" for m in snapshot.mounts)
            keys = next(m for m in snapshot.mounts if m.target == "/proc/keys")
            assert keys.label == "masked: /dev/null bound over it"
            text = screen_text(app)
            assert "private" in text and "shared with host" in text
            await wait_for(pilot, lambda: len(inspector.snapshot.cpu) >= 2, what="a 2nd sample")

            await pilot.press("t")
            lifecycle = screen.query_one(LifecycleView)
            await wait_for(pilot, lambda: lifecycle.steps, what="the trace")
            steps = [step.step for step in lifecycle.steps]
            for expected in ("namespace", "mount", "pivot_root", "capabilities", "exec"):
                assert expected in steps
            assert steps[-1] == "exec"
            assert all(step.ok or step.result == "skipped" for step in lifecycle.steps)
            began = [step.at_ms for step in lifecycle.steps]
            assert began[0] == 0 and began == sorted(began)  # a timeline, in order
            assert len({step.pid for step in lifecycle.steps}) >= 3  # runtime, stage 1, init
            hostname = next(s for s in lifecycle.steps if s.step == "hostname")
            assert hostname.pointer == "/hostname"
            lifecycle.query_one("#lifecycle-table").focus()
            await pilot.press("g")  # no config screen in this host app: the pointer is shown
            await wait_for(pilot, lambda: "Caused by the config field" in screen_text(app),
                           what="the pointer")
            await delete_and_wait(pilot, app, screen.attached_id)

    run(scenario())


async def pick_signal(pilot, app: ContainersHost, signal: str) -> None:
    await pilot.press("k")
    picker = await wait_for(pilot, lambda: isinstance(app.screen, SignalPicker)
                            and app.screen, what="the signal picker")
    options = picker.query_one(OptionList)
    options.highlighted = [o.id for o in options._options].index(signal)
    await pilot.press("enter")


def status_of(app: ContainersHost, container_id: str) -> str | None:
    row = app.containers.table.rows_by_id.get(container_id)
    return row.status if row else None


def test_create_start_pause_resume_kill_delete_as_keys(demo) -> None:
    bundle, root = demo

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await launch_with_dialog(pilot, "c")
            screen = app.containers
            row = await wait_for(pilot, lambda: screen.selected and screen.selected.status
                                 == "created" and screen.selected, what="created")
            cid = row.id
            await wait_for(pilot, lambda: screen.query("#terminal-pane"), what="the pane")
            await pilot.pause()
            # Nothing to type to yet: the keys stay with the list (r, i, t...), not the pane.
            assert not isinstance(app.focused, TerminalPane), app.focused
            # created: set up and waiting; the inspector reads what the state allows
            await pilot.press("i")
            inspector = screen.query_one(Inspector)
            snapshot = await wait_for(pilot, lambda: inspector.snapshot, what="the inspector")
            kinds = {ns.kind: ns.verdict for ns in snapshot.namespaces}
            assert kinds["pid"] == "private" and kinds["mnt"] == "private"
            assert "waits on exec.fifo" in screen_text(app)
            await pilot.press("t")
            lifecycle = screen.query_one(LifecycleView)
            await wait_for(pilot, lambda: lifecycle.steps, what="the trace so far")
            assert "exec" not in [step.step for step in lifecycle.steps]  # not yet
            assert "waits on exec.fifo" in screen_text(app)
            pane = screen.query_one("#terminal-pane", TerminalPane)
            assert "#" not in pane.text()  # the shell has not run

            screen.table.focus()
            await pilot.press("r")
            await wait_for(pilot, lambda: status_of(app, cid) == "running", what="running")
            await wait_for(pilot, lambda: "#" in pane.text(), what="the prompt after start")
            await pilot.press("t")
            await wait_for(pilot, lambda: "exec" in [s.step for s in lifecycle.steps],
                           what="the exec step")
            screen.table.focus()
            await pilot.press("p")
            await wait_for(pilot, lambda: status_of(app, cid) == "paused", what="paused")
            await wait_for(pilot, lambda: "now paused" in screen_text(app),
                           what="the transition in the lifecycle view")
            await pilot.press("i")
            await wait_for(pilot, lambda: "freezer holds" in screen_text(app)
                           and inspector.pid == row.pid, what="the paused inspector")
            await pilot.press("u")
            await wait_for(pilot, lambda: status_of(app, cid) == "running", what="resumed")
            await pick_signal(pilot, app, "KILL")
            await wait_for(pilot, lambda: status_of(app, cid) == "stopped", what="killed")
            screen.table.focus()
            await pilot.press("t")
            # The signal's note is written after the kill returns, maybe after the exit
            # showed: the view reads the notes again once the action is done.
            text = await wait_for(pilot, lambda: "exited 137" in screen_text(app)
                                  and "sent SIGKILL" in screen_text(app)
                                  and screen_text(app), what="the exit in the view")
            for step in ("created", "started", "paused", "resumed", "sent SIGKILL"):
                assert step in text, step
            await pilot.press("i")
            await wait_for(pilot, lambda: "processes are gone" in screen_text(app),
                           what="the stopped inspector")
            screen.table.focus()
            await pilot.press("d")  # stopped: deleted without asking
            await wait_for(pilot, lambda: cid not in screen.table.rows_by_id, what="deleted")

    run(scenario())


def test_delete_of_a_running_container_asks_then_forces(demo) -> None:
    from bundlebench.tui.screens.confirm import ConfirmScreen

    bundle, root = demo

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            await launch(pilot, app)
            screen = app.containers
            cid = screen.attached_id
            screen.table.focus()
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="asked")
            await pilot.press("n")
            await pilot.pause(0.3)
            assert status_of(app, cid) == "running"
            await pilot.press("d")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="asked")
            await pilot.press("y")
            await wait_for(pilot, lambda: cid not in screen.table.rows_by_id, what="deleted")

    run(scenario())


def test_unsaved_hostname_goes_with_the_container_not_to_disk(demo) -> None:
    from bundlebench.containers.records import RECORDS_DIR
    from bundlebench.tui.screens.containers_launch import UnsavedEditsDialog

    bundle, root = demo
    on_disk = (bundle / "config.json").read_bytes()

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        app.bundle.config.data["hostname"] = "edited-host"  # as the config screen edits
        app.dirty = True
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            await pilot.press("l")
            await wait_for(pilot, lambda: isinstance(app.screen, UnsavedEditsDialog),
                           what="the unsaved-edits question")
            await pilot.press("e")  # launch the edited version, unsaved
            from bundlebench.tui.screens.containers_launch import LaunchDialog

            dialog = await wait_for(pilot, lambda: isinstance(app.screen, LaunchDialog)
                                    and app.screen, what="the launch dialog")
            assert "unsaved edits" in screen_text(app)
            dialog.action_submit()
            screen = app.containers
            pane = await wait_for(pilot, lambda: next(iter(screen.query("#terminal-pane")),
                                                      None), what="the pane")
            await wait_for(pilot, lambda: "#" in pane.text(), what="the prompt")
            await pilot.press(*"hostname", "enter")
            await wait_for(pilot, lambda: "\nedited-host" in pane.text(), what="hostname")
            assert (bundle / "config.json").read_bytes() == on_disk
            cid = screen.attached_id
            await wait_for(pilot, lambda: screen.selected and screen.selected.edited,
                           what="the edited mark")
            assert screen.selected.this_bundle  # the record names the real bundle
            assert "✎" in screen_text(app)
            screen.table.focus()
            await pilot.press("t")
            lifecycle = screen.query_one(LifecycleView)
            await wait_for(pilot, lambda: lifecycle.steps, what="the trace")
            hostname = next(s for s in lifecycle.steps if s.step == "hostname")
            assert hostname.pointer == "/hostname"
            assert "edited-host" in hostname.syscall
            assert "created with unsaved edits" in screen_text(app)
            assert (root / RECORDS_DIR / cid / "bundle" / "config.json").exists()
            await delete_and_wait(pilot, app, cid)
            assert not (root / RECORDS_DIR / cid).exists()

    run(scenario())


async def launch_with(pilot, app: ContainersHost, args: str, *, attach: bool = True,
                      terminal: bool = True, remove: bool = False) -> str:
    """Launch through the dialog with these choices; returns the id it suggested."""
    from textual.widgets import Checkbox, Input

    from bundlebench.tui.screens.containers_launch import LaunchDialog

    await pilot.pause()
    await pilot.press("l")
    dialog = await wait_for(pilot, lambda: isinstance(app.screen, LaunchDialog)
                            and app.screen, what="the launch dialog")
    dialog.query_one("#launch-args", Input).value = args
    dialog.query_one("#launch-attach", Checkbox).value = attach
    dialog.query_one("#launch-terminal", Checkbox).value = terminal
    dialog.query_one("#launch-rm", Checkbox).value = remove
    await pilot.pause()
    container_id = dialog.container_id
    dialog.action_submit()
    return container_id


def test_args_override_without_a_terminal(demo) -> None:
    from bundlebench.tui.widgets.lifecycle import launched_config

    bundle, root = demo
    on_disk = (bundle / "config.json").read_bytes()

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            cid = await launch_with(pilot, app, "sh -c 'echo out-$((6*7)); read line'",
                                    terminal=False)
            screen = app.containers
            pane = await wait_for(pilot, lambda: next(iter(screen.query("#terminal-pane")),
                                                      None), what="the pane")
            await wait_for(pilot, lambda: "out-42" in pane.text(), what="the override's output")
            config = launched_config(str(root), cid)
            assert config["process"]["terminal"] is False
            assert config["process"]["args"] == ["sh", "-c", "echo out-$((6*7)); read line"]
            assert (bundle / "config.json").read_bytes() == on_disk
            await delete_and_wait(pilot, app, cid)

    run(scenario())


def test_remove_on_exit_leaves_nothing(demo) -> None:
    from bundlebench.containers.records import RECORDS_DIR

    bundle, root = demo

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            cid = await launch_with(pilot, app, "sh -c 'exit 3'", attach=False, remove=True)
            screen = app.containers
            await wait_for(pilot, lambda: f"Launched {cid}" in screen_text(app),
                           what="the launch")
            assert not screen.query("#terminal-pane")  # detached
            await wait_for(pilot, lambda: not (root / cid).exists(), what="removed on exit")
            await wait_for(pilot, lambda: not (root / RECORDS_DIR / cid).exists(),
                           what="its record pruned")
            assert cid not in screen.table.rows_by_id

    run(scenario())


def test_the_pane_says_the_container_ended_and_then_that_it_is_gone(demo) -> None:
    bundle, root = demo

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            pane = await launch(pilot, app)
            screen = app.containers
            container_id = screen.attached_id
            await pilot.press(*"exit 7", "enter")
            await wait_for(pilot, lambda: pane.has_class("-ended"), what="the end")
            assert "exited with code 7" in str(pane.border_subtitle)
            assert "the container is gone" in screen_text(app)
            await delete_and_wait(pilot, app, container_id)
            await wait_for(pilot, lambda: not screen.query("#terminal-pane"),
                           what="the pane to go")
            text = screen_text(app)
            assert "exited with code 7; it is gone (deleted)" in text, text

    run(scenario())


def test_after_full_screen_the_keys_are_back_with_the_list(demo) -> None:
    bundle, root = demo

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            pane = await launch(pilot, app)
            screen = app.containers
            container_id = screen.attached_id
            screen.table.focus()
            await pilot.press("f")  # headless: no terminal to hand over, it comes back
            await wait_for(pilot, lambda: any(p is not pane for p in
                                              screen.query("#terminal-pane")),
                           what="the pane again")
            await pilot.pause(0.2)
            assert app.focused is screen.table
            await pilot.press("a")  # the attach key, not a letter for the shell
            new_pane = screen.query_one("#terminal-pane", TerminalPane)
            assert app.focused is new_pane and new_pane is not pane
            await delete_and_wait(pilot, app, container_id)

    run(scenario())
