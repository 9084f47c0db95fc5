"""Benchmark the rootfs screen: first paint on a 200k-file rootfs, expanding 20k entries.

Run: python tests/bench/bench_tui.py [--files 200000] [--big 20000] [--dir DIR]
Targets (issue 5): first paint <= 1 s (no full walk at start), expand 20k <= 200 ms.
Also reports how long a key press waits while a 100k-entry directory is being read,
and, as the anchor, the first paint of a minimal Textual app on this machine.
The synthetic bundle is kept in DIR (default /tmp/bundlebench-bench-tui) for reruns.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

FIRST_PAINT_TARGET = 1.0
EXPAND_TARGET = 0.200


def build(bundle: Path, files: int, big: int, huge: int) -> None:
    """rootfs/ with /big (``big`` entries), /huge (``huge``) and the rest spread in /tree."""
    marker = bundle / ".built"
    wanted = f"{files} {big} {huge}"
    if marker.exists() and marker.read_text() == wanted:
        return
    import shutil

    from runtime.defaults import default_config

    shutil.rmtree(bundle, ignore_errors=True)
    rootfs = bundle / "rootfs"
    for name, count in (("big", big), ("huge", huge)):
        (rootfs / name).mkdir(parents=True)
        for i in range(count):
            os.close(os.open(rootfs / name / f"file-{i:06}", os.O_CREAT | os.O_WRONLY, 0o644))
    rest = max(0, files - big - huge)
    per_dir = 1000
    for d in range((rest + per_dir - 1) // per_dir):
        sub = rootfs / "tree" / f"d{d // 20:03}" / f"e{d:04}"
        sub.mkdir(parents=True)
        for i in range(min(per_dir, rest - d * per_dir)):
            os.close(os.open(sub / f"f{i:04}", os.O_CREAT | os.O_WRONLY, 0o644))
    (rootfs / "etc").mkdir()
    (rootfs / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (bundle / "config.json").write_text(json.dumps(default_config(rootless=False), indent=2))
    marker.write_text(wanted)


def child_first_paint(bundle: str, started: float) -> None:
    """Runs in a fresh interpreter: import, open, mount, read /, paint; print seconds."""
    from bundlebench.tui.app import BundlebenchApp
    from bundlebench.tui.widgets.rootfs_tree import RootfsTree

    async def run() -> None:
        app = BundlebenchApp(bundle)
        async with app.run_test(size=(120, 40)) as pilot:
            tree = app.query_one(RootfsTree)
            while not tree.root.loaded:
                await asyncio.sleep(0.001)
            await pilot.pause()  # one more refresh: the children are on screen
            print(time.time() - started)

    asyncio.run(run())


def child_anchor_paint(started: float) -> None:
    """The anchor: a minimal Textual app (a Static and a Footer) to its first paint."""
    from textual.app import App
    from textual.widgets import Footer, Static

    class Minimal(App[None]):
        def compose(self):  # noqa: ANN202
            yield Static("hello")
            yield Footer()

    async def run() -> None:
        app = Minimal()
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            print(time.time() - started)

    asyncio.run(run())


def first_paint(bundle: Path | None, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        target = ["--child-first-paint", str(bundle)] if bundle else ["--child-anchor"]
        out = subprocess.run(
            [sys.executable, __file__, *target, repr(time.time())],
            capture_output=True, text=True, check=True,
        ).stdout
        samples.append(float(out.strip().splitlines()[-1]))
    return samples


async def expand_and_keys(bundle: Path, repeat: int) -> tuple[list[float], list[float], int]:
    from bundlebench.tui.app import BundlebenchApp
    from bundlebench.tui.widgets.rootfs_tree import RootfsTree

    expand: list[float] = []
    key_waits: list[float] = []
    app = BundlebenchApp(bundle, validator=lambda config, path: [])
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.query_one(RootfsTree)
        while not tree.root.loaded:
            await asyncio.sleep(0.01)
        big = next(node for node in tree.root.children if node.name == "big")
        for _ in range(repeat):
            await tree.reload(big)  # forget what was read
            tree.collapse_node(big)
            await pilot.pause()
            start = time.perf_counter()
            await tree.expand_node(big)
            await pilot.pause()  # painted
            expand.append(time.perf_counter() - start)
        count = len(big.children)
        # Key presses while /huge is read in the worker.
        huge = next(node for node in tree.root.children if node.name == "huge")
        tree.collapse_node(big)
        tree.move_cursor_to(tree.root)
        task = asyncio.create_task(tree.expand_node(huge))
        await asyncio.sleep(0.01)
        while not task.done():
            # A key as the terminal sends it; wait until the cursor has moved.
            before = tree.cursor
            start = time.perf_counter()
            app.simulate_key("down" if before == 0 else "up")
            while tree.cursor == before and not task.done():
                await asyncio.sleep(0.001)
            key_waits.append(time.perf_counter() - start)
            await asyncio.sleep(0.02)
        await task
    return expand, key_waits, count


def main() -> int:
    if len(sys.argv) == 4 and sys.argv[1] == "--child-first-paint":
        child_first_paint(sys.argv[2], float(sys.argv[3]))
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "--child-anchor":
        child_anchor_paint(float(sys.argv[2]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--big", type=int, default=20_000)
    parser.add_argument("--huge", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/bundlebench-bench-tui"))
    args = parser.parse_args()
    start = time.perf_counter()
    build(args.dir, args.files, args.big, args.huge)
    print(f"bundle: {args.dir} ({args.files:,} files; built/reused in "
          f"{time.perf_counter() - start:.1f} s)")
    paint = statistics.median(first_paint(args.dir, args.repeat))
    anchor = statistics.median(first_paint(None, args.repeat))
    expand, keys, count = asyncio.run(expand_and_keys(args.dir, args.repeat))
    expand_median = statistics.median(expand)
    verdict = "ok" if paint <= FIRST_PAINT_TARGET else "SLOW"
    print(f"start to first paint:      {paint * 1000:7.0f} ms  (target "
          f"{FIRST_PAINT_TARGET * 1000:.0f} ms, {paint / FIRST_PAINT_TARGET:.2f} of it)  {verdict}")
    print(f"  anchor, a minimal Textual app: {anchor * 1000:.0f} ms "
          f"(bundlebench takes {paint / anchor:.2f}x)")
    print(f"expand {count:,} entries:     {expand_median * 1000:7.0f} ms  (target "
          f"{EXPAND_TARGET * 1000:.0f} ms, {expand_median / EXPAND_TARGET:.2f} of it)  "
          f"{'ok' if expand_median <= EXPAND_TARGET else 'SLOW'}")
    if keys:
        print(f"key press while reading {args.huge:,} entries: median "
              f"{statistics.median(keys) * 1000:.0f} ms, worst {max(keys) * 1000:.0f} ms "
              f"({len(keys)} presses)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
