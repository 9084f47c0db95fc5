"""exec --cap, --cgroup, --ignore-paused, and list's OWNER, with real containers (root)."""

from __future__ import annotations

import json
import os
import time

from tests.integration.conftest import ROOT_ONLY
from tests.integration.test_exec import _running

pytestmark = ROOT_ONLY

CAP_NET_ADMIN = 12


def _cap_bits(status: str, field: str) -> int:
    for line in status.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1], 16)
    raise AssertionError(f"no {field} in {status!r}")


def test_exec_cap_adds_the_capability(rt) -> None:
    cid, _ = _running(rt)
    plain = rt("exec", cid, "cat", "/proc/self/status", check=True).stdout
    assert not _cap_bits(plain, "CapEff") & (1 << CAP_NET_ADMIN)
    added = rt("exec", "--cap", "CAP_NET_ADMIN", cid, "cat", "/proc/self/status",
               check=True).stdout
    for field in ("CapEff", "CapPrm", "CapBnd"):
        assert _cap_bits(added, field) & (1 << CAP_NET_ADMIN), field
    assert _cap_bits(added, "CapInh") == _cap_bits(plain, "CapInh")


def _host_cgroup(pid: int) -> tuple[str, str]:
    """(directory on the host, the line's key) of pid's pids cgroup (v1) or its v2 one."""
    with open(f"/proc/{pid}/cgroup") as handle:
        lines = [line.rstrip("\n").split(":", 2) for line in handle]
    for _, controllers, path in lines:
        if "pids" in controllers.split(","):
            return f"/sys/fs/cgroup/pids{path}", "pids"
    path = next(path for _, controllers, path in lines if controllers == "")
    return f"/sys/fs/cgroup{path}", ""


def test_exec_cgroup_joins_an_existing_sub_cgroup(rt, tmp_path) -> None:
    cid, pid = _running(rt)
    directory, controller = _host_cgroup(pid)
    spec = f"{controller}:sub" if controller else "sub"
    missing = rt("exec", "--cgroup", spec, cid, "true")
    assert missing.returncode == 255 and "does not exist" in missing.stderr
    os.mkdir(os.path.join(directory, "sub"))
    try:
        pid_file = tmp_path / "exec.pid"
        rt("exec", "-d", "--pid-file", str(pid_file), "--cgroup", spec, cid, "sleep", "30",
           check=True)
        exec_pid = int(pid_file.read_text())
        assert _host_cgroup(exec_pid)[0] == os.path.join(directory, "sub")
        os.kill(exec_pid, 9)
    finally:
        rt("delete", "-f", cid)
        if os.path.isdir(os.path.join(directory, "sub")):
            os.rmdir(os.path.join(directory, "sub"))


def test_exec_into_a_paused_container_needs_ignore_paused(rt, tmp_path) -> None:
    import subprocess
    cid, _ = _running(rt)
    rt("pause", cid, check=True)
    refused = rt("exec", cid, "true")
    assert refused.returncode == 255 and "--ignore-paused" in refused.stderr
    command = [rt.interpreter, "-m", "runtime", "--root", str(rt.root), "exec",
               "--ignore-paused", cid, "sh", "-c", "echo ran > /dev/shm/late"]
    waiting = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        time.sleep(1)
        assert waiting.poll() is None  # accepted, frozen with the container (as runc)
        rt("resume", cid, check=True)
        assert waiting.wait(timeout=20) == 0, waiting.stderr.read()
    finally:
        if waiting.poll() is None:
            rt("resume", cid)
            waiting.kill()
            waiting.wait()
        waiting.stderr.close()
    assert rt("exec", cid, "cat", "/dev/shm/late", check=True).stdout == "ran\n"


def test_list_shows_the_owner(rt) -> None:
    cid, _ = _running(rt)
    states = json.loads(rt("list", "-f", "json", check=True).stdout)
    mine = next(s for s in states if s["id"] == cid)
    assert mine["owner"] == "root"
    table = rt("list", check=True).stdout.splitlines()
    assert table[0].split()[-1] == "OWNER"
    assert next(line for line in table if line.startswith(cid + " ")).split()[-1] == "root"
