"""The step view with a real `create --step` (root): step through the first stops with
n, see the namespaces change after unshare, abandon with q; nothing may be left."""

from __future__ import annotations

import os
from pathlib import Path

import psutil
import pytest

from bundlebench.tui.screens.step import StepScreen
from tests.integration.conftest import ROOT_ONLY, _bundlebench_cgroups
from tests.tui.containers_host import (
    SIZE,
    ContainersHost,
    private_state,  # noqa: F401 - a fixture
    run,
    wait_for,
)
from tests.tui.step_fakes import open_step_view

pytestmark = [ROOT_ONLY, pytest.mark.usefixtures("private_state")]


def _mnt_verdict(screen: StepScreen) -> str | None:
    view = screen.view
    if view is None or view.gone or screen.stop is None or view.pid != screen.stop.pid:
        return None
    return next((ns.verdict for ns in view.namespaces if ns.kind == "mnt"), None)


def test_step_through_unshare_then_abandon_leaves_nothing(tmp_path: Path) -> None:
    from bundlebench.bundle.demo import build_demo
    from bundlebench.containers.records import RECORDS_DIR

    os.chmod(tmp_path, 0o755)
    bundle = build_demo(tmp_path / "demo")
    root = tmp_path / "state"
    seen: dict[str, object] = {}
    cgroups_before = _bundlebench_cgroups()

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = await open_step_view(pilot, app)
            seen["id"] = screen.source.container_id
            assert screen.stop.stage == "runtime"
            for _ in range(60):  # n until stage 1 is about to unshare
                stop = screen.stop
                if stop.step == "namespace" and stop.syscall.startswith("unshare("):
                    break
                await pilot.press("n")
                await wait_for(pilot, lambda old=stop: screen.stop not in (None, old),
                               what="the next stop")
            else:
                raise AssertionError("no unshare stop")
            await wait_for(pilot, lambda: _mnt_verdict(screen), what="the /proc view")
            assert _mnt_verdict(screen) == "shared with host"
            unshare_pid = screen.stop.pid
            await pilot.press("n")
            await wait_for(pilot, lambda: screen.stop is not None
                           and screen.stop.number > 0 and _mnt_verdict(screen) == "private"
                           and screen.stop.pid == unshare_pid,
                           what="its own mount namespace after unshare")
            await pilot.press("q")
            await wait_for(pilot, lambda: not isinstance(app.screen, StepScreen),
                           timeout=30, what="the view to close")
            message = str(app.containers.query_one("#containers-message").render())
            assert "Abandoned" in message and "nothing of it is left" in message

    run(scenario())
    assert not (root / str(seen["id"])).exists(), "the state dir was left behind"
    assert not (root / RECORDS_DIR).exists(), "a launch record was left behind"
    assert _bundlebench_cgroups() == cgroups_before, "a cgroup was left behind"
    children = [p.pid for p in psutil.Process().children(recursive=True)]
    assert not children, f"child processes left behind: {children}"


def test_run_to_exec_start_and_the_last_stop(tmp_path: Path) -> None:
    from bundlebench.bundle.demo import build_demo
    from bundlebench.containers.control import delete
    from bundlebench.containers.stepping import STEP_KINDS
    from bundlebench.tui.widgets.step_dialogs import StepKindPicker

    os.chmod(tmp_path, 0o755)
    bundle = build_demo(tmp_path / "demo")
    root = tmp_path / "state"
    seen: dict[str, str] = {}

    async def scenario() -> None:
        app = ContainersHost(bundle, root)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            screen = await open_step_view(pilot, app)
            seen["id"] = screen.source.container_id
            await pilot.press("r")
            await wait_for(pilot, lambda: isinstance(app.screen, StepKindPicker))
            for _ in range(STEP_KINDS.index("exec")):
                await pilot.press("down")
            await pilot.press("enter")
            await wait_for(pilot, lambda: screen.created, timeout=30, what="created")
            await pilot.press("s")
            await wait_for(pilot, lambda: screen.stop is not None, timeout=30,
                           what="the exec stop")
            assert screen.stop.step == "exec" and screen.stop.stage == "init"
            await wait_for(pilot, lambda: screen.view is not None
                           and screen.view.pid == screen.stop.pid, what="/proc")
            assert screen.view.root == "/"  # pivot_root is behind it
            await pilot.press("n")
            await wait_for(pilot, lambda: not isinstance(app.screen, StepScreen),
                           timeout=30, what="the view to close")
            message = str(app.containers.query_one("#containers-message").render())
            assert "no more stops" in message

    try:
        run(scenario())
    finally:
        if "id" in seen and (root / seen["id"]).exists():
            delete(str(root), seen["id"])
    from bundlebench.containers.records import RECORDS_DIR
    assert not (root / seen["id"]).exists()
    assert not (root / RECORDS_DIR).exists(), "a launch record was left behind"
