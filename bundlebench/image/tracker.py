"""Builds the provenance index while layers are applied (see provenance.py)."""

from __future__ import annotations

from typing import Any

from bundlebench.image.model import ImageRecord
from bundlebench.image.provenance import LayerInfo, dump_provenance

_NOP = "/bin/sh -c #(nop) "


class _Node:
    __slots__ = ("layer", "status", "kind", "size", "attrs")

    def __init__(self, layer: int, status: str, kind: str, size: int,
                 attrs: tuple[int, int, int]) -> None:
        self.layer, self.status, self.kind, self.size, self.attrs = (
            layer, status, kind, size, attrs)


class ProvenanceBuilder:
    """The state of every path so far, as layers add, change and remove them.

    Paths are relative (no leading slash) and canonical: a member written through a
    symlinked directory is recorded where it really landed.
    """

    def __init__(self, layer_count: int, *, record_owners: bool) -> None:
        self.nodes: dict[str, _Node] = {}
        self.children: dict[str, set[str]] = {}
        self.symlinks: set[str] = set()
        self.removed: dict[str, list[int]] = {}
        self.owners: dict[str, list[int]] = {}
        self.record_owners = record_owners
        self.files = [0] * layer_count
        self.unpacked = [0] * layer_count
        self.wasted = [0] * layer_count
        self.removed_count = [0] * layer_count

    def kind(self, rel: str) -> str | None:
        node = self.nodes.get(rel)
        return node.kind if node else None

    def has_symlink_ancestor(self, rel: str) -> bool:
        if not self.symlinks:
            return False
        parent = rel.rpartition("/")[0]
        while parent:
            if parent in self.symlinks:
                return True
            parent = parent.rpartition("/")[0]
        return False

    def _link(self, rel: str) -> None:
        self.children.setdefault(rel.rpartition("/")[0], set()).add(rel)

    def ensure_parents(self, rel: str, layer: int) -> None:
        """Directories created implicitly (no entry of their own) belong to ``layer``."""
        parent = rel.rpartition("/")[0]
        missing = []
        while parent and parent not in self.nodes:
            missing.append(parent)
            parent = parent.rpartition("/")[0]
        for path in reversed(missing):
            self.removed.pop(path, None)
            self.nodes[path] = _Node(layer, "a", "dir", 0, (0o755, 0, 0))
            self._link(path)

    def record(self, rel: str, layer: int, kind: str, size: int, mode: int, uid: int,
               gid: int) -> None:
        """A member of ``layer`` was placed at ``rel``."""
        self.ensure_parents(rel, layer)
        attrs = (mode, uid, gid)
        old = self.nodes.get(rel)
        status = "a"
        if old is not None:
            if kind == "dir" and old.kind == "dir":
                if old.attrs == attrs:
                    return  # the same directory listed again: not a change
                old.status = old.status if old.layer == layer else "c"
                old.layer, old.attrs = layer, attrs
                self._note_owner(rel, kind, mode, uid, gid)
                return
            status = old.status if old.layer == layer else "c"
            self._hide(rel, old, layer, keep_self=True)
        else:
            self.removed.pop(rel, None)
        self.nodes[rel] = _Node(layer, status, kind, size, attrs)
        self._link(rel)
        if kind == "symlink":
            self.symlinks.add(rel)
        if kind == "file":
            self.files[layer] += 1
            self.unpacked[layer] += size
        self._note_owner(rel, kind, mode, uid, gid)

    def _note_owner(self, rel: str, kind: str, mode: int, uid: int, gid: int) -> None:
        if not self.record_owners:
            return
        if uid or gid or mode & 0o7000 or kind == "device":
            self.owners[rel] = [uid, gid, mode]
        else:
            self.owners.pop(rel, None)

    def _hide(self, rel: str, old: _Node, layer: int, *, keep_self: bool) -> None:
        """``old`` at ``rel`` is replaced (keep_self) or removed by ``layer``."""
        if old.kind == "dir":
            for child in list(self.children.get(rel, ())):
                node = self.nodes.get(child)
                if node is not None:
                    self._hide(child, node, layer, keep_self=False)
            self.children.pop(rel, None)
        if old.kind == "file" and old.layer != layer:
            self.wasted[old.layer] += old.size
        self.symlinks.discard(rel)
        self.owners.pop(rel, None)
        if not keep_self:
            del self.nodes[rel]
            self.children.get(rel.rpartition("/")[0], set()).discard(rel)
            if old.layer != layer:
                self.removed[rel] = [layer, old.layer, old.size if old.kind == "file" else 0]
                self.removed_count[layer] += 1

    def remove(self, rel: str, layer: int) -> None:
        """A whiteout of ``layer`` removed ``rel`` (and everything under it)."""
        old = self.nodes.get(rel)
        if old is not None:
            self._hide(rel, old, layer, keep_self=False)

    def dump(self, record: ImageRecord, image_info: dict[str, Any]) -> bytes:
        commands = layer_history(record.config, len(record.layers))
        layers = [
            LayerInfo(
                index=i, digest=layer.digest, diff_id=layer.diff_id,
                media_type=layer.media_type, size=layer.size or 0,
                unpacked=self.unpacked[i], files=self.files[i], wasted=self.wasted[i],
                removed=self.removed_count[i], command=commands[i][0], created=commands[i][1],
            )
            for i, layer in enumerate(record.layers)
        ]
        paths = {"/" + rel: [node.layer, node.status] for rel, node in self.nodes.items()}
        removed = {"/" + rel: entry for rel, entry in self.removed.items()}
        owners = {"/" + rel: entry for rel, entry in self.owners.items()}
        return dump_provenance(image_info, layers, paths, removed, owners)


def layer_history(config: dict[str, Any], count: int) -> list[tuple[str | None, str | None]]:
    """(command, created) per layer from the config's history, skipping empty_layer entries.

    When the history does not line up with the layers, commands are left out rather
    than attached to the wrong layer.
    """
    history = config.get("history")
    entries = [h for h in history if isinstance(h, dict) and not h.get("empty_layer")] \
        if isinstance(history, list) else []
    if len(entries) != count:
        return [(None, None)] * count
    result = []
    for entry in entries:
        command = entry.get("created_by")
        if isinstance(command, str):
            command = command.removeprefix(_NOP).strip()
        created = entry.get("created")
        result.append((command if isinstance(command, str) else None,
                       created if isinstance(created, str) else None))
    return result
