"""The inspector's readers on a fake /proc, and on this test's own processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bundlebench.containers import inspect
from bundlebench.containers.listing import ContainerRow
from bundlebench.tui.screens.containers import describe_exit

STATUS = """\
Name:\tsh
Uid:\t0\t0\t0\t0
NoNewPrivs:\t1
Seccomp:\t2
Seccomp_filters:\t1
CapInh:\t0000000000000000
CapPrm:\t00000000a80425fb
CapEff:\t00000000a80425fb
CapBnd:\t00000000a80425fb
CapAmb:\t0000000000000000
"""
MOUNTINFO = """\
600 500 0:55 / / ro,relatime master:1 - overlay overlay rw,lowerdir=/l
601 600 0:56 / /proc rw,nosuid,nodev,noexec - proc proc rw
602 600 8:1 /data/my\\040dir /mnt/with\\040space rw - ext4 /dev/sda1 rw
garbage line without separator
"""


def fake_proc(tmp_path: Path, pid: int = 42, host_net: int = 4026531840,
              container_net: int = 4026532999) -> str:
    proc = tmp_path / "proc"
    for number, net, mnt in ((pid, container_net, 4026532001), (1, host_net, 4026532001)):
        ns = proc / str(number) / "ns"
        ns.mkdir(parents=True)
        os.symlink(f"net:[{net}]", ns / "net")
        os.symlink(f"mnt:[{mnt}]", ns / "mnt")
    base = proc / str(pid)
    (base / "status").write_text(STATUS)
    (base / "mountinfo").write_text(MOUNTINFO)
    (base / "uid_map").write_text("         0       1000          1\n")
    (base / "gid_map").write_text("0 1000 1\n         1     100000  65536\n")
    (base / "cgroup").write_text("0::/bundlebench/web\n")
    return str(proc)


def test_namespaces_marked_shared_or_private(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path)
    rows = {ns.kind: ns for ns in inspect.namespaces(42, proc)}
    assert set(rows) == {"net", "mnt"}  # kinds nobody has are left out
    assert rows["net"].verdict == "private" and rows["net"].container == 4026532999
    assert rows["mnt"].shared and rows["mnt"].verdict == "shared with host"


def test_namespaces_of_this_process_are_the_hosts() -> None:
    rows = inspect.namespaces(os.getpid())
    assert rows and all(ns.container is not None for ns in rows)


def test_capabilities_decoded_by_name(tmp_path: Path) -> None:
    security = inspect.security(42, fake_proc(tmp_path))
    assert security.capabilities["inheritable"] == []
    effective = security.capabilities["effective"]
    assert effective[:2] == ["CAP_CHOWN", "CAP_DAC_OVERRIDE"]
    assert "CAP_NET_BIND_SERVICE" in effective and "CAP_SYS_ADMIN" not in effective
    assert security.no_new_privs is True
    assert security.seccomp == "filter" and security.seccomp_filters == 1


def test_unknown_capability_bits_keep_their_number() -> None:
    assert inspect.decode_caps(1 << 63) == ["CAP_63"]
    assert inspect.decode_caps(0) == []


def test_id_maps_and_cgroup(tmp_path: Path) -> None:
    proc = fake_proc(tmp_path)
    assert inspect.id_map(42, "uid_map", proc) == [(0, 1000, 1)]
    assert inspect.id_map(42, "gid_map", proc) == [(0, 1000, 1), (1, 100000, 65536)]
    assert inspect.cgroup_path(42, proc) == "/bundlebench/web"


def test_cgroup_v1_shows_the_memory_controller(tmp_path: Path) -> None:
    proc = tmp_path / "proc" / "7"
    proc.mkdir(parents=True)
    (proc / "cgroup").write_text("12:pids:/a\n4:memory:/bundlebench/x\n1:name=systemd:/s\n")
    assert inspect.cgroup_path(7, str(tmp_path / "proc")) == "/bundlebench/x"


def test_mountinfo_table_unescapes_and_skips_junk(tmp_path: Path) -> None:
    mounts = inspect.mounts(42, fake_proc(tmp_path))
    assert [m.target for m in mounts] == ["/", "/proc", "/mnt/with space"]
    assert mounts[0].fstype == "overlay" and mounts[0].options == "ro,relatime"
    assert mounts[2].root == "/data/my dir" and mounts[2].source == "/dev/sda1"


def test_missing_process_reads_as_empty(tmp_path: Path) -> None:
    proc = str(tmp_path)
    assert inspect.mounts(99, proc) == [] and inspect.cgroups(99, proc) == []
    assert inspect.security(99, proc).capabilities == {}
    assert inspect.ProcessSampler(2**22 + 12345).sample() == []


def test_process_tree_from_init_with_usage() -> None:
    child = subprocess.Popen([sys.executable, "-c",
                              "import subprocess,sys; subprocess.run(['sleep', '30'])"])
    try:
        sampler = inspect.ProcessSampler(child.pid)
        deadline = time.monotonic() + 10
        rows = sampler.sample()
        while len(rows) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
            rows = sampler.sample()
        assert [r.depth for r in rows] == [0, 1]
        assert rows[0].pid == child.pid and "python" in rows[0].command
        assert rows[1].command == "sleep 30" and rows[1].rss > 0 and rows[1].user
        assert len(sampler.memory_history) == len(sampler.cpu_history) >= 1
        assert sampler.memory_history[-1] >= rows[0].rss
    finally:
        for process in __import__("psutil").Process(child.pid).children(recursive=True):
            process.kill()
        child.kill()
        child.wait()


@pytest.mark.parametrize(("record", "expected"), [
    ({"exit_code": 0, "signal": None}, "web exited with code 0"),
    ({"exit_code": 137, "signal": "SIGKILL"}, "web was killed by SIGKILL (code 137)"),
    (None, "web ended (exit status unknown)"),
    ({"exit_code": None, "error": "no such file"}, "web did not start: no such file"),
])
def test_exit_status_sentence(record: dict | None, expected: str) -> None:
    assert describe_exit("web", record) == expected


def test_container_row_status_text() -> None:
    row = ContainerRow("a", "stopped", 0, "/b", "", exit_code=137, signal="SIGKILL")
    assert row.status_text == "exited 137 (SIGKILL)"
    assert ContainerRow("a", "running", 5, "/b", "").status_text == "running"
