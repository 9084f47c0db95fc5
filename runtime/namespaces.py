"""Which namespaces a container gets: created fresh, or joined by path."""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure
from runtime.linux.constants import NAMESPACES

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

# Join order: the user namespace first (it owns the others), mount last but one so
# paths given for the others resolve on the host, pid before fork.
JOIN_ORDER = ("user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount")


class NamespacePlan:
    """The clone flags to unshare and the (type, path) pairs to setns, in order."""

    def __init__(self, unshare_user: bool, unshare_flags: int,
                 join: list[tuple[str, str]]) -> None:
        self.unshare_user = unshare_user
        self.unshare_flags = unshare_flags
        self.join = join


def plan(config: dict[str, Any]) -> NamespacePlan:
    """Split linux.namespaces into fresh ones (unshare) and joined ones (setns by path)."""
    entries = (config.get("linux") or {}).get("namespaces") or []
    unshare_user = False
    flags = 0
    join: list[tuple[str, str]] = []
    for ns in entries:
        kind, path = ns["type"], ns.get("path") or ""
        if path:
            join.append((kind, path))
        elif kind == "user":
            unshare_user = True
        else:
            flags |= NAMESPACES[kind][0]
    join.sort(key=lambda item: JOIN_ORDER.index(item[0]))
    return NamespacePlan(unshare_user, flags, join)


def open_ns_path(kind: str, path: str, nstype_of=None) -> int:
    """Open a namespace file and check it is a namespace of that type."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise RuntimeFailure(f"linux.namespaces {kind} path {path}: {exc.strerror}") from None
    try:
        if nstype_of is None:
            from runtime.linux import libc
            nstype = libc.ioctl_int(fd, libc.NS_GET_NSTYPE)
        else:
            nstype = nstype_of(fd)
    except OSError:
        os.close(fd)
        raise RuntimeFailure(f"linux.namespaces {kind} path {path} is not a namespace") from None
    if nstype != NAMESPACES[kind][0]:
        os.close(fd)
        actual = next((k for k, (flag, _) in NAMESPACES.items() if flag == nstype), "unknown")
        raise RuntimeFailure(f"linux.namespaces {kind} path {path} is a {actual} namespace, "
                             f"not a {kind} namespace")
    return fd


def id_map_text(mappings: list[dict[str, int]]) -> str:
    """uid_map/gid_map file content: 'containerID hostID size' per line."""
    return "".join(f"{m['containerID']} {m['hostID']} {m['size']}\n" for m in mappings)
