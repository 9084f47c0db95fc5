"""Benchmark: `bundlebench-runtime run` of /bin/true against runc and crun on one bundle.

    python tests/bench/bench_runtime.py [-n 30] [--bundle DIR] [--seccomp]

Prints medians (ms) and ratios for `run` and for create+start+delete (youki's measure).
Needs root, like runc. The demo rootfs comes from bundlebench.bundle.demo.build_demo.
Our runtime is measured two ways: the installed `bundlebench-runtime` beside this
interpreter (run the bench with the venv's python: `.venv/bin/python tests/bench/...`)
and `python -S` with the package on sys.path. Rounds interleave the runtimes, and the
paired ratio (median of per-round ratios) cancels most of a shared machine's drift.
--seccomp adds a default-like seccomp profile of a few hundred rules (as podman's) to
runc's default config (caps, masks). --baseline REV adds the runtime of an earlier commit
(a temporary git worktree, `python -S`) to the same rounds, to price a change paired.
"""

from __future__ import annotations

import argparse
import compileall
import copy
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


class BenchFailure(Exception):
    """An anchor (or we) could not run the bundle on this machine."""


# Before each timed command: the kernel's cgroup migration lock stays on its fast path for
# a grace period or two after anybody used it, and a runtime started within that window
# (say, right after another's create) would skip the ~10 ms wait every cold start pays.
SETTLE = 0.05  # seconds; --settle changes it


def timed(commands: list[list[str]]) -> float:
    # stderr goes to a file: a created container keeps the caller's stdio, so a pipe would
    # not reach EOF until the container exits.
    with tempfile.TemporaryFile() as err:
        time.sleep(SETTLE)
        start = time.perf_counter()
        for command in commands:
            result = subprocess.run(command, stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err)
            if result.returncode != 0:
                err.seek(0)
                raise BenchFailure(f"{command[0]} {' '.join(command[-2:])} failed: "
                                   f"{err.read().decode().strip()}")
        return time.perf_counter() - start


def one_round(name: str, base: list[str], root: Path, bundle: Path, i: int
              ) -> tuple[float, float]:
    """One `run`, and one create+start+delete, of /bin/true."""
    common = [*base, "--root", str(root)]
    cid = f"bench-{name}-{os.getpid()}-{i}"
    run = timed([[*common, "run", "--bundle", str(bundle), cid]])
    cid = f"bench-{name}-{os.getpid()}-c{i}"
    cycle = timed([[*common, "create", "--bundle", str(bundle), cid],
                   [*common, "start", cid],
                   [*common, "delete", "-f", cid]])
    return run, cycle


def measure(candidates: list[tuple[str, list[str], Path]], work: Path, rounds: int
            ) -> tuple[dict[str, dict[str, float]], dict[str, str]]:
    """Medians per candidate. Rounds interleave the candidates, so that a noisy moment
    of a shared machine hits all of them alike."""
    samples: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n, _, _ in candidates}
    failures: dict[str, str] = {}
    for i in range(rounds + 2):
        for index, (name, base, bundle) in enumerate(candidates):
            if name in failures:
                continue
            try:
                run, cycle = one_round(name.split()[0], base, work / f"root-{index}", bundle, i)
            except BenchFailure as exc:
                failures[name] = str(exc)
                continue
            if i >= 2:  # the first rounds warm the page cache
                samples[name][0].append(run)
                samples[name][1].append(cycle)
    results = {name: {"run": statistics.median(runs) * 1000,
                      "cycle": statistics.median(cycles) * 1000, "runs": runs, "cycles": cycles}
               for name, (runs, cycles) in samples.items() if name not in failures}
    return results, failures


