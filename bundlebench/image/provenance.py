"""The provenance index a bundle keeps: which layer brought each path, and what hid it.

Stored compactly at ``<bundle>/.bundlebench/provenance.json``:

    {"version": 1, "image": {...}, "layers": [{...}, ...],
     "paths": {"/etc/passwd": [layer, "a" | "c"], ...},
     "removed": {"/etc/old": [removed_by_layer, brought_by_layer, bytes], ...},
     "owners": {"/usr/bin/su": [uid, gid, mode], ...}}

``owners`` holds, for an unpack by a plain user, the ownership and special mode bits
that could not be applied.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from runtime.jsonread import read_json_file

PROVENANCE_FILE = Path(".bundlebench") / "provenance.json"
VERSION = 1
STATUS_NAMES = {"a": "added", "c": "changed", "r": "removed"}


@dataclass(frozen=True)
class LayerInfo:
    """One layer as the Layers panel shows it."""

    index: int
    digest: str | None
    diff_id: str | None
    media_type: str
    size: int  # stored (compressed) bytes
    unpacked: int  # bytes of regular files in the layer
    files: int
    wasted: int  # bytes of this layer's files that later layers removed or replaced
    removed: int  # paths this layer removed or hid
    command: str | None
    created: str | None


class Provenance:
    """Read access to a bundle's provenance index."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.image: dict[str, Any] = data.get("image", {})
        self.layers: list[LayerInfo] = [LayerInfo(**layer) for layer in data.get("layers", [])]
        self._paths: dict[str, list[Any]] = data.get("paths", {})
        self._removed: dict[str, list[int]] = data.get("removed", {})
        self._owners: dict[str, list[int]] = data.get("owners", {})

    @staticmethod
    def _key(path: str) -> str:
        return "/" + path.strip("/")

    def layer_of(self, path: str) -> int | None:
        """The layer that added or last changed ``path``; for a removed path, the
        layer that removed it."""
        key = self._key(path)
        if key in self._paths:
            return int(self._paths[key][0])
        if key in self._removed:
            return int(self._removed[key][0])
        return None

    def status_of(self, path: str) -> str | None:
        """``added``, ``changed`` or ``removed`` (None for a path no layer touched)."""
        key = self._key(path)
        if key in self._paths:
            return STATUS_NAMES[self._paths[key][1]]
        return "removed" if key in self._removed else None

    def removed_info(self, path: str) -> tuple[int, int, int] | None:
        """(removed by layer, brought by layer, bytes hidden) for a removed path."""
        entry = self._removed.get(self._key(path))
        return (entry[0], entry[1], entry[2]) if entry else None

    def owner_of(self, path: str) -> tuple[int, int, int] | None:
        """(uid, gid, mode) the image gives a path whose ownership was not applied."""
        entry = self._owners.get(self._key(path))
        return (entry[0], entry[1], entry[2]) if entry else None

    def paths(self, *, layer: int | None = None, status: str | None = None) -> list[str]:
        """Sorted paths, filtered by layer and/or status (removed paths included)."""
        found = []
        if status in (None, "added", "changed"):
            for path, (index, code) in self._paths.items():
                if (layer is None or index == layer) and (
                        status is None or STATUS_NAMES[code] == status):
                    found.append(path)
        if status in (None, "removed"):
            found.extend(p for p, entry in self._removed.items()
                         if layer is None or entry[0] == layer)
        return sorted(found)

    def visible_paths(self, *, layer: int | None = None,
                      status: str | None = None) -> set[str] | None:
        """The paths a filtered tree shows: matches and their ancestors (None: no filter).

        A removed path is not in the rootfs, but its directories are, so that a tree
        filtered to ``removed`` leads to where things were taken away.
        """
        if layer is None and status is None:
            return None
        shown = {"/"}
        for path in self.paths(layer=layer, status=status):
            while path not in shown:
                shown.add(path)
                path = path.rsplit("/", 1)[0] or "/"
        return shown

    def mark_of(self, path: str) -> str:
        """A short label for a tree row: the 1-based layer and + (added) or ~ (changed)."""
        key = self._key(path)
        entry = self._paths.get(key)
        if entry is None:
            return ""
        return f"L{int(entry[0]) + 1}{'+' if entry[1] == 'a' else '~'}"

    @property
    def wasted_bytes(self) -> int:
        return sum(layer.wasted for layer in self.layers)


def provenance_path(bundle: Path) -> Path:
    return Path(bundle) / PROVENANCE_FILE


def load_provenance(bundle_path: Path | str) -> Provenance | None:
    """The bundle's provenance, or None when it has none (or an unreadable one)."""
    try:
        data = read_json_file(str(provenance_path(Path(bundle_path))))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION:
        return None
    try:
        return Provenance(data)
    except (TypeError, ValueError, KeyError):
        return None


def dump_provenance(image: dict[str, Any], layers: list[LayerInfo], paths: dict[str, list],
                    removed: dict[str, list[int]], owners: dict[str, list[int]]) -> bytes:
    document = {"version": VERSION, "image": image, "layers": [asdict(x) for x in layers],
                "paths": paths, "removed": removed, "owners": owners}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
