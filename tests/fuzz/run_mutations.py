"""The mutation run: malformed configs through validate and the runtime, counted.

    python -m tests.fuzz.run_mutations [-n 5000] [--commands 200] [--seed 0]

In-process, each config goes through `validate` and through the runtime's rules and
plan, as `create` takes it; anything but the tools' own error type is a crash, more
than 5 s a hang. With --commands N (as root), the first N also go through the commands
`bundlebench validate` and `bundlebench-runtime create` (a created container is deleted
at once): stderr must hold no traceback and the exit code must be 0, 1 or 2.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.fuzz.mutations import mutated_config

HANG_SECONDS = 5.0
# What a Python exception's words look like when they reach a user ("must be an object"
# is ours and fine; "'NoneType' object is not iterable" is not).
INTERNALS = re.compile(r"Traceback|\w+(?:Error|Exception):|'\w+' object|<\w+ object|"
                       r"object at 0x|not iterable|not subscriptable|has no attribute")


def make_bundle(directory: Path) -> Path:
    sh = directory / "rootfs" / "bin" / "sh"
    sh.parent.mkdir(parents=True)
    sh.write_bytes(b"#!/bin/sh\n")
    sh.chmod(0o755)
    return directory


def in_process(config: dict[str, Any], bundle: Path) -> str | None:
    """None when both tools answered in their own words; else what went wrong."""
    from bundlebench.spec.validate import validate
    from runtime import plan as plans
    from runtime import rules
    from runtime.errors import RuntimeFailure
    from runtime.shape import without_nulls

    started = time.monotonic()
    try:
        validate(config, bundle)
    except Exception as error:  # noqa: BLE001 - counting them is the point
        return f"validate: {type(error).__name__}"
    rootless = os.geteuid() != 0
    try:
        config = without_nulls(config)  # what load_bundle hands create
        rules.refuse(config, str(bundle), rootless)
        plans.make(config, str(bundle), str(bundle / "rootfs"), rootless)
    except RuntimeFailure:
        pass
    except Exception as error:  # noqa: BLE001
        return f"runtime: {type(error).__name__}"
    if time.monotonic() - started > HANG_SECONDS:
        return "hang"
    return None


def through_commands(config: dict[str, Any], bundle: Path, root: Path, cid: str
                     ) -> list[str]:
    """What was wrong with the two commands' answers (empty: nothing)."""
    (bundle / "config.json").write_text(json.dumps(config))
    found = []
    checks = [[sys.executable, "-m", "bundlebench", "validate", str(bundle)]]
    if os.geteuid() == 0:
        checks.append([sys.executable, "-m", "runtime", "--root", str(root), "create",
                       "-b", str(bundle), cid])
    for command in checks:
        name = command[2]
        with tempfile.TemporaryFile() as err:
            try:
                code = subprocess.run(command, stdin=subprocess.DEVNULL,
                                      stdout=subprocess.DEVNULL, stderr=err,
                                      timeout=30).returncode
            except subprocess.TimeoutExpired:
                found.append(f"{name}: hang")
                continue
            err.seek(0)
            text = err.read().decode(errors="replace")
        if leaked := INTERNALS.search(text):
            found.append(f"{name}: {leaked.group(0)!r} in {text.strip()[:200]!r}")
        if code not in (0, 1, 2):
            found.append(f"{name}: exit {code}")
        if name == "runtime" and code == 0:
            subprocess.run([sys.executable, "-m", "runtime", "--root", str(root), "delete",
                            "-f", cid], capture_output=True, timeout=30)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000, help="configs (default %(default)s)")
    parser.add_argument("--commands", type=int, default=0, metavar="N",
                        help="also run the first N through the commands")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts: collections.Counter[str] = collections.Counter()
    with tempfile.TemporaryDirectory(prefix="bb-mutations-") as work:
        bundle = make_bundle(Path(work) / "bundle")
        root = Path(work) / "root"
        started = time.monotonic()
        for index in range(args.n):
            config = mutated_config(args.seed + index)
            problem = in_process(config, bundle)
            counts[problem or "ok"] += 1
            if index < args.commands:
                for found in through_commands(config, bundle, root, f"m{index}"):
                    counts[found] += 1
        elapsed = time.monotonic() - started
    print(f"{args.n} mutated configs in {elapsed:.1f} s ({args.commands} also through the "
          "commands):")
    for what, count in counts.most_common():
        print(f"  {what:<28} {count}")
    return 0 if set(counts) == {"ok"} else 1


if __name__ == "__main__":
    raise SystemExit(main())
