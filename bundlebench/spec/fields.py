"""Look up what a config.json field means, by JSON Pointer.

This is the API the TUI editor and `bundlebench explain` use. Pointers may be
concrete ("/linux/namespaces/2/type", "/annotations/org.example~1x") or patterns
with "*" ("/process/rlimits/*/hard"); both map to the same documentation.
"""

from __future__ import annotations

import difflib
from typing import Any

from bundlebench.spec.docs import DOCS, FieldDoc
from bundlebench.spec.schema import child_nodes, escape, resolve

__all__ = ["FieldDoc", "children", "field_doc", "field_schema", "known_pointers", "pattern_of",
           "suggest"]


def pattern_of(pointer: str) -> str | None:
    """Return the documented pattern a pointer falls under, or None if it is unknown."""
    found = resolve(_normalize(pointer))
    return found[0] if found else None


def field_doc(pointer: str) -> FieldDoc | None:
    """Return the documentation of the field at ``pointer``, or None if unknown."""
    pattern = pattern_of(pointer)
    return DOCS.get(pattern) if pattern is not None else None


def field_schema(pointer: str) -> dict[str, Any] | None:
    """Return our schema for the field at ``pointer``, or None if unknown."""
    found = resolve(_normalize(pointer))
    return found[1] if found else None


def children(pointer: str) -> list[str]:
    """Return the pointers of the fields directly below ``pointer``.

    Object fields give one pointer per property; arrays and maps give one pointer
    ending in "*". The given pointer is kept as is, so concrete indices stay.
    """
    pointer = _normalize(pointer)
    found = resolve(pointer)
    if found is None:
        return []
    prefix = pointer.rstrip("/") if pointer != "/" else ""
    return [f"{prefix}/{escape(token) if token != '*' else '*'}"
            for token, _ in child_nodes(found[1])]


def known_pointers() -> list[str]:
    """Every documented pattern, in schema order."""
    return list(DOCS)


def suggest(pointer: str, limit: int = 3) -> list[str]:
    """Return the documented patterns that look most like ``pointer``."""
    text = _normalize(pointer)
    candidates = known_pointers()
    close = difflib.get_close_matches(text, candidates, n=limit, cutoff=0.5)
    if close:
        return close
    # Fall back to the fields below the longest known prefix.
    tokens = text.split("/")
    while len(tokens) > 1:
        tokens.pop()
        prefix = "/".join(tokens)
        if resolve(prefix) is not None:
            return children(prefix)[:limit] or [prefix or "/"]
    return []


def _normalize(pointer: str) -> str:
    pointer = pointer.strip()
    if pointer in ("", "/"):
        return ""
    if not pointer.startswith("/"):
        # Accept "process.user.uid" and "process/user/uid" as a convenience.
        pointer = "/" + (pointer.replace(".", "/") if "/" not in pointer else pointer)
    return pointer.rstrip("/") if len(pointer) > 1 else pointer
