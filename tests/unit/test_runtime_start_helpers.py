"""The helpers of the container start path: the cgroup warm-up's target and the C types
the syscall wrappers are built on."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from runtime.cgroups import warm
from runtime.linux import ffi, libc

HYBRID = "9:name=systemd:/user\n4:memory:/a/b\n1:cpu,cpuacct:/x\n0::/u/s\n"


def _procs(root: Path, *dirs: str) -> None:
    for directory in dirs:
        path = root / directory.lstrip("/")
        path.mkdir(parents=True, exist_ok=True)
        (path / "cgroup.procs").write_text("")


def test_warm_target_prefers_the_unified_hierarchy(tmp_path: Path) -> None:
    _procs(tmp_path, "unified/u/s", "memory/a/b")
    assert warm.own_procs_file(HYBRID, str(tmp_path)) == f"{tmp_path}/unified/u/s/cgroup.procs"


def test_warm_target_on_a_pure_v2_host(tmp_path: Path) -> None:
    _procs(tmp_path, "svc")
    assert warm.own_procs_file("0::/svc\n", str(tmp_path)) == f"{tmp_path}/svc/cgroup.procs"


def test_warm_target_falls_back_to_a_v1_hierarchy(tmp_path: Path) -> None:
    _procs(tmp_path, "systemd/user")  # name=systemd is mounted as .../systemd
    assert warm.own_procs_file(HYBRID, str(tmp_path)) == f"{tmp_path}/systemd/user/cgroup.procs"


def test_warm_target_none_without_any_cgroupfs(tmp_path: Path) -> None:
    assert warm.own_procs_file(HYBRID, str(tmp_path)) is None
    assert warm.own_procs_file("", str(tmp_path)) is None


def test_warm_up_does_nothing_unprivileged(monkeypatch) -> None:
    monkeypatch.setattr(warm.os, "geteuid", lambda: 1000)
    spawned = []
    monkeypatch.setattr(warm.os, "posix_spawn", lambda *a, **k: spawned.append(a) or 1)
    warm.start()
    assert not spawned and warm.proc_cgroup() is None
    warm.reap()  # nothing to reap: a no-op


def test_ffi_types_have_the_c_sizes() -> None:
    sizes = {ffi.c_int: 4, ffi.c_uint: 4, ffi.c_uint32: 4, ffi.c_long: 8, ffi.c_ulong: 8,
             ffi.c_uint64: 8, ffi.c_size_t: 8}
    assert {t: ffi.sizeof(t) for t in sizes} == sizes

    class Pair(ffi.Structure):
        _fields_ = [("a", ffi.c_uint32), ("b", ffi.c_uint64)]
    assert ffi.sizeof(Pair) == 16  # b is 8-aligned, as in C
    assert Pair(1, 2).b == 2


def test_ffi_function_reports_errno() -> None:
    with pytest.raises(OSError) as caught:
        libc.umount2("/nonexistent-bundlebench-path")
    assert caught.value.errno in (errno.ENOENT, errno.EPERM)
    assert caught.value.filename == "/nonexistent-bundlebench-path"


def test_fstatfs_type_names_the_filesystem() -> None:
    fd = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert libc.fstatfs_type(fd) == 0x9FA0  # PROC_SUPER_MAGIC
    finally:
        os.close(fd)


def test_personality_query_and_prctl_read() -> None:
    assert libc.personality(0xFFFFFFFF) >= 0
    assert libc.prctl(libc.PR_CAPBSET_READ, 0) in (0, 1)


def test_capget_reads_our_sets() -> None:
    effective, permitted, _inheritable = libc.capget()
    assert effective & ~permitted == 0
    if os.geteuid() == 0:
        assert permitted & (1 << 21)  # CAP_SYS_ADMIN as root
