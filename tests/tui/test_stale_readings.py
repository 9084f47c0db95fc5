"""A reading started earlier but finished later never replaces a newer one on screen.

Thread workers are not stopped when a newer one replaces them: they run to their end
and hand their result to the event loop. These tests make the older reading the slow
one, as a busy machine does, and check that the screen keeps the newer.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from bundlebench.containers.listing import ContainerRow
from bundlebench.tui.screens.containers import ContainersScreen
from bundlebench.tui.widgets import lifecycle as lifecycle_module
from bundlebench.tui.widgets.lifecycle import Lifecycle, LifecycleView
from runtime.defaults import default_config
from tests.tui.config_host import make_bundle
from tests.tui.containers_host import SIZE, ContainersHost, run, wait_for


class LifecycleHost(App[None]):
    def compose(self) -> ComposeResult:
        yield LifecycleView(id="lifecycle")


def test_a_slow_older_lifecycle_reading_does_not_undo_a_newer_one(
        monkeypatch: pytest.MonkeyPatch) -> None:
    started, release = threading.Event(), threading.Event()

    def read(root: str, container_id: str, status: str | None = None) -> Lifecycle:
        if status == "running":  # the older reading: held until the newer one is shown
            started.set()
            release.wait(10)
        return Lifecycle([], [("now", status or "")])

    monkeypatch.setattr(lifecycle_module, "read_lifecycle", read)

    async def scenario() -> None:
        app = LifecycleHost()
        async with app.run_test(size=SIZE) as pilot:
            view = app.query_one(LifecycleView)
            view.show("/nowhere", "c", "running")
            await wait_for(pilot, started.is_set, what="the older reading to start")
            view.show("/nowhere", "c", "paused")
            await wait_for(pilot, lambda: view.transitions == [("now", "paused")],
                           what="the newer reading")
            release.set()  # now the older one ends and hands its result over
            for _ in range(20):
                await pilot.pause(0.02)
            assert view.transitions == [("now", "paused")]

    run(scenario())


def test_a_slow_older_listing_does_not_undo_a_newer_one(tmp_path: Path) -> None:
    release = threading.Event()
    calls: list[str] = []

    class Screen(ContainersScreen):
        def list_containers(self) -> list[ContainerRow]:
            status = "running" if not calls else "paused"
            calls.append(status)
            if status == "running":
                release.wait(10)
            return [ContainerRow("c-1", status, 0, "/b", "2024-01-02 03:04:05",
                                 this_bundle=True)]

    bundle = make_bundle(tmp_path, default_config())

    async def scenario() -> None:
        app = ContainersHost(bundle, tmp_path / "root", Screen)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = app.containers  # its first listing, at mount, is the slow one
            await wait_for(pilot, lambda: calls, what="the first listing to start")
            screen.poll()
            await wait_for(pilot, lambda: "c-1" in screen.table.rows_by_id
                           and screen.table.rows_by_id["c-1"].status == "paused",
                           what="the newer listing")
            release.set()
            for _ in range(20):
                await pilot.pause(0.02)
            assert screen.table.rows_by_id["c-1"].status == "paused"

    run(scenario())


def test_attach_right_after_a_launch_does_not_wait_for_the_next_listing(
        tmp_path: Path) -> None:
    """The listing said 'not attachable' (the shim's socket came a moment later): the
    attach key checks the socket itself."""
    import socket

    from shim.protocol import ATTACH_SOCKET

    root = tmp_path / "root"
    (root / "c-1").mkdir(parents=True)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(root / "c-1" / ATTACH_SOCKET))

    class Screen(ContainersScreen):
        def list_containers(self) -> list[ContainerRow]:
            return [ContainerRow("c-1", "running", 0, "/b", "2024-01-02 03:04:05",
                                 attachable=False, this_bundle=True)]

    bundle = make_bundle(tmp_path, default_config())

    async def scenario() -> None:
        app = ContainersHost(bundle, root, Screen)
        async with app.run_test(size=SIZE) as pilot:
            screen = app.containers
            await wait_for(pilot, lambda: screen.selected, what="the row")
            screen.table.focus()
            await pilot.press("a")
            await wait_for(pilot, lambda: screen.attached_id == "c-1", what="attached")

    try:
        run(scenario())
    finally:
        listener.close()
