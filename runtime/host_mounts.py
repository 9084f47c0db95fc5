"""Mounts made in the host's mount namespace, for a container without one of its own.

runc runs such a config in the caller's mount namespace: the rootfs bind, the config's
mounts and the masks are made there, under the rootfs, and the init chroots into it. They
outlive the container's processes, so the runtime notes the rootfs in the state dir
before anything is mounted, and `delete` (or a failed `create`) detaches every mount at
or under it, deepest first. The note is written first so that even a SIGKILL'd `create`
leaves `delete -f` what it needs.
"""

from __future__ import annotations

import os

NOTE_FILE = "host-mounts"


def note(state_dir: str, rootfs: str) -> None:
    """Remember that this container mounts under ``rootfs`` in the host's namespace."""
    from runtime.atomic import write_file
    write_file(os.path.join(state_dir, NOTE_FILE), rootfs.encode(), 0o600)


def under(rootfs: str, mountinfo: str | None = None) -> list[str]:
    """Mount points at or under ``rootfs``, the most recent (the innermost) first."""
    from runtime.linux.mountinfo import parse
    if mountinfo is None:
        with open("/proc/self/mountinfo") as handle:
            mountinfo = handle.read()
    prefix = rootfs.rstrip("/") + "/"
    return [row.target for row in reversed(parse(mountinfo))
            if row.target == rootfs or row.target.startswith(prefix)]


def release(state_dir: str) -> None:
    """Detach what the noted container mounted; nothing when there is no note."""
    path = os.path.join(state_dir, NOTE_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            rootfs = handle.read()
    except FileNotFoundError:
        return
    if os.path.realpath(rootfs) == "/":
        os.unlink(path)  # never: create refuses such a rootfs, and / is the host's
        return
    import contextlib

    from runtime.linux import libc
    for target in under(rootfs):
        with contextlib.suppress(OSError):  # gone with a parent detached before it
            libc.umount2(target, libc.MNT_DETACH)
    os.unlink(path)
