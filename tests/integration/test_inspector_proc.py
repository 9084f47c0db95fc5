"""The inspector's data against /proc of a real container (root): a bind of a tmp dir on
/mnt, an exec'd sleep, the default masked and read-only paths."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from bundlebench.containers import inspect
from bundlebench.containers.mount_labels import MASK_NULL
from runtime.api import Runtime
from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY


def _nspid(pid: int) -> int:
    with open(f"/proc/{pid}/status") as handle:
        line = next(line for line in handle if line.startswith("NSpid:"))
    return int(line.split()[-1])


@pytest.fixture
def container(rt, tmp_path: Path) -> tuple[str, int, int, Path]:
    """A running container with /tmp/share-like dir bound on /mnt and one exec'd sleep:
    (id, init pid, exec'd pid, the shared dir)."""
    share = tmp_path / "share"
    share.mkdir()
    (share / "hello").write_text("from the host\n")
    # A command after the sleep keeps sh there as its parent: some shells (busybox's ash)
    # exec the last command of -c in place.
    config = rt.config(["sh", "-c", "sleep 1000; exit 0"])
    config["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(share),
                             "options": ["rbind", "rw"]})
    cid = rt.new_id("insp")
    rt("run", "-d", "-b", str(rt.bundle(config=config)), cid, check=True)
    pid_file = tmp_path / "exec.pid"
    rt("exec", "-d", "--pid-file", str(pid_file), cid, "sleep", "100", check=True)
    return cid, rt.state(cid)["pid"], int(pid_file.read_text()), share


def _sample(pid: int, want: int) -> list[inspect.ProcessRow]:
    """Rows once the init's child (sh forks its sleep) is there too."""
    sampler = inspect.ProcessSampler(pid)
    deadline = time.monotonic() + 10
    rows = sampler.sample()
    while len(rows) < want and time.monotonic() < deadline:
        time.sleep(0.05)
        rows = sampler.sample()
    return rows


def test_processes_are_the_cgroups_with_nspid(rt, container) -> None:
    cid, pid, exec_pid, _ = container
    rows = _sample(pid, 3)
    by_pid = {row.pid: row for row in rows}
    assert set(by_pid) == set(Runtime(str(rt.root)).ps(cid))  # the cgroup's, exactly
    assert exec_pid in by_pid, "the exec'd process is listed"
    for row in rows:
        assert row.nspid == _nspid(row.pid), row
    assert rows[0].pid == pid and rows[0].nspid == 1 and rows[0].depth == 0
    assert by_pid[exec_pid].command == "sleep 100" and by_pid[exec_pid].depth == 0
    child = next(row for row in rows if row.ppid == pid)
    assert child.depth == 1 and child.command == "sleep 1000"
    with open(f"/proc/{exec_pid}/stat") as handle:
        assert by_pid[exec_pid].state == handle.read().rsplit(")", 1)[1].split()[0]
    assert all(row.user == "root" and row.rss > 0 for row in rows)


def test_mounts_name_the_binds_source_and_the_masks(rt, container) -> None:
    _, pid, _, share = container
    views = {view.target: view for view in inspect.mount_views(pid)}
    mnt = views["/mnt"]
    assert mnt.kind == "bind" and mnt.origin == str(share)
    assert mnt.label.startswith(f"bind of {share} (")
    seen, real = os.stat(mnt.origin), os.stat(f"/proc/{pid}/root/mnt")
    assert (seen.st_dev, seen.st_ino) == (real.st_dev, real.st_ino)
    keys = views["/proc/keys"]
    assert keys.kind == "masked" and keys.label == MASK_NULL
    assert os.stat(f"/proc/{pid}/root/proc/keys").st_rdev == os.makedev(1, 3)
    for target, view in views.items():
        if view.kind == "masked" and view.label != MASK_NULL:  # a masked directory
            assert os.listdir(f"/proc/{pid}/root{target}") == [], target
    sys_view = views["/proc/sys"]
    assert sys_view.readonly and sys_view.kind == "self-bind"
    assert os.statvfs(f"/proc/{pid}/root/proc/sys").f_flag & os.ST_RDONLY
    root = views["/"]  # the bundle's rootfs, bound and made read-only
    assert root.readonly and root.kind == "bind" and root.origin == os.path.realpath(rt.rootfs)

