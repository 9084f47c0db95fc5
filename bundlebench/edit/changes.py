"""Primitive document changes (RFC 6902 add, remove, replace) that return their inverse."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Literal

from bundlebench.edit.pointer import (
    PointerError,
    array_index,
    child,
    get,
    parent,
    resolve_parent,
)

Op = Literal["add", "remove", "replace"]


@dataclass(frozen=True)
class Change:
    """One primitive change.

    ``position`` places a new object key among the others (None: last), so that undoing
    a removal puts the key back where it was and the file keeps its key order.
    """

    op: Op
    path: str
    value: Any = None
    position: int | None = None


def apply_change(document: dict[str, Any], change: Change) -> list[Change]:
    """Apply ``change`` to ``document`` in place; return the changes that undo it.

    Values are copied on the way in, so the history never shares objects with the
    document. The document is untouched when a PointerError is raised.
    """
    if change.op == "replace":
        return _replace(document, change.path, change.value)
    if change.op == "add":
        return _add(document, change.path, change.value, change.position)
    if change.op == "remove":
        return _remove(document, change.path)
    raise PointerError(f"unknown change {change.op!r}")


def _replace(document: dict[str, Any], path: str, value: Any) -> list[Change]:
    if path == "":
        if not isinstance(value, dict):
            raise PointerError("the whole config must be a JSON object")
        old = dict(document)
        document.clear()
        document.update(copy.deepcopy(value))
        return [Change("replace", "", old)]
    container, token = resolve_parent(document, path)
    if isinstance(container, dict):
        if token not in container:
            raise PointerError(f"{parent(path) or 'the document'} has no field {token!r}")
        old = container[token]
        container[token] = copy.deepcopy(value)
        return [Change("replace", path, old)]
    if isinstance(container, list):
        index = array_index(token, len(container))
        old = container[index]
        container[index] = copy.deepcopy(value)
        return [Change("replace", path, old)]
    raise PointerError(f"{parent(path) or 'the document'} is not an object or an array")


def _add(document: dict[str, Any], path: str, value: Any, position: int | None) -> list[Change]:
    if path == "":
        return _replace(document, path, value)
    container, token = resolve_parent(document, path)
    if isinstance(container, dict):
        if token in container:
            return _replace(document, path, value)
        _insert_key(container, token, copy.deepcopy(value), position)
        return [Change("remove", path)]
    if isinstance(container, list):
        index = array_index(token, len(container), allow_end=True)
        container.insert(index, copy.deepcopy(value))
        return [Change("remove", child(parent(path), index))]
    raise PointerError(f"{parent(path) or 'the document'} is not an object or an array")


def _remove(document: dict[str, Any], path: str) -> list[Change]:
    if path == "":
        raise PointerError("the whole config cannot be removed")
    container, token = resolve_parent(document, path)
    if isinstance(container, dict):
        if token not in container:
            raise PointerError(f"{parent(path) or 'the document'} has no field {token!r}")
        position = list(container).index(token)
        old = container.pop(token)
        return [Change("add", path, old, position)]
    if isinstance(container, list):
        index = array_index(token, len(container))
        old = container.pop(index)
        return [Change("add", path, old)]
    raise PointerError(f"{parent(path) or 'the document'} is not an object or an array")


def _insert_key(container: dict[str, Any], key: str, value: Any, position: int | None) -> None:
    if position is None or position >= len(container):
        container[key] = value
        return
    items = list(container.items())
    items.insert(position, (key, value))
    # Rebuilt in place: other holders of this dict (the document) see the new order.
    container.clear()
    container.update(items)


def move_changes(document: dict[str, Any], source: str, target: str) -> list[Change]:
    """The primitive changes of an RFC 6902 move from ``source`` to ``target``."""
    if target.startswith(source + "/"):
        raise PointerError(f"cannot move {source} into its own child {target}")
    value = get(document, source)
    return [Change("remove", source), Change("add", target, value)]
