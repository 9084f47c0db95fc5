"""Benchmark: what the sealed exec helper (CVE-2019-5736) adds to a container's last exec.

    python tests/bench/bench_sealed_exec.py [-n 2000]

Forks a child that execs /bin/true, either directly (os.execve, as the runtime did) or
through the helper (memfd + seals + execveat + the helper's own execve), in interleaved
pairs, and prints the medians and the added microseconds. Runs as any user. The whole
start of a container, against runc, is bench_runtime.py's job.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from runtime.linux import sealed_exec  # noqa: E402

TARGET = "/bin/true"


def _direct() -> None:
    os.execve(TARGET, [TARGET], {})


def _sealed() -> None:
    sealed_exec.execve(TARGET, [TARGET], {})


def timed(child) -> float:  # noqa: ANN001
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            child()
        finally:
            os._exit(127)
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{child.__name__} exec of {TARGET} failed")
    return (time.perf_counter() - start) * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="pairs (default 2000)")
    args = parser.parse_args()
    sealed_exec.helper_image()  # both sides pay the module import before timing
    direct, sealed, added = [], [], []
    for i in range(args.n):
        if i % 2:
            s, d = timed(_sealed), timed(_direct)
        else:
            d, s = timed(_direct), timed(_sealed)
        direct.append(d)
        sealed.append(s)
        added.append(s - d)
    md, ms = statistics.median(direct), statistics.median(sealed)
    print(f"fork + exec {TARGET}, {args.n} interleaved pairs")
    print(f"  direct execve           {md:8.1f} µs")
    print(f"  through the helper      {ms:8.1f} µs   ratio {ms / md:.2f}")
    print(f"  added (paired median)   {statistics.median(added):8.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
