"""Regenerate the README's screenshots: python tests/tui/make_screenshots.py

Drives the real app headless (Textual's run_test) over the TUI tests' sample bundle,
with a copy of the host's /bin/ls for a real ELF, and writes screenshots/*.svg.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bundlebench.tui.app import BundlebenchApp  # noqa: E402
from bundlebench.tui.widgets.rootfs_tree import RootfsTree  # noqa: E402
from tests.tui.bundles import FIXED_MTIME, build_bundle  # noqa: E402

OUT = ROOT / "screenshots"
BUNDLE = Path("/tmp/bundlebench-screenshots/oci-bundle")
SIZE = (120, 34)
DEMO = Path("/tmp/bundlebench-screenshots/demo")
STATE = Path("/tmp/bundlebench-screenshots/state")


async def shoot() -> list[Path]:
    written: list[Path] = []
    app = BundlebenchApp(BUNDLE)

    async def save(name: str) -> None:
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause(0.05)
        path = OUT / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"bundlebench {BUNDLE.name}"))
        written.append(path)

    async with app.run_test(size=SIZE) as pilot:
        tree = app.query_one(RootfsTree)
        await save("rootfs")
        await tree.reveal("/usr/bin/ls")
        await save("rootfs-elf")
        await tree.reveal("/usr/bin/greet.py")
        await save("rootfs-text")
        await tree.reveal("/etc/climb")
        await save("rootfs-hostile-links")
        screen = app.screen
        screen.action_filter()
        screen.query_one("#filter-input").value = "item-00*"
        screen.start_search("item-00*")
        await app.workers.wait_for_complete()
        screen.tree.focus()
        await save("rootfs-filter")
        await pilot.press("escape", "f1")
        await save("help")
        await pilot.press("escape", "2")
        await save("config")
    return written


async def shoot_containers() -> list[Path]:
    """The containers screen with a running demo container, the launch dialog and the
    lifecycle view (root only: it runs a real container, deleted afterwards)."""
    from bundlebench.bundle.demo import build_demo
    from bundlebench.containers.control import delete
    from bundlebench.tui.screens.containers_launch import LaunchDialog
    from runtime.api import Runtime
    from tests.tui.containers_host import wait_for

    written: list[Path] = []
    demo = build_demo(DEMO)
    app = BundlebenchApp(demo)
    app.runtime_root = str(STATE)  # a private root: nothing else's containers in the shot

    async def save(name: str) -> None:
        await pilot.pause(0.3)
        path = OUT / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"bundlebench {demo.name}"))
        written.append(path)

    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("3")
            await pilot.pause(0.5)
            await pilot.press("l")
            dialog = await wait_for(pilot, lambda: isinstance(app.screen, LaunchDialog)
                                    and app.screen, what="the launch dialog")
            await save("launch-dialog")
            dialog.action_submit()
            screen = await wait_for(pilot, lambda: not isinstance(app.screen, LaunchDialog)
                                    and app.screen, what="the containers screen")
            pane = await wait_for(pilot, lambda: next(iter(screen.query("#terminal-pane")),
                                                      None), what="the terminal pane")
            await wait_for(pilot, lambda: "#" in pane.text(), what="the shell prompt")
            await pilot.press(*"ls /", "enter")
            await wait_for(pilot, lambda: "proc" in pane.text(), what="the listing")
            await save("containers-running")
            screen.action_show_tab("tab-lifecycle")
            await save("containers-lifecycle")
    finally:
        for state in Runtime(str(STATE)).list() if STATE.exists() else []:
            delete(str(STATE), state["id"])
    return written


async def shoot_step() -> list[Path]:
    """The step view at 80x24, stopped after the first mount in the container's own
    mount namespace (root only: a real `create --step`, abandoned afterwards)."""
    from bundlebench.bundle.demo import build_demo
    from bundlebench.tui.screens.step import StepScreen
    from tests.tui.containers_host import wait_for

    demo = build_demo(DEMO)
    app = BundlebenchApp(demo)
    app.runtime_root = str(STATE)
    path = OUT / "step-view.svg"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await pilot.pause(0.5)
        await pilot.press("S")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, StepScreen)
                                and app.screen, what="the step view")
        for _ in range(80):  # n until the stop after the first mount of the container
            stop = await wait_for(pilot, lambda: screen.stop, what="a stop")
            if stop.step == "mount" and stop.stage == "init":
                break
            await pilot.press("n")
            await wait_for(pilot, lambda old=stop: screen.stop not in (None, old))
        await pilot.press("n")
        await wait_for(pilot, lambda: screen.stop is not None and screen.view is not None
                       and screen.view.pid == screen.stop.pid, what="/proc")
        await pilot.pause(0.3)
        path.write_text(app.export_screenshot(title=f"bundlebench {demo.name}"))
        await pilot.press("q")
        await wait_for(pilot, lambda: not isinstance(app.screen, StepScreen), timeout=30)
    return [path]


async def shoot_lessons() -> list[Path]:
    """The lessons screen at 80x24 after the pid lesson's check passed (root only: the
    check runs in a real container)."""
    from bundlebench.bundle.demo import build_demo
    from tests.tui.containers_host import wait_for

    demo = build_demo(DEMO)
    app = BundlebenchApp(demo)
    app.runtime_root = str(STATE)
    path = OUT / "lessons.svg"
    os.environ["XDG_STATE_HOME"] = str(STATE.parent / "lesson-state")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        await pilot.pause(0.5)
        await pilot.press("c")
        status = app.screen.query_one("#lessons-status")
        await wait_for(pilot, lambda: "passed" in str(status.render()), what="the check")
        await pilot.pause(0.3)
        app.save_screenshot(str(path))
    return [path]


def main() -> int:
    os.environ["TZ"] = "UTC"
    time.tzset()
    shutil.rmtree(BUNDLE, ignore_errors=True)
    build_bundle(BUNDLE)
    ls = shutil.which("ls")
    if ls:
        copy = BUNDLE / "rootfs/usr/bin/ls"
        shutil.copy(os.path.realpath(ls), copy)
        os.utime(copy, (FIXED_MTIME, FIXED_MTIME))
    OUT.mkdir(exist_ok=True)
    for path in asyncio.run(shoot()):
        print(path.relative_to(ROOT))
    if os.geteuid() == 0:
        for path in (asyncio.run(shoot_containers()) + asyncio.run(shoot_step())
                     + asyncio.run(shoot_lessons())):
            print(path.relative_to(ROOT))
    else:
        print("the containers screenshots run a container: run this as root for them")
    shutil.rmtree(BUNDLE.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
