"""linux.maskedPaths and linux.readonlyPaths.

Run in the container init after pivot_root (root "/"), after linux.sysctl is written,
readonly paths first and masked paths second, as runc does.

- A masked file gets the container's /dev/null bound over it. /dev/null is opened with
  O_PATH inside the root and must be the character device 1:3, and is bound through
  /proc/self/fd/N, so a /dev/null that is a symlink (CVE-2025-31133) cannot redirect
  the bind. A masked directory gets a read-only empty tmpfs. Missing paths are skipped.
- A read-only path is bound onto itself, then the new mount is remounted read-only,
  keeping the nosuid/nodev/noexec and atime flags a user namespace locks.

Every target is resolved inside the root (openat2 RESOLVE_IN_ROOT) and mounted via its fd.
The decisions are pure; the kernel calls go through ``MountOps`` so tests can replace them.
Import this module before pivot_root (the host's modules are out of reach after it).
"""

from __future__ import annotations

import errno
import os
import stat

from runtime.errors import RuntimeFailure
from runtime.linux import openat2, seam
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
MS_NOATIME = 0x400
MS_NODIRATIME = 0x800
MS_BIND = 0x1000
MS_REC = 0x4000
MS_RELATIME = 0x200000

# statvfs f_flag bit -> MS_* flag that a remount must keep (the kernel locks them).
LOCKED_FLAGS = ((os.ST_NOSUID, MS_NOSUID), (os.ST_NODEV, MS_NODEV), (os.ST_NOEXEC, MS_NOEXEC),
                (os.ST_NOATIME, MS_NOATIME), (os.ST_NODIRATIME, MS_NODIRATIME),
                (os.ST_RELATIME, MS_RELATIME))
NULL_DEVICE = (1, 3)
_SKIP_ERRNOS = (errno.ENOENT, errno.ENOTDIR)


def fd_path(fd: int) -> str:
    return f"/proc/self/fd/{fd}"


def paths_of(config: dict[str, Any]) -> list[tuple[str, str]]:
    """(kind, path) in the order they are applied: readonly first, then masked."""
    linux = config.get("linux") or {}
    result = []
    for kind, name in (("readonly", "readonlyPaths"), ("mask", "maskedPaths")):
        items = linux.get(name) or []
        if not isinstance(items, list):
            raise RuntimeFailure(f"linux.{name} must be a list of absolute paths")
        for i, path in enumerate(items):
            if not isinstance(path, str) or not path.startswith("/"):
                raise RuntimeFailure(f"linux.{name}[{i}] {path!r} must be an absolute path")
            result.append((kind, path))
    return result


def mask_action(mode: int) -> str:
    """What masking does to a path with this st_mode: 'tmpfs' for dirs, else 'null'."""
    return "tmpfs" if stat.S_ISDIR(mode) else "null"


def kept_flags(f_flag: int) -> int:
    """The MS_* flags of a mount (from statvfs f_flag) a read-only remount must keep."""
    flags = 0
    for st_bit, ms_bit in LOCKED_FLAGS:
        if f_flag & st_bit:
            flags |= ms_bit
    return flags


