"""The container start path: what it imports, how its processes take turns, and that
back-to-back starts (where the runtime and the init work side by side) never trip."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from runtime.trace import read_trace
from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY

REPO = Path(__file__).resolve().parents[2]
# Each of these costs milliseconds on every `run`, or has no business in the runtime.
HEAVY = {"ctypes", "re", "json", "enum", "typing", "dataclasses", "subprocess", "tempfile",
         "argparse", "threading", "socket", "signal", "selectors", "bundlebench", "textual",
         "rich", "jsonschema", "psutil"}


def _imported(stderr: str) -> set[str]:
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names


def test_run_imports_nothing_heavy(rt) -> None:
    cid = rt.new_id()
    bundle = rt.bundle(["true"])
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "from runtime.cli import main; main()",
         "--root", str(rt.root), "run", "-b", str(bundle), cid],
        capture_output=True, text=True, timeout=60, cwd=REPO)
    assert result.returncode == 0, result.stderr[-2000:]
    imported = _imported(result.stderr)
    assert "runtime.process.parent" in imported  # the parse worked: this is the start path
    heavy = {name for name in imported if name.split(".")[0] in HEAVY}
    assert not heavy, f"the start path imports {sorted(heavy)}"


def test_init_is_in_its_cgroup_before_it_mounts_cgroups(rt) -> None:
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["true"])), cid, check=True)
    init = rt.state(cid)["pid"]
    events = read_trace(str(rt.root / cid / "trace.jsonl"))
    joins = [e for e in events if e["syscall"].endswith(f"cgroup.procs, '{init}')")]
    binds = [e for e in events if e["pid"] == init and e["step"] == "mount"
             and "/sys/fs/cgroup" in e["syscall"]]
    assert joins and binds
    assert all(e["pid"] != init for e in joins)  # the runtime moves it, not itself
    assert max(e["t"] for e in joins) <= min(e["t"] - e["us"] for e in binds)
    with open(f"/proc/{init}/cgroup") as handle:
        assert all(line.rstrip().endswith(cid) for line in handle if line.strip())
    rt("delete", "-f", cid, check=True)


def test_back_to_back_runs_all_succeed(rt) -> None:
    """The parent builds the cgroup while the init mounts: 25 starts in a row must all
    see the same result (a race there showed up as a rare EPERM on /dev/null)."""
    bundle = rt.bundle(["sh", "-c", "cat /dev/null && test -c /dev/null"])
    failures = []
    for _ in range(25):
        cid = rt.new_id()
        result = rt("run", "-b", str(bundle), cid)
        if result.returncode != 0:
            failures.append(result.stderr.strip())
    assert not failures, failures


def test_trace_reads_in_time_order_across_processes(rt) -> None:
    cid = rt.new_id()
    rt("run", "--keep", "-b", str(rt.bundle(["true"])), cid, check=True)
    lines = (rt.root / cid / "trace.jsonl").read_text().splitlines()
    raw = [json.loads(line) for line in lines]
    events = read_trace(str(rt.root / cid / "trace.jsonl"))
    assert sorted(map(json.dumps, raw)) == sorted(map(json.dumps, events))  # none lost
    began = [e["t"] - e["us"] for e in events]
    assert began == sorted(began)
    assert len({e["pid"] for e in events}) >= 3  # runtime, stage 1, init
    assert events[-1]["step"] == "exec"
    rt("delete", cid, check=True)


def test_warm_up_child_is_reaped(rt, tmp_path) -> None:
    """The warm-up shell never outlives the create that spawned it."""
    cid = rt.new_id()
    script = ("import os, sys\n"
              "from runtime.cli import _main\n"
              "code = _main(sys.argv[1:])\n"
              "shells = []\n"
              "for name in os.listdir('/proc'):\n"
              "    try:\n"
              "        with open(f'/proc/{name}/stat') as handle:\n"
              "            fields = handle.read().rsplit(')', 1)[1].split()\n"
              "        with open(f'/proc/{name}/comm') as handle:\n"
              "            comm = handle.read().strip()\n"
              "    except (OSError, IndexError):\n"
              "        continue\n"
              "    if int(fields[1]) == os.getpid() and comm == 'sh':\n"
              "        shells.append(name)\n"
              "print(code, len(shells))\n")
    out = tmp_path / "out"
    with open(out, "w") as stdout, open(tmp_path / "err", "w") as stderr:
        # Files, not pipes: the created init keeps the caller's stdio open.
        result = subprocess.run(
            [sys.executable, "-c", script, "--root", str(rt.root), "create", "-b",
             str(rt.bundle(["true"])), cid],
            stdout=stdout, stderr=stderr, timeout=60, cwd=REPO)
    assert result.returncode == 0, (tmp_path / "err").read_text()
    assert out.read_text().split() == ["0", "0"]
    rt("delete", "-f", cid, check=True)
