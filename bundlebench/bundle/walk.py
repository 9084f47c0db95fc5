"""Whole-tree walks over a rootfs: directory size and name search, both cancellable.

Both are generators: the caller pulls results as they come and stops the walk by
closing the generator (or setting ``cancel``). Symlinks are never followed and nothing
but directories is opened.
"""

from __future__ import annotations

import fnmatch
import os
import re
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from bundlebench.bundle.rootfs import Rootfs, RootfsError, join

PROGRESS_EVERY = 2000


@dataclass
class SizeProgress:
    """Running totals of a directory size walk; ``done`` on the last one."""

    files: int = 0
    dirs: int = 0
    bytes: int = 0
    disk_bytes: int = 0
    errors: int = 0
    current: str = ""
    done: bool = False


def counted_before(info: os.stat_result, seen: set[tuple[int, int]]) -> bool:
    """Whether a hard-linked file was already counted in this walk (then skip it)."""
    if info.st_nlink < 2:
        return False
    key = (info.st_dev, info.st_ino)
    if key in seen:
        return True
    seen.add(key)
    return False


def directory_size(
    rootfs: Rootfs, path: str = "/", cancel: threading.Event | None = None
) -> Iterator[SizeProgress]:
    """Yield running totals for the tree under ``path``; hardlinks are counted once."""
    progress = SizeProgress()
    seen: set[tuple[int, int]] = set()
    count = 0
    for parent, _name, info in _walk(rootfs, path, progress, cancel):
        if info is None:
            progress.dirs += 1
            progress.current = parent
            continue
        if stat.S_ISDIR(info.st_mode):
            progress.disk_bytes += info.st_blocks * 512
            continue
        if counted_before(info, seen):
            continue
        progress.files += 1
        progress.bytes += info.st_size
        progress.disk_bytes += info.st_blocks * 512
        count += 1
        if count % PROGRESS_EVERY == 0:
            yield progress
    progress.done = not (cancel and cancel.is_set())
    yield progress


def search_names(
    rootfs: Rootfs, pattern: str, path: str = "/", cancel: threading.Event | None = None
) -> Iterator[str]:
    """Stream container paths whose name matches: a glob when ``pattern`` has * ? or [,
    a case-insensitive substring otherwise."""
    if any(ch in pattern for ch in "*?["):
        matcher = re.compile(fnmatch.translate(pattern)).match
        match = lambda name: matcher(name) is not None  # noqa: E731
    else:
        needle = pattern.lower()
        match = lambda name: needle in name.lower()  # noqa: E731
    for parent, name, info in _walk(rootfs, path, SizeProgress(), cancel):
        if info is None:
            continue
        if match(name):
            yield join(parent, name)


def _walk(
    rootfs: Rootfs, top: str, progress: SizeProgress, cancel: threading.Event | None
) -> Iterator[tuple[str, str, os.stat_result | None]]:
    """Yield (dir, None-marker) per directory and (parent, name, lstat) per entry."""
    pending = [top]
    while pending:
        if cancel is not None and cancel.is_set():
            return
        current = pending.pop()
        try:
            fd = rootfs.open(current, os.O_RDONLY | os.O_DIRECTORY, follow=False)
        except RootfsError:
            progress.errors += 1
            continue
        yield current, "", None
        try:
            with os.scandir(fd) as scan:
                for item in scan:
                    try:
                        info = item.stat(follow_symlinks=False)
                    except OSError:
                        progress.errors += 1
                        continue
                    yield current, item.name, info
                    if stat.S_ISDIR(info.st_mode):
                        pending.append(join(current, item.name))
        except OSError:
            progress.errors += 1
        finally:
            os.close(fd)
