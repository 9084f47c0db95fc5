"""runtime.sysctl: key names, namespace rules, and the verified procfs (no root)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from runtime import sysctl
from runtime.errors import RuntimeFailure


def config(keys: dict, *namespaces: dict) -> dict:
    return {"linux": {"sysctl": keys, "namespaces": list(namespaces)}}


def never_host(kind: str, path: str) -> bool:
    return False


def always_host(kind: str, path: str) -> bool:
    return True


@pytest.mark.parametrize("key, path", [
    ("net.ipv4.ip_forward", "net/ipv4/ip_forward"),
    ("kernel.shmmax", "kernel/shmmax"),
    ("net/ipv4/conf/eth0.100/forwarding", "net/ipv4/conf/eth0.100/forwarding"),
])
def test_key_path(key: str, path: str) -> None:
    assert sysctl.key_path(key) == path


@pytest.mark.parametrize("key", ["", "net..ipv4", "net/../../etc", "/net/ipv4", "net.", 5])
def test_bad_keys(key: object) -> None:
    with pytest.raises(RuntimeFailure, match="linux.sysctl key"):
        sysctl.key_path(key)


@pytest.mark.parametrize("key, kind", [
    ("net.ipv4.ip_forward", "network"), ("net/core/somaxconn", "network"),
    ("kernel.msgmax", "ipc"), ("kernel.sem", "ipc"), ("kernel.shm_rmid_forced", "ipc"),
    ("fs.mqueue.queues_max", "ipc"), ("kernel.domainname", "uts"), ("kernel.hostname", "uts"),
    ("vm.swappiness", None), ("kernel.core_pattern", None), ("user.max_user_namespaces", None),
])
def test_namespace_for(key: str, kind: str | None) -> None:
    assert sysctl.namespace_for(key) == kind


def test_check_accepts_keys_of_private_namespaces() -> None:
    items = sysctl.check(config({"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096",
                                 "kernel.domainname": "example"},
                                {"type": "network"}, {"type": "ipc"}, {"type": "uts"}))
    assert items == [("net.ipv4.ip_forward", "net/ipv4/ip_forward", "1"),
                     ("kernel.shmmax", "kernel/shmmax", "4096"),
                     ("kernel.domainname", "kernel/domainname", "example")]


@pytest.mark.parametrize("key, kind", [
    ("net.ipv4.ip_forward", "network"), ("kernel.msgmnb", "ipc"), ("fs.mqueue.msg_max", "ipc"),
    ("kernel.domainname", "uts")])
def test_check_refuses_a_shared_namespace(key: str, kind: str) -> None:
    with pytest.raises(RuntimeFailure, match=f"linux.sysctl {key} needs a private {kind} "
                                             "namespace"):
        sysctl.check(config({key: "1"}, {"type": "pid"}))


def test_check_refuses_host_namespace_joined_by_path() -> None:
    cfg = config({"net.ipv4.ip_forward": "1"}, {"type": "network", "path": "/proc/1/ns/net"})
    with pytest.raises(RuntimeFailure, match="needs a private network namespace"):
        sysctl.check(cfg, is_host=always_host)
    assert sysctl.check(cfg, is_host=never_host)[0][0] == "net.ipv4.ip_forward"


def test_is_host_namespace_compares_with_our_own() -> None:
    assert sysctl._is_host_namespace("network", "/proc/self/ns/net")
    assert not sysctl._is_host_namespace("network", "/nonexistent")


def test_check_refuses_non_namespaced_keys_and_bad_values() -> None:
    with pytest.raises(RuntimeFailure, match="vm.swappiness is not namespaced"):
        sysctl.check(config({"vm.swappiness": "10"}, {"type": "network"}))
    with pytest.raises(RuntimeFailure, match="the value must be a string"):
        sysctl.check(config({"net.ipv4.ip_forward": 1}, {"type": "network"}))
    assert sysctl.check({}) == []


def test_a_directory_that_is_not_procfs_is_refused(tmp_path: Path) -> None:
    (tmp_path / "sys/net/ipv4").mkdir(parents=True)
    (tmp_path / "sys/net/ipv4/ip_forward").write_text("0")
    with pytest.raises(RuntimeFailure, match="is not a procfs"):
        sysctl.write_all([("net.ipv4.ip_forward", "net/ipv4/ip_forward", "1")],
                         proc=str(tmp_path))
    assert (tmp_path / "sys/net/ipv4/ip_forward").read_text() == "0"


def test_real_proc_sys_verifies() -> None:
    fd = sysctl.open_verified_dir("/proc/sys")
    try:
        assert sysctl.fs_type(fd) == sysctl.PROC_SUPER_MAGIC
        key = sysctl.open_beneath(fd, "kernel/ostype", os.O_RDONLY)
        assert os.read(key, 100) == b"Linux\n"
        os.close(key)
        with pytest.raises(OSError) as info:
            sysctl.open_beneath(fd, "../self/status", os.O_RDONLY)
        assert info.value.errno == errno.EXDEV
    finally:
        os.close(fd)


def test_symlinks_are_not_followed_unless_allowed() -> None:
    fd = sysctl.open_verified_dir("/proc")
    try:
        with pytest.raises(OSError) as info:
            sysctl.open_beneath(fd, "self/status", os.O_RDONLY)
        assert info.value.errno == errno.ELOOP
        os.close(sysctl.open_beneath(fd, "self/status", os.O_RDONLY, allow_symlinks=True))
        with pytest.raises(OSError):  # a magic link never
            sysctl.open_beneath(fd, "self/cwd", os.O_PATH, allow_symlinks=True)
    finally:
        os.close(fd)


def test_walk_fallback_refuses_symlinks_and_reads_keys() -> None:
    fd = sysctl.open_verified_dir("/proc")
    try:
        key = sysctl._walk_beneath(fd, "sys/kernel/ostype", os.O_RDONLY)
        assert os.read(key, 100) == b"Linux\n"
        os.close(key)
        with pytest.raises(OSError):
            sysctl._walk_beneath(fd, "self/status", os.O_RDONLY)
    finally:
        os.close(fd)


def test_unknown_key_error_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    fd = sysctl.open_verified_dir("/proc/sys")
    try:
        with pytest.raises(RuntimeFailure, match="net.nope.x cannot be set to '1': no such key"):
            sysctl.write_key(fd, "net.nope.x", "net/nope/x", "1")
    finally:
        os.close(fd)
