"""The tree filter's walk: entries whose name matches, and the directories above them.

Small directories first (by the directory's own st_size, which grows with its entries),
so the first matches come before a 100k-entry directory has been read through; matches
stream as they are found. Symlinks are never followed (a link is a match like any other
entry) and nothing but real directories is opened. Only matches and directories are
stat'ed: the walk reads the file type from the listing itself.
"""

from __future__ import annotations

import fnmatch
import heapq
import itertools
import os
import re
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bundlebench.bundle.rootfs import Entry, Rootfs, RootfsError, join
from bundlebench.format import ancestors

CHECK_EVERY = 1024  # entries between looks at ``cancel``


@dataclass(frozen=True)
class Match:
    """One matching entry and the directories from / (excluded) down to its parent."""

    entry: Entry
    parents: tuple[Entry, ...]


def name_matcher(pattern: str) -> Callable[[str], bool]:
    """A glob when ``pattern`` has * ? or [, else a case-insensitive substring."""
    if any(ch in pattern for ch in "*?["):
        matcher = re.compile(fnmatch.translate(pattern)).match
        return lambda name: matcher(name) is not None
    needle = pattern.lower()
    return lambda name: needle in name.lower()


def filter_walk(
    rootfs: Rootfs, pattern: str, cancel: threading.Event | None = None, top: str = "/"
) -> Iterator[Match]:
    """Stream the matches under ``top``; the caller stops early by closing the generator."""
    match = name_matcher(pattern)
    names = rootfs.id_names()
    dirs: dict[str, Entry] = {}
    order = itertools.count()
    pending: list[tuple[int, int, str]] = [(0, next(order), top)]
    seen = 0
    while pending:
        if cancel is not None and cancel.is_set():
            return
        current = heapq.heappop(pending)[2]
        try:
            fd = rootfs.open(current, os.O_RDONLY | os.O_DIRECTORY, follow=False)
        except RootfsError:
            continue
        try:
            with os.scandir(fd) as scan:
                for item in scan:
                    seen += 1
                    # Also inside a huge directory: a new key stops this walk at once
                    # (and a BreathingEvent lets the UI threads run here).
                    if cancel is not None and seen % CHECK_EVERY == 0 and cancel.is_set():
                        return
                    name = item.name
                    try:
                        if item.is_dir(follow_symlinks=False):
                            size = item.stat(follow_symlinks=False).st_size
                            heapq.heappush(pending, (size, next(order), join(current, name)))
                        if match(name):
                            yield Match(_entry(rootfs, current, item, names),
                                        _parents(rootfs, dirs, current))
                    except (OSError, RootfsError):
                        continue  # removed while we were listing, or unreadable
        except OSError:
            pass
        finally:
            os.close(fd)


def _entry(rootfs: Rootfs, parent: str, item: os.DirEntry[str],
           names: tuple[dict[int, str], dict[int, str]]) -> Entry:
    info = item.stat(follow_symlinks=False)
    path = join(parent, item.name)
    if stat.S_ISLNK(info.st_mode):
        return rootfs.lstat(path)  # with its target and whether it stays inside
    return Entry(path, item.name, info, None, None, names)


def _parents(rootfs: Rootfs, dirs: dict[str, Entry], parent: str) -> tuple[Entry, ...]:
    chain = [p for p in ancestors(parent) if p != "/"]
    if parent != "/":
        chain.append(parent)
    for path in chain:
        if path not in dirs:
            dirs[path] = rootfs.lstat(path)
    return tuple(dirs[path] for path in chain)
