"""Benchmark: schema + semantic validation of the default config and of a large one.

Run: python tests/bench/bench_validate.py [--runs N]

Prints the median milliseconds per validation, the 5 ms goal for the default config
(the editor validates on every keystroke), and ratios against anchors installed on the
machine (the time to start `runc --version` / `crun --version`), so that numbers from
different machines can be compared.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bundlebench.spec.checks import run_checks  # noqa: E402
from bundlebench.spec.validate import schema_problems, validate  # noqa: E402
from runtime.defaults import default_config  # noqa: E402

TARGET_MS = 5.0
SYSCALLS = (
    "read", "write", "open", "close", "stat", "fstat", "lstat", "poll", "lseek", "mmap",
    "mprotect", "munmap", "brk", "ioctl", "pread64", "pwrite64", "readv", "writev", "access",
    "pipe", "select", "mremap", "msync", "mincore", "madvise", "shmget", "shmat", "shmctl",
    "dup", "dup2", "pause", "nanosleep", "getitimer", "alarm",
)


def large_config() -> dict[str, Any]:
    """The default config plus 1,000 mounts and 500 seccomp syscall rules."""
    config = default_config()
    for i in range(1000):
        config["mounts"].append({
            "destination": f"/mnt/vol{i}",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "nodev", "noexec", "mode=755", f"size={i + 1}k"],
        })
    rules = []
    for i in range(500):
        rule: dict[str, Any] = {
            "names": [SYSCALLS[i % len(SYSCALLS)], SYSCALLS[(i * 7) % len(SYSCALLS)]],
            "action": "SCMP_ACT_ERRNO" if i % 2 else "SCMP_ACT_ALLOW",
        }
        if i % 2:
            rule["errnoRet"] = 1
        if i % 3 == 0:
            rule["args"] = [{"index": i % 6, "value": i, "op": "SCMP_CMP_EQ"}]
        rules.append(rule)
    config["linux"]["seccomp"] = {
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": rules,
    }
    return config


def make_bundle(root: Path) -> Path:
    sh = root / "rootfs" / "bin" / "sh"
    sh.parent.mkdir(parents=True)
    sh.write_bytes(b"#!/bin/sh\n")
    sh.chmod(0o755)
    return root


def median_ms(function: Callable[[], object], runs: int) -> float:
    function()  # warm caches: the compiled validator, imports
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def anchor_ms(command: list[str], runs: int = 7) -> float | None:
    if shutil.which(command[0]) is None:
        return None
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, capture_output=True, check=False)
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200, help="runs for the default config")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        bundle = make_bundle(Path(temp))
        default, large = default_config(), large_config()
        rows = [
            ("default: schema + semantic (with rootfs)", lambda: validate(default, bundle),
             options.runs),
            ("default: schema only", lambda: schema_problems(default), options.runs),
            ("default: semantic only (with rootfs)", lambda: run_checks(default, bundle),
             options.runs),
            ("large: schema + semantic (with rootfs)", lambda: validate(large, bundle),
             max(10, options.runs // 10)),
        ]
        assert validate(default, bundle) == [], "the default config must validate clean"
        assert [p for p in validate(large, bundle) if p.severity == "error"] == []
        results = {name: median_ms(function, runs) for name, function, runs in rows}
    anchors = {name: anchor_ms([name, "--version"]) for name in ("runc", "crun")}
    print(f"{'benchmark':<44} {'median ms':>10}")
    for name, value in results.items():
        print(f"{name:<44} {value:>10.3f}")
    for name, value in anchors.items():
        if value is None:
            print(f"anchor `{name} --version`: not installed")
            continue
        print(f"anchor `{name} --version` process: {value:.3f} ms")
        for bench, ms in results.items():
            if bench.endswith("(with rootfs)") and "+" in bench:
                print(f"  {bench} / {name} --version = {ms / value:.3f}")
    default_ms = results["default: schema + semantic (with rootfs)"]
    verdict = "PASS" if default_ms <= TARGET_MS else "FAIL"
    print(f"target: default config in <= {TARGET_MS} ms: {verdict} ({default_ms:.3f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
