"""Safe access to a rootfs: every path is resolved inside it, never on the host.

An absolute symlink is taken relative to the rootfs root, ``..`` stops at the root,
loops end with an error, and magic links (/proc/self/root and friends) are refused.
The kernel enforces this with openat2(RESOLVE_IN_ROOT) where it can; elsewhere a
component-by-component walk over directory fds does the same.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from collections.abc import Iterator
from pathlib import Path

from bundlebench.errors import BundlebenchError
from runtime.linux import openat2 as _openat2

MAX_SYMLINKS = 40  # the kernel's own limit for one lookup
ID_FILE_LIMIT = 1 << 20

_KINDS = {
    stat.S_IFREG: "file",
    stat.S_IFDIR: "dir",
    stat.S_IFLNK: "symlink",
    stat.S_IFCHR: "chardev",
    stat.S_IFBLK: "blockdev",
    stat.S_IFIFO: "fifo",
    stat.S_IFSOCK: "socket",
}


class RootfsError(BundlebenchError):
    """A path inside the rootfs cannot be used."""

    def __init__(self, message: str, *, errno_value: int = 0) -> None:
        super().__init__(message)
        self.errno = errno_value


class Entry:
    """One file of the rootfs, described without opening it.

    Built from one lstat; every field is derived on access, so that listing a huge
    directory costs little more than the system calls.
    """

    __slots__ = ("path", "name", "info", "link_target", "link_status", "_names")

    def __init__(
        self,
        path: str,
        name: str,
        info: os.stat_result,
        link_target: str | None = None,
        link_status: str | None = None,  # inside | dangling | escapes | loop
        names: tuple[dict[int, str], dict[int, str]] | None = None,
    ) -> None:
        self.path = path
        self.name = name
        self.info = info
        self.link_target = link_target
        self.link_status = link_status
        self._names = names

    def __repr__(self) -> str:
        target = f" -> {self.link_target}" if self.link_target is not None else ""
        return f"<Entry {self.mode_string} {self.path}{target}>"

    @property
    def kind(self) -> str:
        return _KINDS.get(stat.S_IFMT(self.info.st_mode), "unknown")

    @property
    def mode(self) -> int:
        return self.info.st_mode

    @property
    def uid(self) -> int:
        return self.info.st_uid

    @property
    def gid(self) -> int:
        return self.info.st_gid

    @property
    def size(self) -> int:
        return self.info.st_size

    @property
    def mtime(self) -> float:
        return self.info.st_mtime

    @property
    def nlink(self) -> int:
        return self.info.st_nlink

    @property
    def rdev(self) -> int:
        return self.info.st_rdev

    @property
    def ino(self) -> int:
        return self.info.st_ino

    @property
    def owner(self) -> str | None:
        """The user name of the owner, from the rootfs's own /etc/passwd."""
        return self._names[0].get(self.info.st_uid) if self._names else None

    @property
    def group(self) -> str | None:
        """The group name, from the rootfs's own /etc/group."""
        return self._names[1].get(self.info.st_gid) if self._names else None

    @property
    def mode_string(self) -> str:
        """The permission string as `ls -l` prints it, e.g. ``-rwsr-xr-x``."""
        return stat.filemode(self.info.st_mode)

    @property
    def is_executable(self) -> bool:
        return self.kind == "file" and bool(self.info.st_mode & 0o111)

    @property
    def device_numbers(self) -> tuple[int, int] | None:
        if self.kind in ("chardev", "blockdev"):
            return os.major(self.info.st_rdev), os.minor(self.info.st_rdev)
        return None


def kind_of(mode: int) -> str:
    """The entry kind for an st_mode value."""
    return _KINDS.get(stat.S_IFMT(mode), "unknown")


def join(parent: str, name: str) -> str:
    """Join a container path and a name."""
    return ("/" if parent in ("", "/") else parent.rstrip("/") + "/") + name


