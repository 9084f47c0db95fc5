"""Benchmark: list a 100k-entry directory and resolve 10k paths in a synthetic rootfs;
then the rootfs tree on a 200k-file rootfs: first paint and filter as you type.

Run: python tests/bench/bench_rootfs.py [--entries N] [--paths N] [--tree-files N]
Prints medians and ratios against `ls -l` and `find -name` (GNU) on the same trees.
Targets (issue 15): first paint <= 1 s; filter keystroke to first results <= 100 ms.
`--tree-files 0` skips the tree part; its bundle is kept in --tree-dir for reruns.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bundlebench.bundle.dir_sizes import subtree_sizes
from bundlebench.bundle.filter_walk import filter_walk
from bundlebench.bundle.rootfs import Rootfs
from runtime.linux import openat2

FIRST_PAINT_TARGET = 1.0
FILTER_TARGET = 0.100
# Patterns typed into the filter: spread over 200 dirs, in the two big dirs, a glob, none.
FILTER_PATTERNS = ("f0999", "file-01999", "e00*", "no-such-name")


def build(root: Path, entries: int, paths: int) -> list[str]:
    big = root / "big"
    big.mkdir(parents=True)
    for i in range(entries):
        fd = os.open(big / f"entry-{i:06}", os.O_CREAT | os.O_WRONLY, 0o644)
        os.close(fd)
    # A tree of nested dirs with symlinks (absolute and relative) to resolve through.
    for i in range(100):
        d = root / "usr" / f"lib{i}" / "sub"
        d.mkdir(parents=True)
        (d / "file").write_text("x")
    os.symlink("usr", root / "lib")
    os.symlink("/usr/lib7", root / "abs")
    rng = random.Random(7)
    forms = ["/usr/lib{n}/sub/file", "/lib/lib{n}/sub/file", "/abs/sub/../sub/file",
             "/usr/../lib/lib{n}/./sub/file", "/big/entry-{m:06}"]
    return [rng.choice(forms).format(n=rng.randrange(100), m=rng.randrange(entries))
            for _ in range(paths)]


def timed(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--paths", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tree-files", type=int, default=200_000)
    parser.add_argument("--tree-dir", type=Path, default=Path("/tmp/bundlebench-bench-tui"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "rootfs"
        paths = build(root, args.entries, args.paths)
        print(f"synthetic rootfs: {args.entries} entries in /big, {args.paths} paths to resolve")
        ls_time = None
        if shutil.which("ls"):
            ls_time = timed(lambda: subprocess.run(["ls", "-l", str(root / "big")],
                                                   stdout=subprocess.DEVNULL, check=True),
                            args.repeat)
            print(f"  anchor  ls -l /big:                {ls_time * 1000:8.1f} ms")
        resolvers = [("openat2", True)] if openat2.available() else []
        resolvers.append(("fd walk", False))
        for label, use in resolvers:
            rootfs = Rootfs(root, use_openat2=use)
            list_time = timed(lambda r=rootfs: r.list_dir("/big"), args.repeat)
            ratio = f"  ({list_time / ls_time:.2f}x ls -l)" if ls_time else ""
            print(f"  {label:8} list_dir(/big):          {list_time * 1000:8.1f} ms{ratio}")

            def resolve_all(r: Rootfs = rootfs) -> None:
                for path in paths:
                    r.stat(path)

            resolve_time = timed(resolve_all, args.repeat)
            print(f"  {label:8} resolve {args.paths} paths:     {resolve_time * 1000:8.1f} ms"
                  f"  ({resolve_time / args.paths * 1e6:.1f} us/path)")
    if args.tree_files:
        tree_part(args)


def walk_numbers(root: Path, pattern: str, repeat: int) -> tuple[float, float, int]:
    """filter_walk over the rootfs: seconds to the first match, to the end; matches."""
    firsts, totals, count = [], [], 0
    rootfs = Rootfs(root)
    for _ in range(repeat):
        start = time.perf_counter()
        first = None
        count = 0
        for _match in filter_walk(rootfs, pattern):
            count += 1
            if first is None:
                first = time.perf_counter() - start
        totals.append(time.perf_counter() - start)
        firsts.append(first if first is not None else totals[-1])
    return statistics.median(firsts), statistics.median(totals), count


async def keystroke_to_results(bundle: Path, repeat: int, burst: bool
                               ) -> dict[str, list[float]]:
    """In the app: type a pattern; time its last key until matches are in the tree.

    The last key comes after a pause (``burst``: right after the others, so the
    debounce holds the walk back until the burst is over).
    """
    from bundlebench.tui.app import BundlebenchApp
    from bundlebench.tui.widgets.rootfs_tree import RootfsTree

    samples: dict[str, list[float]] = {pattern: [] for pattern in FILTER_PATTERNS}
    app = BundlebenchApp(bundle, validator=lambda config, path: [])
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.query_one(RootfsTree)
        while not tree.root.loaded:
            await asyncio.sleep(0.01)
        screen = app.screen
        for _ in range(repeat):
            for pattern in FILTER_PATTERNS:
                await pilot.press("escape", "slash")
                await pilot.pause(0.3)
                if burst:
                    for char in pattern[:-1]:
                        app.simulate_key(char)
                        await asyncio.sleep(0.03)
                else:
                    await pilot.press(*pattern[:-1])
                    await app.workers.wait_for_complete()
                    await pilot.pause(0.3)  # a pause: longer than the debounce
                start = time.perf_counter()
                app.simulate_key(pattern[-1])
                while True:
                    view = screen._filter
                    # The rows of the last pattern stay until the new walk's first batch.
                    if view is not None and view.pattern == pattern and (
                            (tree.view_root is view.root
                             and any(node.matched for node in tree.rows))
                            or screen._search_cancel is None):
                        break
                    await asyncio.sleep(0.001)
                samples[pattern].append(time.perf_counter() - start)
                await app.workers.wait_for_complete()
    return samples


def tree_part(args: argparse.Namespace) -> None:
    """First paint and filtering on a 200k-file rootfs (the bundle of bench_tui)."""
    try:
        import bench_tui  # run as a script: tests/bench is on sys.path
    except ImportError:
        from tests.bench import bench_tui
    start = time.perf_counter()
    bench_tui.build(args.tree_dir, args.tree_files, 20_000, 100_000)
    root = args.tree_dir / "rootfs"
    print(f"\nrootfs tree: {args.tree_dir} ({args.tree_files:,} files; built/reused in "
          f"{time.perf_counter() - start:.1f} s)")
    paint = statistics.median(bench_tui.first_paint(args.tree_dir, args.repeat))
    print(f"  start to first paint:              {paint * 1000:8.0f} ms  (target "
          f"{FIRST_PAINT_TARGET * 1000:.0f} ms: {paint / FIRST_PAINT_TARGET:.2f} of it)  "
          f"{'ok' if paint <= FIRST_PAINT_TARGET else 'SLOW'}")
    keys = asyncio.run(keystroke_to_results(args.tree_dir, args.repeat, burst=False))
    bursts = asyncio.run(keystroke_to_results(args.tree_dir, args.repeat, burst=True))
    for pattern in FILTER_PATTERNS:
        first, total, count = walk_numbers(root, pattern, args.repeat)
        find_time = None
        if shutil.which("find"):
            find_time = timed(lambda p=pattern: subprocess.run(
                ["find", str(root), "-name", p if "*" in p else f"*{p}*"],
                stdout=subprocess.DEVNULL, check=True), args.repeat)
        key = statistics.median(keys[pattern])
        what = "first results" if count else "'no match' (whole walk)"
        print(f"  filter {pattern!r:15} key to {what}: {key * 1000:6.0f} ms  (target "
              f"{FILTER_TARGET * 1000:.0f} ms: {key / FILTER_TARGET:.2f} of it)  "
              f"{'ok' if key <= FILTER_TARGET or not count else 'SLOW'}")
        anchor = f"; find -name {find_time * 1000:.0f} ms ({total / find_time:.2f}x)" \
            if find_time else ""
        print(f"      walk alone: first match {first * 1000:.1f} ms, whole walk "
              f"{total * 1000:.0f} ms, {count:,} matches{anchor}")
        print(f"      last key of a burst (30 ms apart) to the same: "
              f"{statistics.median(bursts[pattern]) * 1000:.0f} ms (debounce included)")
    rootfs = Rootfs(root)
    sizes = timed(lambda: subtree_sizes(rootfs, "/", {}), args.repeat)
    du = timed(lambda: subprocess.run(["du", "-s", "--apparent-size", str(root)],
                                      stdout=subprocess.DEVNULL, check=True),
               args.repeat) if shutil.which("du") else None
    ratio = f"; du -s {du * 1000:.0f} ms ({sizes / du:.2f}x)" if du else ""
    print(f"  size column: every directory total of / in one walk: {sizes * 1000:.0f} ms{ratio}")


if __name__ == "__main__":
    main()
