"""/dev inside the container: default and configured device nodes, std symlinks, ptmx."""

from __future__ import annotations

import os
import stat

from runtime.errors import RuntimeFailure
from runtime.linux import seam
from runtime.linux.constants import MS_BIND
from runtime.paths import fd_path, make_file, parent_and_name
from runtime.trace import NULL_TRACER, Tracer

DEFAULT_DEVICES: tuple[dict[str, Any], ...] = tuple(
    {"path": f"/dev/{name}", "type": "c", "major": major, "minor": minor, "fileMode": 0o666,
     "uid": 0, "gid": 0}
    for name, major, minor in (("null", 1, 3), ("zero", 1, 5), ("full", 1, 7),
                               ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0))
)

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

DEV_SYMLINKS = (("/proc/self/fd", "/dev/fd"), ("/proc/self/fd/0", "/dev/stdin"),
                ("/proc/self/fd/1", "/dev/stdout"), ("/proc/self/fd/2", "/dev/stderr"))

_TYPE_BITS = {"c": stat.S_IFCHR, "u": stat.S_IFCHR, "b": stat.S_IFBLK, "p": stat.S_IFIFO}


def device_list(config: dict[str, Any]) -> list[dict[str, Any]]:
    """The defaults, then linux.devices; a configured path replaces a default one."""
    configured = (config.get("linux") or {}).get("devices") or []
    paths = {d.get("path") for d in configured}
    return [d for d in DEFAULT_DEVICES if d["path"] not in paths] + list(configured)


def check_type(dev: dict[str, Any]) -> None:
    """A device's type must be one mknod knows."""
    kind = dev.get("type", "c") if isinstance(dev, dict) else None
    if kind not in _TYPE_BITS:
        path = dev.get("path") if isinstance(dev, dict) else dev
        raise RuntimeFailure(f"linux.devices {path}: type {kind!r} is not one of c, b, u, p")


def create_device(root_fd: int, dev: dict[str, Any], bind: bool,
                  tracer: Tracer = NULL_TRACER) -> None:
    """mknod the node inside the root, or bind the host's node when mknod is not allowed."""
    path = dev["path"]
    check_type(dev)
    kind = dev.get("type", "c")
    parent, name = parent_and_name(root_fd, path)
    try:
        existing = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        existing = None
    finally:
        os.close(parent)
    if existing is not None and stat.S_ISLNK(existing.st_mode):
        raise RuntimeFailure(f"{path} in the rootfs is a symlink: refusing to use it as "
                             "a device node")
    if existing is not None and stat.S_ISDIR(existing.st_mode):
        raise RuntimeFailure(f"{path} in the rootfs is a directory, not a device")
    if bind:
        fd = make_file(root_fd, path)
        try:
            seam.traced(tracer).mount(path, fd_path(fd), None, MS_BIND, None,
                                      step="device",
                                      text=f"mount({path!r}, {path!r}, NULL, MS_BIND)")
        finally:
            os.close(fd)
        return
    parent, name = parent_and_name(root_fd, path)
    try:
        if existing is not None:
            os.unlink(name, dir_fd=parent)
        mode = (dev.get("fileMode") if dev.get("fileMode") is not None else 0o666) & 0o7777
        number = os.makedev(int(dev.get("major", 0)), int(dev.get("minor", 0)))
        seam.traced(tracer).mknodat(parent, name, _TYPE_BITS[kind] | mode, number, step="device",
                                     text=f"mknod({path!r}, {_TYPE_BITS[kind] | mode:#o}, "
                    f"{dev.get('major', 0)}:{dev.get('minor', 0)})")
        os.chmod(name, mode, dir_fd=parent)
        os.chown(name, int(dev.get("uid") or 0), int(dev.get("gid") or 0), dir_fd=parent,
                 follow_symlinks=False)
    finally:
        os.close(parent)


def check_dev_null(root_fd: int) -> None:
    """Refuse a /dev/null that is not the character device 1:3 (CVE-2025-31133)."""
    parent, name = parent_and_name(root_fd, "/dev/null")
    try:
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return
    finally:
        os.close(parent)
    if not stat.S_ISCHR(st.st_mode) or os.major(st.st_rdev) != 1 or os.minor(st.st_rdev) != 3:
        raise RuntimeFailure("/dev/null in the rootfs is not the character device 1:3 "
                             "(a symlink or a regular file): refusing to run")


def create_symlinks(root_fd: int, ptmx: bool, tracer: Tracer = NULL_TRACER) -> None:
    links = list(DEV_SYMLINKS)
    if os.path.exists("/proc/kcore"):
        links.append(("/proc/kcore", "/dev/core"))
    for target, link in links:
        parent, name = parent_and_name(root_fd, link)
        try:
            seam.traced(tracer).symlinkat(target, name, parent,
                                          text=f"symlink({target!r}, {link!r})")
        finally:
            os.close(parent)
    if ptmx:
        parent, name = parent_and_name(root_fd, "/dev/ptmx")
        try:
            try:  # noqa: SIM105 (no contextlib on the start path)
                os.unlink(name, dir_fd=parent)
            except FileNotFoundError:
                pass
            seam.traced(tracer).symlinkat("pts/ptmx", name, parent,
                                          text="symlink('pts/ptmx', '/dev/ptmx')")
        finally:
            os.close(parent)


