"""Read-only access to the files of an image, whether it is a directory or a tar.

Names come from untrusted JSON (docker-archive manifests), so every name is
normalized and refused when it climbs out; a directory is read through `Rootfs`,
so a symlink inside the image cannot lead to a host file.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import BinaryIO, Protocol

from bundlebench.bundle.compression import decompressing_reader, sniff
from bundlebench.bundle.extract import UnsafeArchiveError, member_path
from bundlebench.bundle.rootfs import Rootfs, RootfsError
from bundlebench.image.errors import BlobError, ImageError

READ_BUFFER = 1 << 20
MAX_TAR_LINKS = 16


class Source(Protocol):
    """The files of an image, by relative name."""

    label: str

    def size(self, name: str) -> int | None:
        """The size of a regular file, or None when there is no such file."""

    def open(self, name: str) -> BinaryIO:
        """A buffered reader over a file; raises BlobError when it is missing."""

    def close(self) -> None:
        """Release file handles."""


def clean_name(name: str, label: str) -> str:
    try:
        return member_path(name)
    except UnsafeArchiveError:
        raise ImageError(f"{label} names {name!r}, which is outside the image: refused") from None


class DirSource:
    """An image stored as a directory."""

    def __init__(self, path: Path) -> None:
        self.label = str(path)
        self._root = Rootfs(path)

    def size(self, name: str) -> int | None:
        try:
            entry = self._root.stat("/" + clean_name(name, self.label))
        except RootfsError:
            return None
        return entry.size if entry.kind == "file" else None

    def open(self, name: str) -> BinaryIO:
        try:
            fd = self._root.open_regular("/" + clean_name(name, self.label))
        except RootfsError:
            raise BlobError(
                f"{name} is missing from {self.label}: the image is incomplete"
            ) from None
        os.set_blocking(fd, True)
        return open(fd, "rb", buffering=READ_BUFFER)  # noqa: SIM115 - the caller closes it

    def close(self) -> None:
        self._root.close()


class _Slice(io.RawIOBase):
    """A window of a file, read with pread so that several can be open at once."""

    def __init__(self, fd: int, offset: int, size: int) -> None:
        self._fd, self._offset, self._left = fd, offset, size

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        want = min(len(buffer), self._left)
        if want <= 0:
            return 0
        data = os.pread(self._fd, want, self._offset)
        buffer[: len(data)] = data
        self._offset += len(data)
        self._left -= len(data)
        return len(data)


class TarSource:
    """An image stored as a plain tar (compressed tars are first spooled to a temp file)."""

    def __init__(self, path: Path) -> None:
        self.label = str(path)
        self._spool: BinaryIO | None = None
        try:
            raw = open(path, "rb")  # noqa: SIM115 - kept open for pread
        except OSError as error:
            raise ImageError(f"cannot read image {path}: {error.strerror}") from None
        if sniff(raw.peek(8)[:8]) != "none":
            raw = self._decompress(raw, path)
        self._file = raw
        self._members: dict[str, tarfile.TarInfo] = {}
        try:
            with tarfile.open(fileobj=raw, mode="r:") as tar:
                for member in tar:
                    try:
                        self._members[member_path(member.name)] = member
                    except UnsafeArchiveError:
                        continue  # never looked up, so it can do no harm
        except (tarfile.TarError, EOFError, OSError) as error:
            raw.close()
            raise ImageError(
                f"{path} is not a readable tar archive ({error}): give an OCI layout "
                "directory or tar, or a docker-archive tar"
            ) from None

    def _decompress(self, raw: BinaryIO, path: Path) -> BinaryIO:
        spool = tempfile.TemporaryFile()  # noqa: SIM115 - owned by this source
        try:
            stream, _ = decompressing_reader(raw, str(path))
            shutil.copyfileobj(stream, spool, READ_BUFFER)
        except (EOFError, OSError, ValueError) as error:
            spool.close()
            raise ImageError(f"{path} is truncated or corrupt ({error})") from None
        finally:
            raw.close()
        spool.seek(0)
        return io.BufferedReader(spool, READ_BUFFER)  # type: ignore[arg-type]

    def _lookup(self, name: str) -> tarfile.TarInfo | None:
        rel = clean_name(name, self.label)
        for _ in range(MAX_TAR_LINKS):
            member = self._members.get(rel)
            if member is None:
                return None
            if member.isreg():
                return member
            if member.islnk():
                rel = clean_name(member.linkname, self.label)
            elif member.issym():
                base = rel.rpartition("/")[0]
                target = member.linkname
                joined = target.lstrip("/") if target.startswith("/") else f"{base}/{target}"
                rel = _normalize(joined)
            else:
                return None
        return None

    def size(self, name: str) -> int | None:
        member = self._lookup(name)
        return None if member is None else member.size

    def open(self, name: str) -> BinaryIO:
        member = self._lookup(name)
        if member is None:
            raise BlobError(f"{name} is missing from {self.label}: the image is incomplete")
        raw = _Slice(self._file.fileno(), member.offset_data, member.size)
        return io.BufferedReader(raw, READ_BUFFER)  # type: ignore[return-value]

    def close(self) -> None:
        self._file.close()


def _normalize(path: str) -> str:
    from bundlebench.format import lexical_parts

    return "/".join(lexical_parts(path))


def open_source(path: Path) -> DirSource | TarSource:
    """The files of the image at ``path`` (a directory or a tar file)."""
    if path.is_dir():
        return DirSource(path)
    if path.is_file():
        return TarSource(path)
    if not path.exists():
        raise ImageError(f"image {path} does not exist: check the path")
    raise ImageError(f"image {path} is neither a directory nor a tar file")
