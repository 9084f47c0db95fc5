"""Tarball extraction: every format, and hostile archives that try to escape."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from bundlebench.bundle.extract import UnsafeArchiveError, extract_tarball
from bundlebench.errors import BundlebenchError


def member(name: str, kind: bytes = tarfile.REGTYPE, data: bytes = b"", **fields) -> tuple:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.mode = fields.pop("mode", 0o644 if kind != tarfile.DIRTYPE else 0o755)
    for key, value in fields.items():
        setattr(info, key, value)
    return info, data


def write_tar(path: Path, members: list[tuple], compression: str = "") -> Path:
    if compression == "zst":
        import zstandard

        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as tar:
            for info, data in members:
                tar.addfile(info, io.BytesIO(data) if data else None)
        path.write_bytes(zstandard.ZstdCompressor().compress(buffer.getvalue()))
        return path
    with tarfile.open(path, "w:" + compression) as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data else None)
    return path


ALPINE_LIKE = [
    member("./", tarfile.DIRTYPE),
    member("./bin/", tarfile.DIRTYPE),
    member("./bin/busybox", data=b"\x7fELF fake", mode=0o755),
    member("./bin/sh", tarfile.SYMTYPE, linkname="/bin/busybox"),
    member("./etc/", tarfile.DIRTYPE),
    member("./etc/hostname", data=b"alpine\n"),
    member("./etc/hostname.hard", tarfile.LNKTYPE, linkname="./etc/hostname"),
    member("./usr/bin/", tarfile.DIRTYPE),
    member("./usr/bin/passwd", data=b"suid", mode=0o4755),
    member("./ro/", tarfile.DIRTYPE, mode=0o555),
    member("./ro/inside", data=b"written before the dir became read-only"),
]


@pytest.mark.parametrize("compression", ["", "gz", "xz", "bz2", "zst"])
def test_formats(tmp_path: Path, compression: str) -> None:
    archive = write_tar(tmp_path / f"root.tar.{compression or 'plain'}", ALPINE_LIKE, compression)
    target = tmp_path / "rootfs"
    target.mkdir()
    calls: list[tuple[int, int]] = []
    stats = extract_tarball(archive, target, lambda done, total: calls.append((done, total)))
    assert (
        stats.compression
        == {"": "none", "gz": "gzip", "xz": "xz", "bz2": "bzip2", "zst": "zstd"}[compression]
    )
    assert (target / "bin/busybox").read_bytes() == b"\x7fELF fake"
    assert os.readlink(target / "bin/sh") == "/bin/busybox"
    assert os.stat(target / "etc/hostname.hard").st_ino == os.stat(target / "etc/hostname").st_ino
    assert (target / "ro/inside").exists()
    assert stat.S_IMODE(os.stat(target / "ro").st_mode) == 0o555
    assert stats.files == 4 and stats.symlinks == 1 and stats.hardlinks == 1
    assert calls and calls[-1][0] == calls[-1][1]


def test_modes_and_owners_kept_as_root(tmp_path: Path) -> None:
    archive = write_tar(
        tmp_path / "a.tar",
        [
            member("f", data=b"x", mode=0o4755, uid=123, gid=456),
        ],
    )
    target = tmp_path / "r"
    target.mkdir()
    extract_tarball(archive, target)
    info = os.stat(target / "f")
    if os.geteuid() == 0:
        assert (info.st_uid, info.st_gid) == (123, 456)
        assert stat.S_IMODE(info.st_mode) == 0o4755
    else:
        assert stat.S_IMODE(info.st_mode) == 0o755


def test_devices_skipped_and_counted_when_not_root(tmp_path: Path) -> None:
    archive = write_tar(
        tmp_path / "d.tar",
        [
            member("dev/", tarfile.DIRTYPE),
            member("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
            member("dev/sda", tarfile.BLKTYPE, devmajor=8, devminor=0),
            member("dev/fifo", tarfile.FIFOTYPE),
        ],
    )
    target = tmp_path / "r"
    target.mkdir()
    stats = extract_tarball(archive, target, as_root=False)
    assert stats.skipped_devices == 2
    assert any("2 device node(s)" in w for w in stats.warnings)
    assert not (target / "dev/null").exists()
    assert stat.S_ISFIFO(os.lstat(target / "dev/fifo").st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="creating device nodes needs root")
def test_devices_created_as_root(tmp_path: Path) -> None:
    archive = write_tar(
        tmp_path / "d.tar",
        [
            member("dev/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
        ],
    )
    target = tmp_path / "r"
    target.mkdir()
    extract_tarball(archive, target)
    info = os.lstat(target / "dev/null")
    assert stat.S_ISCHR(info.st_mode) and info.st_rdev == os.makedev(1, 3)


@pytest.fixture
def host_dir(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("original")
    return outside


def hostile_cases(outside: Path) -> dict[str, list[tuple]]:
    return {
        "traversal": [member("../outside/victim", data=b"pwned")],
        "deep-traversal": [member("a/../../outside/victim", data=b"pwned")],
        "absolute": [member(str(outside / "victim"), data=b"pwned")],
        "symlink-then-file": [
            member("link", tarfile.SYMTYPE, linkname=str(outside)),
            member("link/victim", data=b"pwned"),
        ],
        "relative-symlink-then-file": [
            member("link", tarfile.SYMTYPE, linkname="../outside"),
            member("link/victim", data=b"pwned"),
        ],
        "hardlink-to-outside": [member("hard", tarfile.LNKTYPE, linkname="../outside/victim")],
        "hardlink-absolute": [member("hard", tarfile.LNKTYPE, linkname=str(outside / "victim"))],
        "symlink-dir-then-hardlink": [
            member("link", tarfile.SYMTYPE, linkname="../outside"),
            member("hard", tarfile.LNKTYPE, linkname="link/victim"),
        ],
    }


@pytest.mark.parametrize(
    "case",
    [
        "traversal",
        "deep-traversal",
        "absolute",
        "symlink-then-file",
        "relative-symlink-then-file",
        "hardlink-to-outside",
        "hardlink-absolute",
        "symlink-dir-then-hardlink",
    ],
)
def test_hostile_archives_cannot_escape(tmp_path: Path, host_dir: Path, case: str) -> None:
    archive = write_tar(tmp_path / "evil.tar", hostile_cases(host_dir)[case])
    target = tmp_path / "rootfs"
    target.mkdir()
    try:
        extract_tarball(archive, target)
    except UnsafeArchiveError as error:
        assert "\n" not in str(error)
    assert (host_dir / "victim").read_text() == "original"
    assert sorted(p.name for p in host_dir.iterdir()) == ["victim"]
    hard = target / "hard"
    if hard.exists():
        assert os.stat(hard).st_ino != os.stat(host_dir / "victim").st_ino


def test_symlink_then_file_lands_inside(tmp_path: Path) -> None:
    archive = write_tar(
        tmp_path / "a.tar",
        [
            member("etc/", tarfile.DIRTYPE),
            member("link", tarfile.SYMTYPE, linkname="/etc"),
            member("link/file", data=b"in the rootfs"),
        ],
    )
    target = tmp_path / "rootfs"
    target.mkdir()
    extract_tarball(archive, target)
    assert (target / "etc/file").read_bytes() == b"in the rootfs"


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"this is not a tarball at all" * 40, "not a readable tar archive")],
)
def test_garbage_is_a_clear_error(tmp_path: Path, content: bytes, message: str) -> None:
    archive = tmp_path / "x.tar"
    archive.write_bytes(content)
    target = tmp_path / "r"
    target.mkdir()
    with pytest.raises(BundlebenchError, match=message):
        extract_tarball(archive, target)


def test_truncated_archive_is_a_clear_error(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "t.tar.gz", [member("big", data=os.urandom(200_000))], "gz")
    archive.write_bytes(archive.read_bytes()[:5000])
    target = tmp_path / "r"
    target.mkdir()
    with pytest.raises(BundlebenchError, match="truncated or corrupt"):
        extract_tarball(archive, target)
