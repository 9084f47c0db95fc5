"""Benchmark: unpack a synthetic 200 MB, 5-layer OCI image; compare with `umoci unpack`.

Run: python tests/bench/bench_unpack.py [--mb 200] [--layers 5] [--repeat 3]
Prints the median wall time of `bundlebench unpack` and, when umoci is installed,
of `umoci unpack` on the same layout, and their ratio (below 1 means we are faster).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.unit.image_helpers import OPQ, D, F, W, write_oci_layout  # noqa: E402


def payload(rng: random.Random, size: int) -> bytes:
    """Half random, half repetitive: compresses to about 55%, like real binaries."""
    half = size // 2
    return rng.randbytes(half) + bytes(range(256)) * ((size - half) // 256 + 1)


def build_layers(total_mb: int, count: int) -> list[list[tuple]]:
    rng = random.Random(42)
    per_layer = total_mb * 1_000_000 // count
    layers = []
    for index in range(count):
        entries: list[tuple] = [D(f"layer{index}"), D(f"layer{index}/small")]
        size = 0
        n = 0
        while size < per_layer * 0.3:  # many small files, as in a distro's /usr
            data = payload(rng, rng.randrange(1_000, 32_000))
            entries.append(F(f"layer{index}/small/f{n:05}", data))
            size += len(data)
            n += 1
        while size < per_layer:
            data = payload(rng, rng.randrange(1_000_000, 6_000_000))
            entries.append(F(f"layer{index}/big{n:05}", data, mode=0o755))
            size += len(data)
            n += 1
        if index:
            # later layers replace and remove some of what the previous one brought
            entries += [F(f"layer{index - 1}/small/f00000", b"replaced"),
                        W(f"layer{index - 1}/small/f00001"), OPQ(f"layer{index - 1}/small")]
        layers.append(entries)
    return layers


def run_once(command: list[str], target: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``command``."""
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(["sync"], check=False)  # the last run's writeback must not count here
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return (statistics.median(s[0] for s in samples), statistics.median(s[1] for s in samples))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--layers", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        image = Path(tmp) / "image"
        start = time.perf_counter()
        write_oci_layout(image, [{"ref": "bench", "layers": build_layers(args.mb, args.layers),
                                  "config": {"Cmd": ["sh"]}}])
        blobs = sum(p.stat().st_size for p in (image / "blobs/sha256").iterdir())
        print(f"image: {args.layers} layers, {args.mb} MB of files, {blobs / 1e6:.0f} MB "
              f"of blobs (built in {time.perf_counter() - start:.1f}s)")
        ours_command = [sys.executable, "-m", "bundlebench", "unpack", str(image),
                        str(Path(tmp) / "ours")]
        umoci = shutil.which("umoci")
        theirs_command = None
        if umoci is not None:
            theirs_command = [umoci, "unpack", "--image", f"{image}:bench",
                              str(Path(tmp) / "theirs")]
            if os.geteuid() != 0:
                theirs_command.insert(2, "--rootless")
        ours_samples, theirs_samples = [], []
        for _ in range(args.repeat):  # interleaved, so that a busy moment hits both
            ours_samples.append(run_once(ours_command, Path(tmp) / "ours"))
            if theirs_command:
                theirs_samples.append(run_once(theirs_command, Path(tmp) / "theirs"))
        ours = medians(ours_samples)
        print(f"bundlebench unpack: median {ours[0]:.2f}s wall, {ours[1]:.2f}s cpu "
              f"over {args.repeat} runs")
        if not theirs_command:
            print("umoci is not installed (apt-get install -y umoci): no ratio")
            return
        theirs = medians(theirs_samples)
        print(f"umoci unpack:       median {theirs[0]:.2f}s wall, {theirs[1]:.2f}s cpu "
              f"over {args.repeat} runs")
        print(f"ratio bundlebench/umoci: wall {ours[0] / theirs[0]:.2f}, "
              f"cpu {ours[1] / theirs[1]:.2f} (below 1: bundlebench is faster)")

if __name__ == "__main__":
    main()
