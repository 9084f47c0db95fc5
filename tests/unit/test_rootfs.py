"""Rootfs access against a hostile rootfs: no host file is ever read, nothing blocks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bundlebench.bundle.preview import preview_file
from bundlebench.bundle.rootfs import Rootfs, RootfsError, climbs_above_root
from runtime.linux import openat2

RESOLVERS = [pytest.param(False, id="walk")]
if openat2.available():
    RESOLVERS.insert(0, pytest.param(True, id="openat2"))

HOST_SECRET = "host-secret-must-never-be-read"


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A rootfs whose links all try to reach a host file next to it."""
    secret = tmp_path / "secret"
    secret.write_text(HOST_SECRET)
    root = tmp_path / "rootfs"
    (root / "etc").mkdir(parents=True)
    (root / "bin").mkdir()
    (root / "proc/self").mkdir(parents=True)
    (root / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/:/bin/false\n")
    (root / "etc/group").write_text("root:x:0:\nwheel:x:10:\n")
    (root / "etc/secret").write_text("inside")
    os.symlink(str(secret), root / "abs-to-host")  # absolute: means <rootfs>/<tmp>/secret
    os.symlink("/etc/shadow", root / "shadow")
    os.symlink("../../../../../../../" + str(secret), root / "bin/dotdot")
    os.symlink("../../../../etc/secret", root / "bin/clamped")
    os.symlink("/proc/self/root/" + str(secret), root / "procroot")
    os.symlink("loop-b", root / "loop-a")
    os.symlink("loop-a", root / "loop-b")
    os.symlink("/etc", root / "etclink")
    os.mkfifo(root / "fifo")
    os.symlink("/fifo", root / "to-fifo")
    return root


@pytest.mark.parametrize("use_openat2", RESOLVERS)
@pytest.mark.parametrize(
    "path", ["/abs-to-host", "/shadow", "/bin/dotdot", "/procroot", "/etclink/../../secret"]
)
def test_links_never_reach_the_host(hostile: Path, use_openat2: bool, path: str) -> None:
    rootfs = Rootfs(hostile, use_openat2=use_openat2)
    with pytest.raises(RootfsError):
        rootfs.read_bytes(path, 1024)
    assert preview_file(rootfs, path).data == b""


@pytest.mark.parametrize("use_openat2", RESOLVERS)
def test_dotdot_is_clamped_at_the_root(hostile: Path, use_openat2: bool) -> None:
    rootfs = Rootfs(hostile, use_openat2=use_openat2)
    assert rootfs.read_bytes("/bin/clamped", 100) == b"inside"
    assert rootfs.read_bytes("/../../../etc/secret", 100) == b"inside"
    assert rootfs.read_bytes("/etclink/secret", 100) == b"inside"
    assert rootfs.realpath("/bin/clamped") == "/etc/secret"


@pytest.mark.parametrize("use_openat2", RESOLVERS)
def test_loops_end_with_a_clear_error(hostile: Path, use_openat2: bool) -> None:
    rootfs = Rootfs(hostile, use_openat2=use_openat2)
    with pytest.raises(RootfsError, match="symlink loop"):
        rootfs.stat("/loop-a")
    assert rootfs.lstat("/loop-a").kind == "symlink"


@pytest.mark.parametrize("use_openat2", RESOLVERS)
def test_fifo_is_described_never_opened(hostile: Path, use_openat2: bool) -> None:
    rootfs = Rootfs(hostile, use_openat2=use_openat2)
    for path in ("/fifo", "/to-fifo"):
        preview = preview_file(rootfs, path)  # would hang forever on a naive open
        assert preview.kind == "not-regular"
        assert "fifo" in preview.message
        with pytest.raises(RootfsError, match="not a regular file"):
            rootfs.read_bytes(path, 10)


@pytest.mark.parametrize("use_openat2", RESOLVERS)
def test_listing_describes_every_entry(hostile: Path, use_openat2: bool) -> None:
    rootfs = Rootfs(hostile, use_openat2=use_openat2)
    entries = {entry.name: entry for entry in rootfs.list_dir("/")}
    assert entries["etc"].kind == "dir"
    assert entries["fifo"].kind == "fifo"
    assert entries["fifo"].mode_string.startswith("p")
    assert entries["loop-a"].link_status == "loop"
    assert entries["shadow"].link_target == "/etc/shadow"
    assert entries["shadow"].link_status == "dangling"
    assert entries["etclink"].link_status == "inside"
    assert entries["procroot"].link_status == "dangling"
    bin_entries = {entry.name: entry for entry in rootfs.list_dir("/bin")}
    assert bin_entries["clamped"].link_status == "escapes"
    assert list(entries) == sorted(entries)


def test_owner_names_come_from_the_rootfs(hostile: Path) -> None:
    os.chown(hostile / "etc/secret", 1, 10) if os.geteuid() == 0 else None
    rootfs = Rootfs(hostile)
    users, groups = rootfs.id_names()
    assert users == {0: "root", 1: "daemon"}
    assert groups == {0: "root", 10: "wheel"}
    if os.geteuid() == 0:
        entry = rootfs.stat("/etc/secret")
        assert (entry.owner, entry.group) == ("daemon", "wheel")


def test_mode_strings_like_ls(tmp_path: Path) -> None:
    root = tmp_path / "r"
    root.mkdir()
    for name, mode in [
        ("suid", 0o4755),
        ("sgid", 0o2750),
        ("sticky", 0o1777),
        ("plain", 0o640),
        ("suid-noexec", 0o4644),
    ]:
        (root / name).write_text("x")
        os.chmod(root / name, mode)
    (root / "tmp").mkdir()
    os.chmod(root / "tmp", 0o1777)
    modes = {e.name: e.mode_string for e in Rootfs(root).list_dir("/")}
    assert modes["suid"] == "-rwsr-xr-x"
    assert modes["sgid"] == "-rwxr-s---"
    assert modes["sticky"] == "-rwxrwxrwt"
    assert modes["plain"] == "-rw-r-----"
    assert modes["suid-noexec"] == "-rwSr--r--"
    assert modes["tmp"] == "drwxrwxrwt"


@pytest.mark.skipif(os.geteuid() != 0, reason="creating device nodes needs root")
def test_device_nodes_are_described_not_opened(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / "dev").mkdir(parents=True)
    os.mknod(root / "dev/null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
    os.mknod(root / "dev/sda", stat.S_IFBLK | 0o660, os.makedev(8, 0))
    rootfs = Rootfs(root)
    null = rootfs.stat("/dev/null")
    assert null.kind == "chardev" and null.device_numbers == (1, 3)
    assert rootfs.stat("/dev/sda").kind == "blockdev"
    assert "1:3" in preview_file(rootfs, "/dev/null").message
    with pytest.raises(RootfsError):
        rootfs.read_bytes("/dev/sda", 10)


def test_missing_rootfs_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RootfsError, match="does not exist"):
        Rootfs(tmp_path / "nope")


def test_climbs_above_root() -> None:
    assert climbs_above_root("/bin", "../../x")
    assert not climbs_above_root("/usr/bin", "../lib/x")
    assert not climbs_above_root("/", "a/../b")


def test_many_entries_list_without_opening_files(tmp_path: Path) -> None:
    root = tmp_path / "r"
    big = root / "big"
    big.mkdir(parents=True)
    for i in range(3000):
        (big / f"f{i:05}").write_bytes(b"")
        os.chmod(big / f"f{i:05}", 0)  # unreadable: listing must not open them
    entries = Rootfs(root).list_dir("/big")
    assert len(entries) == 3000
    assert entries[0].name == "f00000"
