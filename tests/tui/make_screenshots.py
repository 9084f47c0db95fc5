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
        screen.search_panel.results.focus()
        await save("rootfs-filter")
        await pilot.press("escape", "f1")
        await save("help")
        await pilot.press("escape", "2")
        await save("config")
    return written


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
    shutil.rmtree(BUNDLE.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
