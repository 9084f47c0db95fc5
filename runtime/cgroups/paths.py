"""linux.cgroupsPath -> the directories of a container's cgroup, as runc's fs drivers do.

- absolute ("/a/b"): from the root of every hierarchy (of each mount).
- relative ("a/b"): v1: under this process's own cgroup in each controller;
  v2: under the parent of our own cgroup (our own one usually holds processes, so the
  kernel would refuse to enable controllers below it).
- empty: relative "bundlebench/<id>", one parent dir for every container we create.
- "slice:prefix:name" is systemd's form; there is no systemd driver, so it is refused.

A path is cleaned first ("../" cannot climb out of where it is anchored).
"""

from __future__ import annotations

import os
import posixpath

from runtime.cgroups.detect import SYSTEMD_NAME, Host, join_under
from runtime.errors import RuntimeFailure

DEFAULT_PARENT = "bundlebench"


class Target:
    """The cleaned cgroup path of a container and whether it was the default."""

    __slots__ = ("inner", "default")

    def __init__(self, inner: str, default: bool = False) -> None:
        self.inner = inner
        self.default = default

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Target) and (self.inner, self.default) == \
            (other.inner, other.default)

    def __hash__(self) -> int:
        return hash((self.inner, self.default))

    def __repr__(self) -> str:
        return f"Target({self.inner!r}, default={self.default!r})"

    @property
    def absolute(self) -> bool:
        return self.inner.startswith("/")


def clean_path(path: str) -> str:
    """Normalize a cgroup path so that '..' never leaves its anchor ('' stays '')."""
    if not path:
        return ""
    if path.startswith("/"):
        return posixpath.normpath(path).replace("//", "/")
    cleaned = posixpath.normpath("/" + path).lstrip("/")
    return cleaned or ""


def is_systemd_path(path: str) -> bool:
    """True for systemd's "slice:prefix:name" form."""
    return not path.startswith("/") and path.count(":") == 2


def target(cgroups_path: str | None, container_id: str) -> Target:
    """The container's cgroup path from config.json's linux.cgroupsPath."""
    raw = cgroups_path or ""
    if raw and is_systemd_path(raw):
        raise RuntimeFailure(
            f"linux.cgroupsPath {raw!r} is a systemd slice path (slice:prefix:name), but "
            "bundlebench-runtime has no systemd cgroup driver: use a path such as "
            f"/{DEFAULT_PARENT}/{container_id}, or leave it empty")
    if "\0" in raw or "\n" in raw:
        raise RuntimeFailure("linux.cgroupsPath must not contain NUL or newline characters")
    inner = clean_path(raw)
    if not raw:
        return Target(f"{DEFAULT_PARENT}/{container_id}", default=True)
    if inner == "/":
        raise RuntimeFailure(f"linux.cgroupsPath {raw!r} is the root cgroup of the host: "
                             "give the container a cgroup of its own")
    if not inner:
        raise RuntimeFailure(f"linux.cgroupsPath {raw!r} names no cgroup below the "
                             "runtime's own: give a path such as "
                             f"{DEFAULT_PARENT}/{container_id}")
    return Target(inner)


def v1_dirs(host: Host, tgt: Target, controllers: list[str] | None = None
            ) -> dict[str, str]:
    """controller (and 'name=systemd') -> real directory, for every mounted v1 hierarchy."""
    names = controllers if controllers is not None else sorted(host.v1)
    result = {}
    for name in names:
        mount = host.v1.get(name)
        if mount is None:
            continue
        if tgt.absolute:
            path = os.path.normpath(mount.mountpoint + tgt.inner)
        else:
            own = host.own_dir(name) or mount.mountpoint
            path = os.path.normpath(os.path.join(own, tgt.inner))
        result[name] = host.real(path)
    return result


def v2_dir(host: Host, tgt: Target) -> str | None:
    """The real directory of the container's cgroup in the unified hierarchy."""
    mount = host.unified
    if mount is None:
        return None
    if tgt.absolute:
        path = os.path.normpath(mount.mountpoint + tgt.inner)
    else:
        own = host.own.get("", "/")
        parent = join_under(mount, posixpath.dirname(own.rstrip("/")) or "/")
        path = os.path.normpath(os.path.join(parent, tgt.inner))
    return host.real(path)


__all__ = ["DEFAULT_PARENT", "SYSTEMD_NAME", "Target", "clean_path", "is_systemd_path",
           "target", "v1_dirs", "v2_dir"]
