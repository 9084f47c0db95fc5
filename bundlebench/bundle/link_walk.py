"""Walking into a directory symlink: where it leads inside the rootfs, or why it may not.

A link is walked into only when it resolves (inside the rootfs, as every path does) to a
directory that does not hold the link itself: a link to an ancestor (``up -> ..``,
``self -> /``) would make the tree endless. Loops and climbs out are refused by
``Rootfs`` already (link_status ``loop`` / ``escapes``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bundlebench.bundle.rootfs import Entry, Rootfs, RootfsError


@dataclass(frozen=True)
class DirLink:
    """A symlink to a directory: the directory's container path, or why it is refused."""

    target: str
    refused: str | None = None


def holds(outer: str, inner: str) -> bool:
    """Whether directory ``outer`` is ``inner`` or one of its ancestors (lexically)."""
    return outer == inner or outer == "/" or inner.startswith(outer.rstrip("/") + "/")


def dir_link(rootfs: Rootfs, entry: Entry, holders: Iterable[str]) -> DirLink | None:
    """Where the symlink ``entry`` leads when that is a directory (None otherwise).

    ``holders`` are the directories the tree shows the link under (its parent's real
    path and theirs, up to /): leading back to one of them is a loop.
    """
    if entry.kind != "symlink" or entry.link_status != "inside":
        return None
    try:
        target = rootfs.stat(entry.path)
        if target.kind != "dir":
            return None
        real = rootfs.realpath(entry.path)
        # realpath reads /proc: make sure the name it gave is the same directory here.
        again = rootfs.lstat(real).info
    except RootfsError:
        return None
    if (again.st_dev, again.st_ino) != (target.info.st_dev, target.info.st_ino):
        return DirLink(real, "escapes: it does not resolve to a directory of the rootfs")
    for holder in holders:
        if holds(real, holder):
            return DirLink(real, f"loop: {real} holds this link")
    return DirLink(real)
