"""The container's process tree on a fake /proc and cgroup filesystem: who belongs (its
cgroup, its pid namespace), NSpid, the tree by PPid, CPU between two samples."""

from __future__ import annotations

import os
from pathlib import Path

from bundlebench.containers import proc_tree
from bundlebench.containers.proc_tree import ProcessSampler, parse_stat
from runtime.linux import mountinfo

# pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
# stime cutime cstime priority nice threads itreal starttime vsize rss ...
STAT = "{pid} ({comm}) {state} {ppid} 1 1 0 -1 4194560 10 0 0 0 {utime} {stime} 0 0 20 0 1 0 " \
       "{start} 2482176 {rss} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
STATUS = "Name:\t{comm}\nState:\t{state}\nPPid:\t{ppid}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\n" \
         "NSpid:\t{pid}\t{nspid}\n"
HOST_NS, CONTAINER_NS = "pid:[4026531836]", "pid:[4026532500]"


def add_process(proc: Path, pid: int, ppid: int, comm: str, nspid: int, ns: str,
                cmdline: str = "", utime: int = 0, uid: int = 0, start: int = 100) -> None:
    base = proc / str(pid)
    (base / "ns").mkdir(parents=True, exist_ok=True)
    (base / "stat").write_text(STAT.format(pid=pid, comm=comm, state="S", ppid=ppid,
                                           utime=utime, stime=0, start=start, rss=10))
    (base / "status").write_text(STATUS.format(pid=pid, comm=comm, state="S", ppid=ppid,
                                               uid=uid, nspid=nspid))
    (base / "cmdline").write_text(cmdline)
    link = base / "ns" / "pid"
    if link.is_symlink():
        link.unlink()
    os.symlink(ns, link)


def fake_host(tmp_path: Path) -> tuple[str, list]:
    """A host (pid 1, 50 and self) and a container: init 200 (sh, NSpid 1) with a child
    201, and 300, exec'd (its parent is the host's 50, outside)."""
    proc = tmp_path / "proc"
    add_process(proc, 1, 0, "init", 1, HOST_NS, "/sbin/init\0")
    add_process(proc, 50, 1, "runtime", 50, HOST_NS, "bundlebench-runtime\0exec\0")
    add_process(proc, 200, 50, "sh", 1, CONTAINER_NS, "sh\0")
    add_process(proc, 201, 200, "sleep", 2, CONTAINER_NS, "sleep\x00100\x00", utime=5)
    add_process(proc, 300, 50, "sle) ep (x", 7, CONTAINER_NS, "", uid=65534)
    (proc / "self").symlink_to("1")
    (proc / "1" / "cgroup").write_text("0::/user.slice\n")
    (proc / "200" / "cgroup").write_text("0::/bundlebench/c1\n")
    cgroupfs = tmp_path / "cgroup"
    (cgroupfs / "bundlebench/c1/sub").mkdir(parents=True)
    (cgroupfs / "bundlebench/c1/cgroup.procs").write_text("200\n201\n")
    (cgroupfs / "bundlebench/c1/sub/cgroup.procs").write_text("300\n")
    host = mountinfo.parse(f"41 31 0:38 / {cgroupfs} rw - cgroup2 cgroup2 rw\n")
    return str(proc), host


def test_stat_with_parentheses_and_spaces_in_comm() -> None:
    stat = parse_stat(STAT.format(pid=9, comm="a) (b c", state="R", ppid=3, utime=7, stime=2,
                                  start=555, rss=4))
    assert stat is not None and stat.comm == "a) (b c" and stat.state == "R"
    assert (stat.ppid, stat.ticks, stat.start) == (3, 9, 555)
    assert stat.rss == 4 * os.sysconf("SC_PAGE_SIZE")
    assert parse_stat("garbage") is None and parse_stat("1 (x) S") is None


def test_nspid_is_the_innermost_pid() -> None:
    assert proc_tree.nspid({"NSpid": "8621\t3"}) == 3
    assert proc_tree.nspid({"NSpid": "8621"}) == 8621 and proc_tree.nspid({}) is None


