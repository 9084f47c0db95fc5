"""Directory totals for the tree's size column, du-like and reusable.

One walk sizes a directory and every directory under it; a subdirectory whose total is
already known is added, not walked again. A total is the sum of st_size of every entry
that is not a directory (hardlinks counted once per walk); symlinks are not followed.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable, Mapping

from bundlebench.bundle.rootfs import Rootfs, RootfsError, join
from bundlebench.bundle.walk import counted_before

PROGRESS_EVERY = 1024  # entries between progress calls and looks at ``cancel``


def subtree_sizes(
    rootfs: Rootfs,
    top: str,
    known: Mapping[str, int],
    cancel: threading.Event | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int] | None:
    """Totals of ``top`` and of each directory under it; None when cancelled.

    ``progress`` gets the number of entries read so far, now and then.
    """
    own: dict[str, int] = {}
    parent_of: dict[str, str] = {}
    order: list[str] = []
    seen: set[tuple[int, int]] = set()
    pending = [top]
    count = 0
    while pending:
        if cancel is not None and cancel.is_set():
            return None
        current = pending.pop()
        order.append(current)
        total = 0
        try:
            fd = rootfs.open(current, os.O_RDONLY | os.O_DIRECTORY, follow=False)
        except RootfsError:
            own[current] = 0
            continue
        try:
            with os.scandir(fd) as scan:
                for item in scan:
                    count += 1
                    if count % PROGRESS_EVERY == 0:
                        if cancel is not None and cancel.is_set():
                            return None
                        if progress is not None:
                            progress(count)
                    try:
                        info = item.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    if stat.S_ISDIR(info.st_mode):
                        path = join(current, item.name)
                        if path in known:
                            total += known[path]
                        else:
                            parent_of[path] = current
                            pending.append(path)
                        continue
                    if counted_before(info, seen):
                        continue
                    total += info.st_size
        except OSError:
            pass
        finally:
            os.close(fd)
        own[current] = total
    # Depth first with a stack: a directory is always listed before those under it.
    for path in reversed(order):
        parent = parent_of.get(path)
        if parent is not None:
            own[parent] += own[path]
    return own
