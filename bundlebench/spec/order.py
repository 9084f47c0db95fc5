"""Sorting problems into the order of the fields they point at in the document."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bundlebench.spec.problems import Problem, split_pointer


def document_position(document: Any, ptr: str, cache: dict[int, dict[str, int]]) -> tuple:
    """A sort key placing ``ptr`` where its field sits in ``document``.

    A key that the document lacks sorts after its siblings; a parent sorts before its
    children. ``cache`` keeps each object's key positions for one sorting pass.
    """
    key: list[int] = []
    node = document
    for token in split_pointer(ptr):
        if isinstance(node, dict):
            positions = cache.get(id(node))
            if positions is None:
                positions = {k: i for i, k in enumerate(node)}
                cache[id(node)] = positions
            index = positions.get(token)
            if index is None:
                key.append(len(positions))
                break
            key.append(index)
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            key.append(int(token))
            node = node[int(token)]
        else:
            key.append(1 << 30)
            break
    return tuple(key)


def in_document_order(problems: Iterable[Problem], document: Any) -> list[Problem]:
    """The problems sorted by document position; ties keep their given order."""
    cache: dict[int, dict[str, int]] = {}
    return sorted(problems, key=lambda p: document_position(document, p.pointer, cache))
