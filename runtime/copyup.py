"""tmpcopyup: a tmpfs that starts with the contents of the directory it covers, as runc's.

runc mounts the tmpfs on a temporary dir, copies the destination into it and moves it
over. Here the tmpfs is made detached (fsopen/fsmount: it has no path anyone could reach),
filled through its fd from an fd of the destination (resolved inside the root), and
moved onto that same fd in one step (move_mount): no temporary dir, no path looked up
twice. The copy keeps owners, modes, times and xattrs (where the tmpfs takes them), copies
symlinks as links and never follows one: every entry is opened relative to its parent's
fd with O_NOFOLLOW.
"""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure
from runtime.linux import seam
from runtime.linux.constants import (
    MS_DIRSYNC,
    MS_LAZYTIME,
    MS_MANDLOCK,
    MS_NOATIME,
    MS_NODEV,
    MS_NODIRATIME,
    MS_NOEXEC,
    MS_NOSUID,
    MS_NOSYMFOLLOW,
    MS_RDONLY,
    MS_STRICTATIME,
    MS_SYNCHRONOUS,
    flag_names,
)
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

    MountOptions = Any  # runtime.mounts.MountOptions, which imports this module

# MS_* flag -> the fsmount attribute it becomes (per mount) ...
_ATTRS = ((MS_NOSUID, 0x2), (MS_NODEV, 0x4), (MS_NOEXEC, 0x8), (MS_NOATIME, 0x10),
          (MS_STRICTATIME, 0x20), (MS_NODIRATIME, 0x80), (MS_NOSYMFOLLOW, 0x200000))
# ... or the superblock flag fsconfig knows it by.
_SB_FLAGS = ((MS_SYNCHRONOUS, "sync"), (MS_DIRSYNC, "dirsync"), (MS_LAZYTIME, "lazytime"),
             (MS_MANDLOCK, "mand"))


def fs_options(opts: MountOptions) -> tuple[list[tuple[str, str | None]], int]:
    """(fsconfig keys with values, fsmount attribute flags) of a tmpfs mount's options;
    read-only is left out (the copy needs a writable tmpfs) and set after the move."""
    config: list[tuple[str, str | None]] = [(flag, None) for bit, flag in _SB_FLAGS
                                            if opts.flags & bit]
    for word in opts.data:
        key, sep, value = word.partition("=")
        config.append((key, value if sep else None))
    attrs = 0
    for bit, attr in _ATTRS:
        if opts.flags & bit:
            attrs |= attr
    return config, attrs


def mount_copyup(target_fd: int, dest: str, opts: MountOptions,
                 tracer: Tracer = NULL_TRACER) -> None:
    """Mount a tmpfs with opts over the dir at target_fd (an O_PATH fd resolved in the
    root), holding a copy of what the dir held."""
    k = seam.traced(tracer)
    config, attrs = fs_options(opts)
    words = ",".join(key if value is None else f"{key}={value}" for key, value in config)
    try:
        mnt_fd = k.fsmount_new("tmpfs", config, attrs, step="mount",
                               text=f"fsopen('tmpfs') + fsconfig({words!r}) + fsmount("
                                    f"{flag_names(opts.flags & ~MS_RDONLY)}) for {dest!r}")
    except OSError as exc:
        raise RuntimeFailure(f"tmpfs for {dest} (tmpcopyup) cannot be made: {exc.strerror}"
                             ) from None
    try:
        src = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=target_fd)
        try:
            # The mount fd is an O_PATH one: fchown, fchmod and xattrs need a real open.
            top = os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=mnt_fd) \
                if mnt_fd >= 0 else -1
            try:
                k.copy_tree(src, top, step="tmpcopyup",
                            text=f"copy {dest!r} (owners, modes, times, xattrs; links as "
                                 "links) into the new tmpfs")
            finally:
                if top >= 0:
                    os.close(top)
        finally:
            os.close(src)
        k.move_mount(mnt_fd, target_fd, step="mount",
                     text=f"move_mount(<new tmpfs>, {dest!r})")
    except OSError as exc:
        raise RuntimeFailure(f"tmpcopyup of {dest}: {exc.strerror}"
                             + (f" ({exc.filename})" if exc.filename else "")) from None
    finally:
        if mnt_fd >= 0:
            os.close(mnt_fd)
    if opts.flags & MS_RDONLY:
        k.mount_setattr(target_fd, 0x1, 0, text=f"mount_setattr({dest!r}, set=MOUNT_ATTR_RDONLY)")
