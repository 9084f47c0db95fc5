"""Benchmark: `podman run --rm IMG true` and `ctr run --rm IMG true` with our runtime
against the same with runc, in one run, rounds interleaved (target: at most 1.05×).

    .venv/bin/python tests/bench/bench_clients.py [-n 15] [--only podman|ctr]

Needs root, podman (with conmon) and containerd. podman gets a private root and runroot
(vfs storage, cgroupfs, no network); containerd is a private daemon. Both are given the
demo rootfs as their image. Our runtime is the installed `bundlebench-runtime` beside
this interpreter. Prints medians (ms) and the paired ratio (median of per-round ratios),
then the floor no runtime work can go under: how many times the client starts the
runtime per run, times what one start of ours costs over runc's.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bundlebench.bundle.demo import build_demo  # noqa: E402
from tests.integration.containerd_daemon import private_containerd  # noqa: E402
from tests.integration.oci_archive import write_archive  # noqa: E402

IMAGE = "docker.io/library/bbbench:latest"
TARGET = 1.05


def timed(command: list[str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, stdin=subprocess.DEVNULL,
                            timeout=120)
    elapsed = (time.perf_counter() - started) * 1000
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[:6])}… failed: {result.stderr.decode()[-400:]}")
    return elapsed


def podman_base(work: Path) -> list[str]:
    return ["podman", "--root", str(work / "storage"), "--runroot", str(work / "run"),
            "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
            "--events-backend", "file"]


def podman_commands(work: Path, rootfs: Path) -> Callable[[str], list[str]]:
    base = podman_base(work)
    work.mkdir(parents=True, exist_ok=True)
    archive = work / "rootfs.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(rootfs, arcname=".")
    subprocess.run([*base, "import", str(archive), IMAGE], check=True, capture_output=True)
    limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]

    def command(runtime: str) -> list[str]:
        return [*base, "--runtime", runtime, "run", "--rm", "--network", "none", *limits,
                IMAGE, "true"]

    return command


def ctr_commands(socket: Path, work: Path, rootfs: Path) -> Callable[[str], list[str]]:
    base = ["ctr", "--address", str(socket), "--namespace", "bbbench"]
    archive = write_archive(rootfs, work / "image.tar", IMAGE, ["true"])
    subprocess.run([*base, "images", "import", str(archive)], check=True, capture_output=True)

    def command(runtime: str) -> list[str]:
        return [*base, "run", "--rm", "--runc-binary", runtime, IMAGE,
                f"b-{uuid.uuid4().hex[:8]}", "true"]

    return command


def measure(name: str, command: Callable[[str], list[str]], runtimes: dict[str, str],
            rounds: int, work: Path) -> None:
    for runtime in runtimes.values():  # warm caches and storage once
        timed(command(runtime))
    times: dict[str, list[float]] = {name: [] for name in runtimes}
    for round_ in range(rounds):
        order = list(runtimes) if round_ % 2 == 0 else list(reversed(runtimes))
        for which in order:
            times[which].append(timed(command(runtimes[which])))
    ours, runc = statistics.median(times["ours"]), statistics.median(times["runc"])
    paired = statistics.median(o / r for o, r in
                               zip(times["ours"], times["runc"], strict=True))
    verdict = "meets" if paired <= TARGET else "misses"
    print(f"{name:<22} ours {ours:7.1f} ms   runc {runc:7.1f} ms   ratio {ours / runc:.2f}"
          f"   paired {paired:.2f}   ({verdict} ≤{TARGET})")
    calls = calls_per_run(command, runtimes["ours"], work)
    extra = start_cost(runtimes["ours"], work) - start_cost(runtimes["runc"], work)
    print(f"{'':<22} the client starts the runtime {calls} times per run; each start of ours "
          f"costs {extra:.1f} ms more than runc's,\n{'':<22} so {calls} × {extra:.1f} ms: "
          f"a floor of {(runc + calls * extra) / runc:.2f} before any work is done")


def calls_per_run(command: Callable[[str], list[str]], ours: str, work: Path) -> int:
    """How many times one run of the client starts the runtime (one more, untimed run
    through a wrapper that counts)."""
    count = work / "calls"
    wrapper = work / "counting-runtime"
    wrapper.write_text(f"#!/bin/sh\necho >> {count}\nexec {ours} \"$@\"\n")
    wrapper.chmod(0o755)
    count.write_text("")
    timed(command(str(wrapper)))
    return len(count.read_text().splitlines())


def start_cost(runtime: str, work: Path, rounds: int = 30) -> float:
    """Median ms of the cheapest command there is: `state` of no container."""
    root = work / "empty-root"
    root.mkdir(exist_ok=True)
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        subprocess.run([runtime, "--root", str(root), "state", "none"], capture_output=True)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _remove_empty(places: list[Path]) -> None:
    """The clients' empty dirs under /run that this run made."""
    for place in places:
        for directory, _, _ in sorted(os.walk(place), reverse=True):
            with contextlib.suppress(OSError):
                os.rmdir(directory)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=15, help="rounds (default %(default)s)")
    parser.add_argument("--only", choices=("podman", "ctr"))
    args = parser.parse_args()
    ours = shutil.which("bundlebench-runtime", path=str(Path(sys.executable).parent))
    runc = shutil.which("runc")
    if not ours or not runc:
        print("needs the installed bundlebench-runtime beside this python, and runc")
        return 2
    made_here = [p for p in (Path("/run/containerd"), Path("/run/bundlebench"))
                 if not p.exists()]
    with ExitStack() as stack:
        stack.callback(_remove_empty, made_here)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bb-clients-")))
        rootfs = build_demo(work / "demo") / "rootfs"
        print(f"{args.n} rounds, interleaved; `true` in the demo rootfs")
        runtimes = {"ours": ours, "runc": runc}
        if args.only != "ctr" and shutil.which("podman"):
            podman = podman_commands(work / "podman", rootfs)
            try:
                measure("podman run --rm true", podman, runtimes, args.n, work)
            finally:
                subprocess.run([*podman_base(work / "podman"), "rmi", "-a", "-f"],
                               capture_output=True)
        if args.only != "podman" and shutil.which("containerd"):
            socket = stack.enter_context(private_containerd(work / "containerd"))
            ctr = ctr_commands(socket, work, rootfs)
            try:
                measure("ctr run --rm true", ctr, runtimes, args.n, work)
            finally:
                subprocess.run(["ctr", "--address", str(socket), "--namespace", "bbbench",
                                "images", "rm", IMAGE], capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