class Rootfs:
    """A root filesystem directory seen from the inside."""

    def __init__(self, path: Path | str, *, use_openat2: bool | None = None) -> None:
        self.path = Path(path)
        try:
            self._root_fd = os.open(self.path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError:
            raise RootfsError(f"rootfs {self.path} does not exist") from None
        except NotADirectoryError:
            raise RootfsError(f"rootfs {self.path} is not a directory") from None
        self._openat2 = _openat2.available() if use_openat2 is None else use_openat2
        self._names: tuple[dict[int, str], dict[int, str]] | None = None

    # -- lifetime --------------------------------------------------------------------
    def close(self) -> None:
        if self._root_fd >= 0:
            os.close(self._root_fd)
            self._root_fd = -1

    def __enter__(self) -> Rootfs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_root_fd", -1) >= 0:
            os.close(self._root_fd)

    # -- resolution ------------------------------------------------------------------
    def open(self, path: str, flags: int = os.O_PATH, *, follow: bool = True) -> int:
        """Open ``path`` (a container path) resolved inside the rootfs; the caller closes it."""
        rel = path.lstrip("/") or "."
        if not follow:
            flags |= os.O_NOFOLLOW
        try:
            if self._openat2:
                return _openat2.openat2(
                    self._root_fd,
                    rel,
                    flags,
                    _openat2.RESOLVE_IN_ROOT | _openat2.RESOLVE_NO_MAGICLINKS,
                )
            return self._walk(rel, flags, follow)
        except OSError as error:
            raise _rootfs_error(path, error) from None
        except (UnicodeEncodeError, ValueError):  # a lone surrogate or a NUL: no such name
            import errno

            from bundlebench.untrusted import visible
            raise RootfsError(f"{visible(path)} cannot be a file name (it is not UTF-8 text "
                              "or holds a NUL byte)", errno_value=errno.ENOENT) from None

    def _walk(self, rel: str, flags: int, follow: bool) -> int:
        stack = [os.dup(self._root_fd)]
        parts = deque(p for p in rel.split("/") if p not in ("", "."))
        links = 0
        try:
            while parts:
                part = parts.popleft()
                if part == "..":
                    if len(stack) > 1:
                        os.close(stack.pop())
                    continue
                info = os.stat(part, dir_fd=stack[-1], follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode) and (parts or follow):
                    links += 1
                    if links > MAX_SYMLINKS:
                        raise OSError(errno.ELOOP, os.strerror(errno.ELOOP))
                    target = os.readlink(part, dir_fd=stack[-1])
                    if target.startswith("/"):
                        while len(stack) > 1:
                            os.close(stack.pop())
                    parts.extendleft(reversed([p for p in target.split("/") if p not in ("", ".")]))
                    continue
                if parts:
                    if not stat.S_ISDIR(info.st_mode):
                        raise OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR))
                    stack.append(
                        os.open(
                            part,
                            os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                            dir_fd=stack[-1],
                        )
                    )
                else:
                    return os.open(part, flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=stack[-1])
            return os.open(".", flags | os.O_CLOEXEC, dir_fd=stack[-1])
        finally:
            for fd in stack:
                os.close(fd)

    def exists(self, path: str, *, follow: bool = True) -> bool:
        try:
            os.close(self.open(path, follow=follow))
        except RootfsError:
            return False
        return True

    def realpath(self, path: str) -> str:
        """The canonical container path that ``path`` resolves to."""
        fd = self.open(path)
        try:
            host = os.readlink(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
        root = os.readlink(f"/proc/self/fd/{self._root_fd}")
        if host == root:
            return "/"
        return host[len(root):] if host.startswith(root + "/") else host

    # -- metadata --------------------------------------------------------------------
    def stat(self, path: str) -> Entry:
        """Describe what ``path`` resolves to (symlinks followed inside the rootfs)."""
        return self._entry_from_path(path, follow=True)

    def lstat(self, path: str) -> Entry:
        """Describe ``path`` itself (a final symlink is not followed)."""
        return self._entry_from_path(path, follow=False)

    def _entry_from_path(self, path: str, *, follow: bool) -> Entry:
        fd = self.open(path, follow=follow)
        try:
            info = os.fstat(fd)
        finally:
            os.close(fd)
        name = path.rstrip("/").rsplit("/", 1)[-1] or "/"
        target = status = None
        if stat.S_ISLNK(info.st_mode):
            parent = path.rstrip("/").rsplit("/", 1)[0] or "/"
            target, status = self._link_info(parent, name)
        return self._make_entry(path or "/", name, info, target, status)

    def list_dir(self, path: str = "/") -> list[Entry]:
        """Every entry of a directory, sorted by name; nothing in it is opened."""
        entries = list(self.iter_dir(path))
        entries.sort(key=lambda entry: entry.name)
        return entries

    def iter_dir(self, path: str = "/") -> Iterator[Entry]:
        """Stream the entries of a directory in the order the filesystem gives them."""
        fd = self.open(path, os.O_RDONLY | os.O_DIRECTORY)
        names = self.id_names()
        prefix = "/" if path in ("", "/") else path.rstrip("/") + "/"
        try:
            with os.scandir(fd) as scan:
                for item in scan:
                    try:
                        info = item.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue  # removed while we were listing
                    name = item.name
                    if stat.S_ISLNK(info.st_mode):
                        target, status = self._link_info(path, name, dir_fd=fd)
                        yield Entry(prefix + name, name, info, target, status, names)
                    else:
                        yield Entry(prefix + name, name, info, None, None, names)
        finally:
            os.close(fd)

    def _link_info(self, parent: str, name: str, dir_fd: int | None = None) -> tuple[str, str]:
        if dir_fd is None:
            fd = self.open(parent, os.O_PATH | os.O_DIRECTORY)
            try:
                target = os.readlink(name, dir_fd=fd)
            finally:
                os.close(fd)
        else:
            target = os.readlink(name, dir_fd=dir_fd)
        return target, self._link_status(parent, target)

    def _link_status(self, parent: str, target: str) -> str:
        if not target.startswith("/") and climbs_above_root(parent, target):
            return "escapes"
        full = target if target.startswith("/") else join(parent, target)
        try:
            os.close(self.open(full))
        except RootfsError as error:
            return "loop" if error.errno == errno.ELOOP else "dangling"
        return "inside"

    def _make_entry(
        self, path: str, name: str, info: os.stat_result, target: str | None, status: str | None
    ) -> Entry:
        return Entry(path, name, info, target, status, self.id_names())

    # -- contents --------------------------------------------------------------------
    def open_regular(self, path: str) -> int:
        """Open a regular file for reading, refusing anything else without opening it.

        The path is first pinned with O_PATH and checked; only a regular file is then
        reopened for reading, so a fifo can never block and a device is never touched.
        """
        pinned = self.open(path, os.O_PATH)
        try:
            info = os.fstat(pinned)
            if not stat.S_ISREG(info.st_mode):
                raise RootfsError(
                    f"{path} is a {kind_of(info.st_mode)}, not a regular file: it is not opened"
                )
            flags = os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
            try:
                return os.open(f"/proc/self/fd/{pinned}", flags)
            except OSError as error:
                if error.errno != errno.ENOENT:
                    raise _rootfs_error(path, error) from None
            # No /proc: open the same name again, but never follow and re-check the inode.
            fd = self.open(path, flags, follow=False)
            again = os.fstat(fd)
            if (again.st_dev, again.st_ino) != (info.st_dev, info.st_ino):
                os.close(fd)
                raise RootfsError(f"{path} changed while it was being opened: try again")
            return fd
        finally:
            os.close(pinned)

    def read_bytes(self, path: str, limit: int) -> bytes:
        """At most ``limit`` bytes from the start of a regular file."""
        fd = self.open_regular(path)
        try:
            return read_prefix(fd, limit)
        finally:
            os.close(fd)

    def id_names(self) -> tuple[dict[int, str], dict[int, str]]:
        """uid -> user name and gid -> group name from the rootfs's own /etc files."""
        if self._names is None:
            self._names = (
                self._parse_id_file("/etc/passwd"),
                self._parse_id_file("/etc/group"),
            )
        return self._names

    def _parse_id_file(self, path: str) -> dict[int, str]:
        try:
            text = self.read_bytes(path, ID_FILE_LIMIT).decode("utf-8", "replace")
        except RootfsError:
            return {}
        names: dict[int, str] = {}
        for line in text.splitlines():
            fields = line.split(":")
            if len(fields) >= 3 and fields[2].isdigit():
                names.setdefault(int(fields[2]), fields[0])
        return names


def read_prefix(fd: int, limit: int) -> bytes:
    """Read up to ``limit`` bytes from the current position of ``fd``."""
    chunks: list[bytes] = []
    remaining = limit
    while remaining > 0:
        chunk = os.read(fd, min(remaining, 1 << 16))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def climbs_above_root(parent: str, target: str) -> bool:
    """True when a relative link target in ``parent`` climbs above the root with ``..``."""
    depth = len([p for p in parent.split("/") if p not in ("", ".")])
    for part in target.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def _rootfs_error(path: str, error: OSError) -> RootfsError:
    code = error.errno or 0
    reasons = {
        errno.ENOENT: "does not exist in the rootfs",
        errno.ENOTDIR: "has a component that is not a directory",
        errno.ELOOP: "is a symlink loop, or a link the rootfs may not follow",
        errno.EACCES: "cannot be read: permission denied",
        errno.EPERM: "cannot be read: permission denied",
        errno.EXDEV: "leaves the rootfs",
    }
    reason = reasons.get(code, f"cannot be opened ({error.strerror})")
    return RootfsError(f"{path} {reason}", errno_value=code)
