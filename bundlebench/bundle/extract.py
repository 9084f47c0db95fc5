"""Safe extraction of a rootfs tarball into a directory.

Every member is placed through directory fds resolved inside the target root, so no
absolute name, ``..`` or earlier symlink or hardlink can make a later member land
outside it. Members that try are refused with an error naming them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bundlebench.bundle.compression import decompressing_reader
from bundlebench.bundle.rootfs import Rootfs, RootfsError
from bundlebench.errors import BundlebenchError

ProgressCallback = Callable[[int, int], None]  # (compressed bytes read, total bytes)


class UnsafeArchiveError(BundlebenchError):
    """A member of the archive would land outside the target directory."""


@dataclass
class ExtractStats:
    """What an extraction did."""

    members: int = 0
    files: int = 0
    dirs: int = 0
    symlinks: int = 0
    hardlinks: int = 0
    devices: int = 0
    skipped_devices: int = 0
    bytes: int = 0
    compression: str = "none"
    warnings: list[str] = field(default_factory=list)


def member_path(name: str) -> str:
    """The normalized relative path of a member, or raise UnsafeArchiveError."""
    if name.startswith("/"):
        raise UnsafeArchiveError(
            f"archive member {name!r} has an absolute name: the archive is unsafe, "
            "nothing more is extracted"
        )
    parts: list[str] = []
    for part in name.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise UnsafeArchiveError(
                f"archive member {name!r} climbs out with '..': the archive is unsafe, "
                "nothing more is extracted"
            )
        parts.append(part)
    return "/".join(parts)


class RootfsWriter:
    """Creates files inside a root directory, never outside it."""

    def __init__(self, root: Path, *, as_root: bool | None = None) -> None:
        self.root = Rootfs(root)
        self.as_root = os.geteuid() == 0 if as_root is None else as_root
        self._dir_modes: list[tuple[str, int, float]] = []

    def close(self) -> None:
        self.root.close()

    def parent_fd(self, rel: str) -> tuple[int, str]:
        """An fd for the parent directory of ``rel`` (created as needed) and the last name."""
        parent, _, name = rel.rpartition("/")
        try:
            # Most parents exist already: one resolution instead of one per component.
            return self.root.open("/" + parent, os.O_PATH | os.O_DIRECTORY), name
        except RootfsError as error:
            if error.errno != errno.ENOENT:
                raise
        self.makedirs(parent)
        return self.root.open("/" + parent, os.O_PATH | os.O_DIRECTORY), name

    def makedirs(self, rel: str) -> None:
        """mkdir -p, resolving each step inside the root."""
        if not rel:
            return
        done = ""
        for part in rel.split("/"):
            fd = self.root.open("/" + done, os.O_PATH | os.O_DIRECTORY)
            try:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, 0o755, dir_fd=fd)
            finally:
                os.close(fd)
            done = f"{done}/{part}" if done else part

    def apply(self, member: tarfile.TarInfo, tar: tarfile.TarFile, stats: ExtractStats) -> None:
        """Create one member."""
        rel = member_path(member.name)
        if not rel:
            return
        if member.isdir():
            self.makedirs(rel)
            self._dir_modes.append((rel, member.mode, member.mtime))
            self._chown(rel, member)
            stats.dirs += 1
            self.placed(rel, member, None, "")
            return
        if (member.ischr() or member.isblk()) and not self.as_root:
            stats.skipped_devices += 1
            return
        dir_fd, name = self.parent_fd(rel)
        try:
            self._remove_existing(dir_fd, name)
            if member.isreg():
                self._write_file(dir_fd, name, member, tar)
                stats.files += 1
                stats.bytes += member.size
            elif member.issym():
                os.symlink(member.linkname, name, dir_fd=dir_fd)
                stats.symlinks += 1
            elif member.islnk():
                self._hardlink(dir_fd, name, member)
                stats.hardlinks += 1
            elif member.ischr() or member.isblk() or member.isfifo():
                kind = stat.S_IFCHR if member.ischr() else (
                    stat.S_IFBLK if member.isblk() else stat.S_IFIFO)
                os.mknod(name, kind | (member.mode & 0o7777),
                         os.makedev(member.devmajor, member.devminor), dir_fd=dir_fd)
                stats.devices += 0 if member.isfifo() else 1
            else:
                stats.warnings.append(f"skipped {member.name!r}: unsupported member type")
                return
            self._finish(dir_fd, name, member)
            self.placed(rel, member, dir_fd, name)
        finally:
            os.close(dir_fd)

    def placed(self, rel: str, member: tarfile.TarInfo, dir_fd: int | None, name: str) -> None:
        """Hook called once a member is in place; ``dir_fd`` is its parent (None for a
        directory). Subclasses record or decorate here; the default does nothing."""

    def _remove_existing(self, dir_fd: int, name: str) -> None:
        """Clear the way for a new non-directory entry (subclasses may remove more)."""
        try:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            with contextlib.suppress(OSError):
                os.rmdir(name, dir_fd=dir_fd)
            return
        os.unlink(name, dir_fd=dir_fd)

    def _write_file(self, dir_fd: int, name: str, member: tarfile.TarInfo,
                    tar: tarfile.TarFile) -> None:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(name, flags, 0o600, dir_fd=dir_fd)
        with os.fdopen(fd, "wb") as out:
            source = tar.extractfile(member)
            if source is not None:
                while chunk := source.read(1 << 20):
                    out.write(chunk)

    def _hardlink(self, dir_fd: int, name: str, member: tarfile.TarInfo) -> None:
        target = member_path(member.linkname.lstrip("/"))
        target_parent, _, target_name = target.rpartition("/")
        try:
            source_fd = self.root.open("/" + target_parent, os.O_PATH | os.O_DIRECTORY)
        except RootfsError as error:
            raise UnsafeArchiveError(
                f"archive member {member.name!r} links to {member.linkname!r}, "
                f"which is not in the archive: {error}"
            ) from None
        try:
            info = os.stat(target_name, dir_fd=source_fd, follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                raise UnsafeArchiveError(
                    f"archive member {member.name!r} hardlinks a directory: refused"
                )
            os.link(target_name, name, src_dir_fd=source_fd, dst_dir_fd=dir_fd,
                    follow_symlinks=False)
        except FileNotFoundError:
            raise UnsafeArchiveError(
                f"archive member {member.name!r} links to {member.linkname!r}, "
                "which was not extracted before it"
            ) from None
        finally:
            os.close(source_fd)

    def _finish(self, dir_fd: int, name: str, member: tarfile.TarInfo) -> None:
        if member.islnk():
            return  # the link shares the target's inode, owner and mode
        if self.as_root:
            os.chown(name, member.uid, member.gid, dir_fd=dir_fd, follow_symlinks=False)
        if not member.issym():
            mode = member.mode & (0o7777 if self.as_root else 0o777)
            os.chmod(name, mode, dir_fd=dir_fd)
        with contextlib.suppress(OSError):
            os.utime(name, (member.mtime, member.mtime), dir_fd=dir_fd, follow_symlinks=False)

    def _chown(self, rel: str, member: tarfile.TarInfo) -> None:
        if self.as_root:
            fd = self.root.open("/" + rel, os.O_PATH | os.O_DIRECTORY, follow=False)
            try:
                os.chown(f"/proc/self/fd/{fd}", member.uid, member.gid)
            finally:
                os.close(fd)

    def finish_directories(self) -> None:
        """Apply directory modes and times last, deepest first, so that a read-only
        directory does not stop its own children from being written."""
        for rel, mode, mtime in sorted(self._dir_modes, key=lambda d: d[0].count("/"),
                                       reverse=True):
            try:
                fd = self.root.open("/" + rel, os.O_PATH | os.O_DIRECTORY, follow=False)
            except RootfsError:
                continue
            try:
                path = f"/proc/self/fd/{fd}"
                os.chmod(path, mode & (0o7777 if self.as_root else 0o777))
                with contextlib.suppress(OSError):
                    os.utime(path, (mtime, mtime))
            finally:
                os.close(fd)


def extract_tarball(
    archive: Path, target: Path, progress: ProgressCallback | None = None,
    *, as_root: bool | None = None,
) -> ExtractStats:
    """Extract ``archive`` (gzip, xz, bzip2, zstd or plain tar) into ``target``."""
    archive = Path(archive)
    stats = ExtractStats()
    try:
        total = archive.stat().st_size
        raw = open(archive, "rb")  # noqa: SIM115 - closed below, after the tar stream
    except FileNotFoundError:
        raise BundlebenchError(f"archive {archive} does not exist: check the path") from None
    except IsADirectoryError:
        raise BundlebenchError(f"archive {archive} is a directory, not a tar file") from None
    writer = RootfsWriter(target, as_root=as_root)
    try:
        stream, stats.compression = decompressing_reader(raw, str(archive))
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    stats.members += 1
                    try:
                        writer.apply(member, tar, stats)
                    except RootfsError as error:
                        raise UnsafeArchiveError(
                            f"archive member {member.name!r} cannot be placed: {error}"
                        ) from None
                    except OSError as error:
                        if error.errno in (errno.ENOSPC, errno.EDQUOT):
                            raise
                        raise BundlebenchError(
                            f"could not extract {member.name!r}: {error.strerror}"
                        ) from None
                    if progress:
                        progress(raw.tell(), total)
        except tarfile.ReadError as error:
            raise BundlebenchError(
                f"{archive} is not a readable tar archive ({error}): "
                "give a .tar, .tar.gz, .tar.xz, .tar.bz2 or .tar.zst file"
            ) from None
        except (EOFError, OSError, ValueError) as error:
            if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
                raise BundlebenchError(f"no space left while extracting {archive}") from None
            raise BundlebenchError(
                f"{archive} is truncated or corrupt ({error}): download it again"
            ) from None
        writer.finish_directories()
    finally:
        writer.close()
        raw.close()
    if stats.skipped_devices:
        stats.warnings.append(
            f"skipped {stats.skipped_devices} device node(s): only root can create them"
        )
    if progress:
        progress(total, total)
    return stats
