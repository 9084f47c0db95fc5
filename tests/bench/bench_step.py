"""Benchmark: a step-mode stop and resume round trip (target: at most 5 ms).

    .venv/bin/python tests/bench/bench_step.py [-n 5]

Needs root. Runs `create --step` of the demo bundle n times; for every stop, times from
the client's `next` to the next stop's report (the step itself included, a few µs to a
ms), and prints the median, the 95th percentile and the slowest, beside the number of
stops. Step mode off costs nothing measurable: see bench_runtime.py --baseline.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from runtime import step_client  # noqa: E402

TARGET_MS = 5.0


def one_create(work: Path, bundle: Path, index: int) -> list[float]:
    """The round trips of one stepped create (ms)."""
    root = work / "root"
    cid = f"bench-step-{os.getpid()}-{index}"
    command = [sys.executable, "-m", "runtime", "--root", str(root), "create", "--step",
               "-b", str(bundle), cid]
    create = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    state_dir = root / cid
    while not (state_dir / "step.sock").exists():
        if create.poll() is not None:
            raise SystemExit("create --step failed")
        time.sleep(0.001)
    trips: list[float] = []

    def created() -> bool:
        return create.poll() is not None

    try:
        stop = step_client.wait_stop(str(state_dir), 30, created)
        while isinstance(stop, step_client.Stop):
            sent = time.perf_counter()
            stop.send("next")
            stop = step_client.wait_stop(str(state_dir), 30, created)
            if isinstance(stop, step_client.Stop):
                trips.append((time.perf_counter() - sent) * 1000)
    finally:
        create.wait(30)
        subprocess.run([sys.executable, "-m", "runtime", "--root", str(root), "delete", "-f",
                        cid], capture_output=True)
    return trips


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5, help="creates (default %(default)s)")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("the benchmark runs containers: run it as root")
        return 2
    from bundlebench.bundle.demo import build_demo
    from runtime.defaults import default_config
    work = Path(tempfile.mkdtemp(prefix="bb-step-"))
    try:
        rootfs = build_demo(work / "demo") / "rootfs"
        config = default_config(args=["/bin/true"])
        config["process"]["terminal"] = False
        config["root"] = {"path": str(rootfs), "readonly": True}
        bundle = work / "bundle"
        bundle.mkdir()
        (bundle / "config.json").write_text(json.dumps(config))
        trips: list[float] = []
        for index in range(args.n):
            trips += one_create(work, bundle, index)
        trips.sort()
        p95 = trips[int(len(trips) * 0.95)]
        verdict = "meets" if p95 <= TARGET_MS else "misses"
        print(f"{len(trips)} stops over {args.n} creates: next -> next stop median "
              f"{statistics.median(trips):.2f} ms, p95 {p95:.2f} ms, slowest {trips[-1]:.2f} "
              f"ms ({verdict} ≤{TARGET_MS:g} ms at p95)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