def paired_ratio(ours: list[float], anchor: list[float]) -> float:
    """Median of the per-round ratios: rounds ran side by side, so the load of the moment
    cancels out of each ratio."""
    return statistics.median(a / b for a, b in zip(ours, anchor, strict=True))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--rounds", type=int, default=30)
    parser.add_argument("--bundle", type=Path, help="an existing bundle to copy the rootfs of")
    parser.add_argument("--settle", type=float, default=50.0, metavar="MS",
                        help="pause before each timed command (default %(default)g ms; 0 "
                             "times back-to-back starts, where the kernel is still warm)")
    parser.add_argument("--seccomp", action="store_true",
                        help="give the config a default-like seccomp profile (~300 rules)")
    parser.add_argument("--baseline", metavar="REV",
                        help="also time the runtime of git revision REV, in the same rounds")
    args = parser.parse_args()
    global SETTLE
    SETTLE = args.settle / 1000
    if os.geteuid() != 0:
        print("the benchmark runs containers the way runc does: run it as root")
        return 2
    sys.path.insert(0, str(REPO))
    # An editable install without byte-code caches recompiles on every start.
    compileall.compile_dir(str(REPO / "runtime"), quiet=1)
    work = Path(tempfile.mkdtemp(prefix="bb-bench-"))
    try:
        if args.bundle:
            rootfs = (args.bundle / "rootfs").resolve()
        else:
            from bundlebench.bundle.demo import build_demo
            rootfs = build_demo(work / "demo") / "rootfs"
        from runtime.defaults import default_config
        config = default_config(args=["/bin/true"])
        config["process"]["terminal"] = False
        config["root"] = {"path": str(rootfs), "readonly": True}
        if args.seccomp:
            from tests.unit.test_runtime_seccomp import default_like_profile
            config["linux"]["seccomp"] = default_like_profile()
        bundle = work / "bundle"
        bundle.mkdir()
        (bundle / "config.json").write_text(json.dumps(config, indent="\t"))
        # crun releases older than runtime-spec 1.3 refuse the version string only.
        old = copy.deepcopy(config)
        old["ociVersion"] = "1.0.2"
        old_bundle = work / "bundle-1.0.2"
        old_bundle.mkdir()
        (old_bundle / "config.json").write_text(json.dumps(old, indent="\t"))

        scripts = Path(sysconfig.get_path("scripts"))
        candidates: list[tuple[str, list[str], Path]] = []
        console = scripts / "bundlebench-runtime"
        if console.exists():
            candidates.append(("ours (console script)", [str(console)], bundle))
        candidates.append(("ours (python -S)", lean_command(REPO), bundle))
        if args.baseline:
            tree = work / "baseline"
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree),
                            args.baseline], check=True, capture_output=True)
            compileall.compile_dir(str(tree / "runtime"), quiet=1)
            candidates.append((f"baseline {args.baseline} (python -S)", lean_command(tree),
                               bundle))
        for tool in ("runc", "crun"):
            path = shutil.which(tool)
            if path:
                candidates.append((tool, [path], old_bundle if tool == "crun" else bundle))
        results, failures = measure(candidates, work, args.rounds)
        bare = statistics.median(timed([[sys.executable, "-S", "-c", "pass"]])
                                 for _ in range(args.rounds)) * 1000
        print(f"rounds: {args.rounds}   settle: {args.settle:g} ms   "
              f"bare `python -S -c pass`: {bare:.1f} ms")
        print(f"{'runtime':<24}{'run /bin/true':>16}{'create+start+delete':>22}")
        for name, value in results.items():
            print(f"{name:<24}{value['run']:>13.1f} ms{value['cycle']:>19.1f} ms")
        for name, reason in failures.items():
            print(f"{name:<24}not measured: {reason}")
        for anchor in ("runc", "crun"):
            if anchor not in results:
                continue
            base = results[anchor]
            for name, value in results.items():
                if name.startswith(("ours", "baseline")):
                    print(f"{name} / {anchor}: run x{value['run'] / base['run']:.2f} "
                          f"(paired x{paired_ratio(value['runs'], base['runs']):.2f}), "
                          f"create+start+delete x{value['cycle'] / base['cycle']:.2f} "
                          f"(paired x{paired_ratio(value['cycles'], base['cycles']):.2f})")
        baseline = next((name for name in results if name.startswith("baseline")), None)
        if baseline and "ours (python -S)" in results:
            ours, base = results["ours (python -S)"], results[baseline]
            added = statistics.median(
                a - b for a, b in zip(ours["runs"], base["runs"], strict=True)) * 1000
            print(f"ours (python -S) / {baseline}: run paired "
                  f"x{paired_ratio(ours['runs'], base['runs']):.3f} ({added:+.2f} ms), "
                  "create+start+delete paired "
                  f"x{paired_ratio(ours['cycles'], base['cycles']):.3f}")
    finally:
        if args.baseline and (work / "baseline").exists():
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force",
                            str(work / "baseline")], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    return 0


def lean_command(repo: Path) -> list[str]:
    """The runtime of the checkout at `repo` without site (no venv, no .pth files), started
    as bin/bundlebench-runtime starts it."""
    return [sys.executable, "-S", "-c", f"import sys; sys.path.insert(0, {str(repo)!r}); "
            "import gc; gc.disable(); from runtime.cli import main; sys.exit(main())"]


if __name__ == "__main__":
    raise SystemExit(main())