def is_null_device(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and (os.major(st.st_rdev), os.minor(st.st_rdev)) == NULL_DEVICE


class MountOps:
    """The kernel calls masking makes; tests replace mount() and mount_id()."""

    def open(self, root_fd: int, path: str) -> int:
        """An O_PATH fd of path resolved inside root_fd (symlinks stay in the root)."""
        rel = path.lstrip("/") or "."
        if openat2.available():
            return openat2.openat2(root_fd, rel, os.O_PATH,
                                   openat2.RESOLVE_IN_ROOT | openat2.RESOLVE_NO_MAGICLINKS)
        from runtime.paths import open_in_root  # old kernels only; imported pre-pivot by rootfs
        return open_in_root(root_fd, path, os.O_PATH, use_openat2=False)

    def mount(self, source: str | None, target: str, fstype: str | None, flags: int,
              data: str | None = None) -> None:
            seam.kernel().mount(source, target, fstype, flags, data)

    def mount_id(self, fd: int) -> int:
        """The mount id the fd lives on, from /proc/self/fdinfo (-1 when not shown)."""
        with open(f"/proc/self/fdinfo/{fd}", "rb") as handle:
            for line in handle:
                if line.startswith(b"mnt_id:"):
                    return int(line.split()[1])
        return -1

    def statvfs_flags(self, fd: int) -> int:
        return os.fstatvfs(fd).f_flag


class Report:
    """What was done, for the trace and the tests."""

    def __init__(self) -> None:
        self.masked: list[str] = []
        self.readonly: list[str] = []
        self.skipped: list[str] = []


def open_dev_null(root_fd: int, ops: MountOps) -> int:
    """An O_PATH fd of the root's /dev/null, proven to be the null device 1:3."""
    try:
        fd = ops.open(root_fd, "/dev/null")
    except OSError as exc:
        raise RuntimeFailure(f"linux.maskedPaths: the container's /dev/null cannot be opened "
                             f"({exc.strerror}): it is needed to mask files") from None
    if not is_null_device(os.fstat(fd)):
        os.close(fd)
        raise RuntimeFailure("linux.maskedPaths: the container's /dev/null is not the null "
                             "device (char 1:3); refusing to mask files with it")
    return fd


def mask_path(root_fd: int, path: str, null_fd: int, ops: MountOps,
              tracer: Tracer = NULL_TRACER) -> str:
    """Mask one path; returns 'null', 'tmpfs' or 'skipped' (missing)."""
    try:
        fd = ops.open(root_fd, path)
    except OSError as exc:
        if exc.errno in _SKIP_ERRNOS:
            return "skipped"
        raise RuntimeFailure(f"linux.maskedPaths {path}: {exc.strerror}") from None
    try:
        action = mask_action(os.fstat(fd).st_mode)
        try:
            if action == "tmpfs":
                tracer.call("masked", f"mount('tmpfs', {path!r}, 'tmpfs', MS_RDONLY)",
                            ops.mount, "tmpfs", fd_path(fd), "tmpfs", MS_RDONLY, None)
            else:
                tracer.call("masked", f"mount('/dev/null', {path!r}, NULL, MS_BIND)",
                            ops.mount, fd_path(null_fd), fd_path(fd), None, MS_BIND, None)
        except OSError as exc:
            raise RuntimeFailure(f"linux.maskedPaths {path} cannot be masked: "
                                 f"{exc.strerror}") from None
    finally:
        os.close(fd)
    return action


def readonly_path(root_fd: int, path: str, ops: MountOps, tracer: Tracer = NULL_TRACER) -> str:
    """Make one path read-only; returns 'readonly' or 'skipped' (missing)."""
    try:
        fd = ops.open(root_fd, path)
    except OSError as exc:
        if exc.errno in _SKIP_ERRNOS:
            return "skipped"
        raise RuntimeFailure(f"linux.readonlyPaths {path}: {exc.strerror}") from None
    try:
        try:
            before = ops.mount_id(fd)
            tracer.call("readonly", f"mount({path!r}, {path!r}, NULL, MS_BIND|MS_REC)",
                        ops.mount, fd_path(fd), fd_path(fd), None, MS_BIND | MS_REC, None)
        except OSError as exc:
            raise RuntimeFailure(f"linux.readonlyPaths {path} cannot be bound: "
                                 f"{exc.strerror}") from None
        # The old fd still points into the covered mount: reopen to reach the new bind,
        # so the remount can never hit the mount underneath (e.g. the whole rootfs).
        new_fd = ops.open(root_fd, path)
    finally:
        os.close(fd)
    try:
        if ops.mount_id(new_fd) == before:
            raise RuntimeFailure(f"linux.readonlyPaths {path}: the bind mount did not appear "
                                 "at the path (was it swapped during setup?)")
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | kept_flags(ops.statvfs_flags(new_fd))
        try:
            tracer.call("readonly", f"mount(NULL, {path!r}, NULL, {flags:#x})",
                        ops.mount, None, fd_path(new_fd), None, flags, None)
        except OSError as exc:
            raise RuntimeFailure(f"linux.readonlyPaths {path} cannot be made read-only: "
                                 f"{exc.strerror}") from None
    finally:
        os.close(new_fd)
    return "readonly"


def apply(config: dict[str, Any], root: str = "/", tracer: Tracer = NULL_TRACER,
          ops: MountOps | None = None) -> Report:
    """Apply readonlyPaths then maskedPaths of config inside root."""
    return apply_paths(paths_of(config), root, tracer, ops)


def apply_paths(items: Any, root: str = "/", tracer: Tracer = NULL_TRACER,
                ops: MountOps | None = None) -> Report:
    """Apply (kind, path) items as paths_of orders them: readonly, then masked."""
    report = Report()
    if not items:
        return report
    ops = ops or MountOps()
    root_fd = os.open(root, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    null_fd = -1
    try:
        for kind, path in items:
            if kind == "readonly":
                done = readonly_path(root_fd, path, ops, tracer)
                (report.readonly if done == "readonly" else report.skipped).append(path)
                continue
            if null_fd < 0:
                null_fd = open_dev_null(root_fd, ops)
            done = mask_path(root_fd, path, null_fd, ops, tracer)
            (report.masked if done != "skipped" else report.skipped).append(path)
    finally:
        if null_fd >= 0:
            os.close(null_fd)
        os.close(root_fd)
    return report
