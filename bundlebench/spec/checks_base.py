"""What every semantic check needs: the config, its bundle, and small helpers.

Checks run on configs that may be invalid against the schema, so every helper
tolerates wrong types: a field of the wrong type reads as absent here and is left
to the schema's own report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Any

from bundlebench.spec.problems import Problem

Check = Callable[["Context"], Iterable[Problem]]

_CPU_LIST = re.compile(r"^\d+(-\d+)?(,\d+(-\d+)?)*$")


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """``value`` if it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def is_int(value: Any) -> bool:
    """True for JSON integers (bool is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_absolute(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("/")


def valid_cpu_list(text: str) -> bool:
    """True for a list such as "0-3,7" (ranges ascending)."""
    if not _CPU_LIST.match(text):
        return False
    for part in text.split(","):
        low, _, high = part.partition("-")
        if high and int(high) < int(low):
            return False
    return True


class Context:
    """The config under check, its bundle directory, and lazily opened rootfs."""

    def __init__(self, config: dict[str, Any], bundle_dir: Path | None) -> None:
        self.config = config
        self.bundle_dir = Path(bundle_dir) if bundle_dir is not None else None
        self._rootfs: Any = None
        self._rootfs_tried = False

    def section(self, *keys: str) -> dict[str, Any]:
        """The object at config[keys[0]][keys[1]]..., or {} when absent or not an object."""
        node: Any = self.config
        for key in keys:
            node = as_dict(node).get(key)
        return as_dict(node)

    @cached_property
    def namespaces(self) -> dict[str, dict[str, Any]]:
        """linux.namespaces by type (the first entry of each type)."""
        found: dict[str, dict[str, Any]] = {}
        for entry in as_list(self.section("linux").get("namespaces")):
            kind = as_dict(entry).get("type")
            if isinstance(kind, str) and kind not in found:
                found[kind] = entry
        return found

    def has_namespace(self, kind: str) -> bool:
        """True when the container gets (creates or joins) its own namespace of ``kind``."""
        return kind in self.namespaces

    def creates_namespace(self, kind: str) -> bool:
        """True when the runtime creates a new namespace of ``kind`` (no path given)."""
        entry = self.namespaces.get(kind)
        return entry is not None and not entry.get("path")

    @cached_property
    def rootfs_host_path(self) -> Path | None:
        """The host directory root.path names, when it can be known and is a directory."""
        text = self.section("root").get("path")
        if not isinstance(text, str) or not text:
            return None
        path = Path(text)
        if not path.is_absolute():
            if self.bundle_dir is None:
                return None
            path = self.bundle_dir / path
        try:
            is_dir = path.is_dir()
        except (OSError, ValueError):  # a name too long, a NUL byte: checks_root says so
            return None
        if not is_dir or self.rootfs_refusal:
            return None  # a refused rootfs (a symlink: maybe the host's /) is never read
        return path

    @cached_property
    def rootfs_refusal(self) -> str | None:
        """The runtime's sentence when it would refuse root.path as it is, else None."""
        text = self.section("root").get("path")
        if not isinstance(text, str) or not text:
            return None
        if self.bundle_dir is None and not text.startswith("/"):
            return None
        from runtime.config import resolve_rootfs
        from runtime.errors import RuntimeFailure

        try:
            resolve_rootfs(str(self.bundle_dir or "/"), text)
        except RuntimeFailure as failure:
            return str(failure)
        return None

    @property
    def rootfs(self) -> Any:
        """A bundlebench.bundle.rootfs.Rootfs for the rootfs, or None when unavailable."""
        if not self._rootfs_tried:
            self._rootfs_tried = True
            host = self.rootfs_host_path
            if host is not None:
                from bundlebench.bundle.rootfs import Rootfs, RootfsError

                try:
                    self._rootfs = Rootfs(host)
                except (RootfsError, OSError):
                    self._rootfs = None
        return self._rootfs

    def stat_in_rootfs(self, path: str) -> Any:
        """What ``path`` resolves to inside the rootfs (an Entry), or None when it is
        missing, unreachable, or there is no rootfs to look in."""
        rootfs = self.rootfs
        if rootfs is None:
            return None
        from bundlebench.bundle.rootfs import RootfsError

        try:
            return rootfs.stat(path)
        except (RootfsError, OSError):
            return None

    def close(self) -> None:
        if self._rootfs is not None:
            self._rootfs.close()
            self._rootfs = None
