"""Benchmark: list a 100k-entry directory and resolve 10k paths in a synthetic rootfs.

Run: python tests/bench/bench_rootfs.py [--entries N] [--paths N]
Prints medians and ratios against `ls -l` (GNU coreutils) on the same directory.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bundlebench.bundle.rootfs import Rootfs
from runtime.linux import openat2


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


if __name__ == "__main__":
    main()