def test_cgroup_dir_and_its_pids_recursively(tmp_path: Path) -> None:
    proc, host = fake_host(tmp_path)
    directory = proc_tree.cgroup_dir(200, host, proc)
    assert directory == str(tmp_path / "cgroup/bundlebench/c1")
    assert proc_tree.cgroup_pids(directory) == {200, 201, 300}
    # Our own cgroup, or an ancestor of ours, is not the container's.
    (Path(proc) / "1" / "cgroup").write_text("0::/bundlebench/c1/sub\n")
    assert proc_tree.cgroup_dir(200, host, proc) is None


def test_pid_namespace_members(tmp_path: Path) -> None:
    proc, _ = fake_host(tmp_path)
    assert proc_tree.namespace_pids(200, proc) == {200, 201, 300}
    assert proc_tree.namespace_pids(50, proc) is None  # ours: that would be the whole host


def test_tree_from_init_then_the_execd_process(tmp_path: Path) -> None:
    proc, host = fake_host(tmp_path)
    rows = ProcessSampler(200, proc=proc).sample(host)
    assert [(r.pid, r.nspid, r.depth) for r in rows] == [(200, 1, 0), (201, 2, 1), (300, 7, 0)]
    assert rows[0].command == "sh" and rows[1].command == "sleep 100"
    assert rows[2].command == "[sle) ep (x]"  # no cmdline: the comm, bracketed
    assert rows[2].ppid == 50 and rows[2].state == "S"
    assert rows[0].user == "root"


def test_members_without_cgroup_use_the_namespace(tmp_path: Path) -> None:
    proc, _ = fake_host(tmp_path)
    assert proc_tree.members(200, [], proc) == {200, 201, 300}


def test_cpu_percent_between_samples(tmp_path: Path) -> None:
    proc, host = fake_host(tmp_path)
    now = [10.0]
    sampler = ProcessSampler(200, proc=proc, clock=lambda: now[0])
    assert all(row.cpu == 0.0 for row in sampler.sample(host))
    ticks = os.sysconf("SC_CLK_TCK")
    add_process(Path(proc), 201, 200, "sleep", 2, CONTAINER_NS, "sleep\0", utime=5 + ticks // 2)
    add_process(Path(proc), 300, 50, "x", 7, CONTAINER_NS, "x\0", utime=ticks, start=999)
    now[0] = 11.0
    rows = {row.pid: row for row in sampler.sample(host)}
    assert abs(rows[201].cpu - 50.0) < 1.0
    assert rows[300].cpu == 0.0  # another process under a reused pid: no history
    assert list(sampler.cpu_history)[-1] == sum(row.cpu for row in rows.values())
    assert list(sampler.memory_history)[-1] == sum(row.rss for row in rows.values())


def test_a_gone_init_has_no_rows(tmp_path: Path) -> None:
    proc, host = fake_host(tmp_path)
    assert ProcessSampler(999, proc=proc).sample(host) == []


def test_users_in_a_user_namespace_show_the_uid_inside(tmp_path: Path) -> None:
    id_map = [(0, 100000, 65536)]
    assert proc_tree.uid_inside(101000, id_map) == 1000
    assert proc_tree.show_user(100000, id_map).startswith("0 (host ")
    assert proc_tree.show_user(5, id_map).startswith("unmapped (host ")
    assert proc_tree.show_user(0, [(0, 0, 4294967295)]) == "root"  # no user namespace
    proc, host = fake_host(tmp_path)
    (Path(proc) / "200" / "uid_map").write_text("         0     100000      65536\n")
    add_process(Path(proc), 201, 200, "sleep", 2, CONTAINER_NS, "sleep\x00", uid=101000)
    rows = {row.pid: row for row in ProcessSampler(200, proc=proc).sample(host)}
    assert rows[201].user.startswith("1000 (host ")
