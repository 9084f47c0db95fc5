"""The image's Config.Volumes: checked paths, their mount points, optional tmpfs mounts.

Volume paths come from the image and are untrusted. Each is checked lexically first
(absolute, no ``..``, no NUL), then its directories are made one component at a time,
each resolved inside the rootfs: a link in the way is followed inside it, never out.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from bundlebench.bundle.rootfs import Rootfs, RootfsError

VOLUME_MODES = ("dirs", "tmpfs")
TMPFS_OPTIONS = ("nosuid", "nodev", "mode=755")
_NAME_LIMIT = 200


def shown(path: str) -> str:
    """A volume path quoted for a sentence: repr escapes what a terminal would obey."""
    return repr(path if len(path) <= _NAME_LIMIT else path[:_NAME_LIMIT] + "…")


def _refusal(path: str, why: str) -> str:
    return f"the image's volume {shown(path)} {why}: it is not created"


def volume_paths(keys: list[str]) -> tuple[list[str], list[str]]:
    """Cleaned absolute volume paths (in image order, once each) and the refusals."""
    paths: list[str] = []
    warnings: list[str] = []
    for key in keys:
        parts = [p for p in key.split("/") if p not in ("", ".")]
        if "\0" in key:
            warnings.append(_refusal(key, "holds a NUL byte"))
        elif not key.startswith("/"):
            warnings.append(_refusal(key, "is not an absolute path"))
        elif ".." in parts:
            warnings.append(_refusal(key, "climbs with '..'"))
        elif not parts:
            warnings.append(_refusal(key, "is the root itself"))
        elif (path := "/" + "/".join(parts)) not in paths:
            paths.append(path)
    return paths, warnings


def tmpfs_mount(path: str) -> dict[str, Any]:
    """The mount that puts a fresh tmpfs on a volume, as an anonymous volume would be."""
    return {"destination": path, "type": "tmpfs", "source": "tmpfs",
            "options": list(TMPFS_OPTIONS)}


def make_mount_points(rootfs: Rootfs, paths: list[str]) -> list[str]:
    """mkdir -p each path inside ``rootfs``; one warning for each that cannot be made."""
    warnings = []
    for path in paths:
        try:
            _make_inside(rootfs, path)
        except RootfsError as error:
            warnings.append(f"the image's volume {shown(path)} has no mount "
                            f"point: {error}")
    return warnings


def _make_inside(rootfs: Rootfs, path: str) -> None:
    parts = path.strip("/").split("/")
    parent = rootfs.open("/", os.O_PATH | os.O_DIRECTORY)
    try:
        for index, name in enumerate(parts):
            prefix = "/" + "/".join(parts[:index + 1])
            try:
                child = rootfs.open(prefix, os.O_PATH | os.O_DIRECTORY)
            except RootfsError as error:
                if error.errno != errno.ENOENT:
                    raise
                child = _mkdir(parent, name, prefix)
            os.close(parent)
            parent = child
    finally:
        os.close(parent)


def _mkdir(parent: int, name: str, prefix: str) -> int:
    """A new directory ``name`` in the resolved ``parent``; never through a link."""
    try:
        os.mkdir(name, 0o755, dir_fd=parent)  # mkdirat does not follow a dangling link
    except FileExistsError:
        raise RootfsError(f"{shown(prefix)} is a link that leads nowhere "
                          "inside the rootfs") from None
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise RootfsError(f"{shown(prefix)} cannot be made "
                          f"({error.strerror})") from None
    fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                 dir_fd=parent)
    try:
        os.fchmod(fd, 0o755)  # the mode the volume has, whatever the umask
        return os.open(".", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=fd)
    finally:
        os.close(fd)
