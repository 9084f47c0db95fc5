"""The step view's /proc reader and mount diff, on a fake /proc tree."""

from __future__ import annotations

import os
from pathlib import Path

from bundlebench.containers.proc_view import mount_diff, read_process


def _fake_proc(tmp_path: Path) -> Path:
    proc = tmp_path / "proc"
    me = proc / "42"
    (me / "ns").mkdir(parents=True)
    (proc / "1" / "ns").mkdir(parents=True)
    os.symlink("mnt:[4026532001]", me / "ns" / "mnt")
    os.symlink("mnt:[4026531841]", proc / "1" / "ns" / "mnt")
    (me / "status").write_text("Uid:\t0\t0\t0\t0\nGid:\t5\t5\t5\t5\nCapEff:\t0000000000200001\n"
                               "NoNewPrivs:\t1\nSeccomp:\t2\n")
    (me / "mountinfo").write_text(
        "22 1 0:21 / / rw,relatime - ext4 /dev/sda1 rw\n"
        "23 22 0:22 / /proc rw,nosuid - proc proc rw\n")
    (me / "uid_map").write_text("         0       1000          1\n")
    (me / "gid_map").write_text("")
    (me / "cgroup").write_text("0::/bundlebench/c1\n")
    (me / "limits").write_text("Limit Soft Limit Hard Limit Units\n"
                               "Max open files            1024     1024     files\n")
    os.symlink("/tmp", me / "cwd")
    os.symlink("/", me / "root")
    return proc


def test_read_process_gathers_each_fact(tmp_path: Path) -> None:
    view = read_process(42, str(_fake_proc(tmp_path)))
    assert not view.gone
    mnt = next(ns for ns in view.namespaces if ns.kind == "mnt")
    assert (mnt.container, mnt.verdict) == (4026532001, "private")
    assert view.uid == "0 0 0 0" and view.gid == "5 5 5 5"
    assert view.uid_map == [(0, 1000, 1)] and view.gid_map == []
    assert view.security.capabilities["effective"] == ["CAP_CHOWN", "CAP_SYS_ADMIN"]
    assert view.security.no_new_privs is True and view.security.seccomp == "filter"
    assert view.mounts == ["/ ext4 /dev/sda1 rw,relatime", "/proc proc proc rw,nosuid"]
    assert view.cgroups == ["0::/bundlebench/c1"]
    assert view.limits == ["Max open files 1024 1024 files"]
    assert (view.cwd, view.root) == ("/tmp", "/")


def test_a_gone_process_is_said_to_be_gone(tmp_path: Path) -> None:
    assert read_process(7, str(tmp_path)).gone


def test_mount_diff_marks_added_and_removed_lines() -> None:
    assert mount_diff(None, ["a"]) == [(" ", "a")]
    assert mount_diff(["a", "b", "b"], ["b", "c", "a"]) == [
        (" ", "b"), ("+", "c"), (" ", "a"), ("-", "b")]
