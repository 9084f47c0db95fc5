"""The containers screen's Logs tab: a detached container's output shown, followed,
searched and saved; its escape sequences shown, never obeyed. The line rendering is
tested without root; the rest with real containers (root)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bundlebench.containers.launch import LaunchOptions, launch_bundle
from bundlebench.tui.widgets.log_text import log_line
from bundlebench.tui.widgets.logs_view import LogsView
from tests.integration.conftest import ROOT_ONLY
from tests.tui.containers_host import (
    SIZE,
    ContainersHost,
    private_state,  # noqa: F401 - a fixture
    run,
    wait_for,
)
from tests.tui.helpers import screen_text

HOSTILE = r"printf 'title\033]2;PWNED\007 clear\033[2J bidi\342\200\256 red\033[31mRED\033[0m\n'"


# -- lines, without root ----------------------------------------------------------------
def test_a_line_keeps_colours_and_shows_every_other_control() -> None:
    line = log_line("a\x1b[1;31mRED\x1b[0m b\x1b]2;PWNED\x07 c\x1b[2J\u202e\r")
    assert line.plain == "aRED b\\x1b]2;PWNED\\x07 c\\x1b[2J\\u202e"
    red = [span for span in line.spans if line.plain[span.start:span.end] == "RED"]
    assert red and red[0].style.color.number == 1 and red[0].style.bold


def test_a_line_drops_blink_and_conceal_and_expands_tabs() -> None:
    line = log_line("\x1b[5;8mhidden\x1b[0m\tx")
    assert line.plain == "hidden  x"
    assert all("conceal" not in str(span.style) and "blink" not in str(span.style)
               for span in line.spans)


def test_a_huge_line_is_cut_with_a_note() -> None:
    line = log_line("x" * 100_000)
    assert len(line.plain) < 5000 and line.plain.endswith("(line cut)")


# -- real containers ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """The demo bundle and a private runtime root; every container made is deleted."""
    if os.geteuid() != 0:
        pytest.skip("needs root: real containers")
    from bundlebench.bundle.demo import build_demo

    base = tmp_path_factory.mktemp("logs-tab")
    os.chmod(base, 0o755)
    bundle = build_demo(base / "demo")
    root = base / "state"
    yield bundle, root
    from bundlebench.containers.control import delete
    from runtime.api import Runtime

    leftovers = [state["id"] for state in Runtime(str(root)).list()] if root.exists() else []
    for container_id in leftovers:
        delete(str(root), container_id)
    assert not leftovers, f"containers left behind: {leftovers}"


def detached(bundle: Path, root: Path, script: str) -> str:
    """Launch ``sh -c script`` detached, without a terminal; its id."""
    options = LaunchOptions(args=["sh", "-c", script], terminal=False, attach=False)
    return launch_bundle(bundle, root=str(root), options=options).id


def remove(root: Path, container_id: str) -> None:
    from bundlebench.containers.control import delete

    delete(str(root), container_id)


async def open_logs(pilot, app: ContainersHost, container_id: str) -> LogsView:
    screen = app.containers
    await wait_for(pilot, lambda: container_id in screen.table.rows_by_id, what="the row")
    screen.table.select_id(container_id)
    await pilot.pause()
    await pilot.press("o")
    view = screen.query_one(LogsView)
    await wait_for(pilot, lambda: view.container_id == container_id, what="the logs")
    return view


def shown(view: LogsView) -> str:
    return "\n".join(text.plain for text in view.lines.shown())


@ROOT_ONLY
@pytest.mark.usefixtures("private_state")
def test_a_detached_container_s_lines_show_follow_find_and_save(demo, tmp_path) -> None:
    bundle, root = demo
    container_id = detached(bundle, root, "for i in 1 2 3; do echo line-$i; done; "
                            f"{HOSTILE}; sleep 2; echo later-line; sleep 600")
    saved = tmp_path / "out.log"

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            view = await open_logs(pilot, app, container_id)
            await wait_for(pilot, lambda: "line-3" in shown(view), what="the first lines")
            assert "line-1\nline-2\nline-3" in shown(view)
            # The hostile line: visible escapes on the screen, no raw control.
            await wait_for(pilot, lambda: "PWNED" in screen_text(app), what="the escapes")
            text = screen_text(app)
            assert "\\x1b]2;PWNED\\x07" in text and "\\x1b[2J" in text
            assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
            # Following: the later line is appended.
            await wait_for(pilot, lambda: "later-line" in shown(view), what="followed output")
            assert "following" in view.status_text().plain
            # Find: the match is current and counted.
            await pilot.press("slash")
            await pilot.pause()
            await pilot.press(*"LINE-2", "enter")
            await wait_for(pilot, lambda: view.lines.current is not None, what="the match")
            index, column = view.lines.current
            assert view.lines.shown()[index].plain == "line-2" and column == 0
            assert "1 match" in view.status_text().plain
            assert not view.following  # a match stays in view
            await pilot.press("slash")
            await pilot.pause()
            await pilot.press("ctrl+a", "ctrl+k", *"line-", "enter")
            await pilot.pause()
            first = view.lines.current
            await pilot.press("n")
            assert view.lines.current != first
            # Save: the lines as shown, atomically, to the path asked.
            await pilot.press("ctrl+s")
            await pilot.pause()
            await pilot.press("ctrl+a", "ctrl+k", *str(saved), "enter")
            await wait_for(pilot, saved.exists, what="the saved file")
            # F pauses: new output is held back, then shown.
            await pilot.press("F")
            assert view.following
            await pilot.press("F")
            assert not view.following and "paused" in view.status_text().plain

    try:
        run(scenario())
    finally:
        remove(root, container_id)
    content = saved.read_text()
    assert "line-1\nline-2\nline-3\n" in content and "later-line\n" in content
    assert "\\x1b]2;PWNED\\x07" in content and "\x1b" not in content
    assert oct(saved.stat().st_mode & 0o777) == "0o600"


@ROOT_ONLY
@pytest.mark.usefixtures("private_state")
def test_a_stopped_container_s_log_shows_and_saving_never_overwrites_unasked(
        demo, tmp_path) -> None:
    bundle, root = demo
    container_id = detached(bundle, root, "echo first; echo last")
    from runtime.api import Runtime

    deadline = time.monotonic() + 15
    while Runtime(str(root)).state(container_id)["status"] != "stopped":
        assert time.monotonic() < deadline, "the container did not stop"
        time.sleep(0.1)
    existing = tmp_path / "kept.log"
    existing.write_text("mine\n")

    async def scenario() -> None:
        from bundlebench.tui.screens.confirm import ConfirmScreen

        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            view = await open_logs(pilot, app, container_id)
            await wait_for(pilot, lambda: view.ended, what="the end of the log")
            assert shown(view) == "first\nlast"
            assert "this is all of its output" in view.status_text().plain
            await pilot.press("ctrl+s")
            await pilot.pause()
            await pilot.press("ctrl+a", "ctrl+k", *str(existing), "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen),
                           what="the question")
            await pilot.press("n")
            await pilot.pause()
            assert existing.read_text() == "mine\n"
            await pilot.press("ctrl+s")
            await pilot.pause()
            await pilot.press("ctrl+a", "ctrl+k", *str(existing), "enter")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen),
                           what="the question")
            await pilot.press("y")
            await wait_for(pilot, lambda: existing.read_text() != "mine\n", what="the save")

    try:
        run(scenario())
    finally:
        remove(root, container_id)
    assert existing.read_text() == "first\nlast\n"


@ROOT_ONLY
@pytest.mark.usefixtures("private_state")
def test_a_container_without_a_log_says_so(demo) -> None:
    bundle, root = demo
    container_id = detached(bundle, root, "sleep 600")
    log = root / container_id / "console.log"

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            # As for a container another runtime made: no console log in its state dir.
            await wait_for(pilot, log.exists, what="the log")
            log.unlink()
            view = await open_logs(pilot, app, container_id)
            await wait_for(pilot, lambda: view.trouble, what="the sentence")
            assert "has no console log" in screen_text(app)

    try:
        run(scenario())
    finally:
        remove(root, container_id)
