"""A container's mountinfo rows in words: bind (and of what), masked, overlay, read-only.

mountinfo says where a mount's tree comes from only as a device and a root inside that
device's filesystem. The path a person knows ("/tmp/share") is found by looking for a
mount of the same device, in the host's table or the container's own, whose root is a
prefix of that root: its mount point plus the rest is the path.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from runtime.linux.mountinfo import MountInfo as Mount

BIND, MASKED, SELF, OVERLAY, FILESYSTEM = "bind", "masked", "self-bind", "overlay", "filesystem"
# One superblock for every mount of it: the same device twice is no sign of a bind.
SINGLE_INSTANCE = frozenset({"devtmpfs"})
MASK_NULL = "masked: /dev/null bound over it"
MASK_TMPFS = "masked: an empty read-only tmpfs over it"


@dataclass(frozen=True)
class MountView:
    """One mount and what it is, in words."""

    mount: Mount
    kind: str
    origin: str  # the path its tree comes from (a bind), else the mount's source
    label: str
    readonly: bool

    @property
    def target(self) -> str:
        return self.mount.target

    @property
    def fstype(self) -> str:
        return self.mount.fstype


def is_readonly(mount: Mount) -> bool:
    """Whether the per-mount options make it read-only (a ro remount, a ro bind)."""
    return "ro" in mount.options.split(",")


class _Index:
    """Mounts by device, to find the path a (device, root) pair is visible at."""

    def __init__(self, mounts: Iterable[Mount]) -> None:
        self.by_device: dict[str, list[Mount]] = defaultdict(list)
        for mount in mounts:
            self.by_device[mount.device].append(mount)

    def path_of(self, device: str, root: str, skip: Mount | None = None) -> str | None:
        """The path where ``root`` of ``device``'s filesystem is visible, or None."""
        best: Mount | None = None
        for mount in self.by_device.get(device, ()):
            if mount is skip or not _under(root, mount.root):
                continue
            if best is None or len(mount.root) > len(best.root):
                best = mount
        if best is None:
            return None
        rest = root[len(best.root.rstrip("/")):]
        return (best.target.rstrip("/") + rest).rstrip("/") or "/"


def _under(path: str, top: str) -> bool:
    return top == "/" or path == top or path.startswith(top.rstrip("/") + "/")


def _fs(mount: Mount) -> str:
    """The filesystem in two words: "ext4 /dev/vda", or "proc" when the source says
    nothing more."""
    if mount.source in ("", "none", mount.fstype):
        return mount.fstype
    return f"{mount.fstype} {mount.source}"


def _overlay(mount: Mount) -> str:
    options = dict(o.partition("=")[::2] for o in mount.super_options.split(","))
    lower = [layer for layer in options.get("lowerdir", "").split(":") if layer]
    words = f"overlay of {len(lower)} lower layer{'s' * (len(lower) != 1)}"
    return words + (" and an upper one" if options.get("upperdir") else "")


def describe(mounts: list[Mount], host: list[Mount] | None = None) -> list[MountView]:
    """Every mount of a container's table, in its order, said in words.

    ``host`` is the table of the host (whoever looks); pass None when the container
    shares the host's mount namespace, where every mount would match itself.
    """
    own, outside = _Index(mounts), _Index(host or ())
    parents = {mount.parent_id for mount in mounts}
    seen: set[str] = set()
    views = []
    for mount in mounts:
        views.append(_describe(mount, own, outside, parents, seen, host is not None))
        seen.add(mount.device)
    return views


def _describe(mount: Mount, own: _Index, outside: _Index, parents: set[str],
              seen: set[str], compare_host: bool) -> MountView:
    readonly = is_readonly(mount)
    ro = ", read-only" if readonly else ""
    from_host = outside.path_of(mount.device, mount.root) if compare_host else None
    inside = own.path_of(mount.device, mount.root, skip=mount)
    single = mount.fstype in SINGLE_INSTANCE
    bind = mount.root != "/" or (not single and (mount.device in seen or from_host))
    # The container's /dev/null sits on its /dev tmpfs (root "/null"), the host's on devtmpfs.
    if (bind and "/dev/null" in (from_host, inside)) or (
            mount.root == "/null" and mount.fstype in ("tmpfs", "devtmpfs")):
        return MountView(mount, MASKED, "/dev/null", MASK_NULL, readonly)
    if bind and inside == mount.target:
        words = ("read-only: bound onto itself and remounted read-only" if readonly
                 else "bound onto itself")
        return MountView(mount, SELF, inside, words, readonly)
    if bind:
        if from_host is not None:
            return MountView(mount, BIND, from_host, f"bind of {from_host} ({_fs(mount)}){ro}",
                             readonly)
        if inside is not None:
            return MountView(mount, BIND, inside,
                             f"bind of {inside} inside the container ({_fs(mount)}){ro}",
                             readonly)
        return MountView(mount, BIND, mount.root,
                         f"bind of {mount.root} on {_fs(mount)}{ro}", readonly)
    if mount.fstype == "tmpfs" and readonly and mount.mount_id not in parents:
        return MountView(mount, MASKED, mount.source, MASK_TMPFS, readonly)
    if mount.fstype == "overlay":
        return MountView(mount, OVERLAY, mount.source, _overlay(mount) + ro, readonly)
    return MountView(mount, FILESYSTEM, mount.source, _fs(mount) + ro, readonly)
