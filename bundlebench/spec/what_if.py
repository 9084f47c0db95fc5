"""What a process inside the container notices with a field and without it.

The one lookup the config screen's field panel and `bundlebench explain` share. The
words live in bundlebench.spec.docs.what_ifs; a field's FieldDoc carries its general
what-if, and where the value decides (a namespace's type, a capability, a mount's kind)
the value picks a more precise one.
"""

from __future__ import annotations

import re
from typing import Any

from bundlebench.spec.docs import DOCS
from bundlebench.spec.docs.model import WhatIf
from bundlebench.spec.docs.what_ifs import CAPABILITIES, MOUNT_KINDS, NAMESPACES
from bundlebench.spec.fields import pattern_of

__all__ = ["LABELS", "WhatIf", "by_value", "rows", "what_if"]

LABELS = ("With it", "Without it", "See it")

_CAPABILITY = re.compile(r"/process/capabilities/[a-z]+/\*")


def what_if(pointer: str, value: Any = None) -> WhatIf | None:
    """The what-if of the field at ``pointer`` holding ``value``, or None.

    ``value`` is what config.json holds at ``pointer`` (None when unknown): for
    /linux/namespaces/N it is the entry ({"type": "pid"}), for .../N/type the type.
    A value with no entry of its own falls back to the field's general what-if.
    """
    pattern = pattern_of(pointer)
    if pattern is None:
        return None
    table = by_value(pattern)
    key = _key(pattern, value)
    if key is not None and key in table:
        return table[key]
    doc = DOCS.get(pattern)
    return doc.what_if if doc is not None else None


def by_value(pointer: str) -> dict[str, WhatIf]:
    """The per-value what-ifs of a field (empty when its value does not matter)."""
    pattern = pattern_of(pointer) or pointer
    if pattern in ("/linux/namespaces/*", "/linux/namespaces/*/type"):
        return NAMESPACES
    if _CAPABILITY.fullmatch(pattern):
        return CAPABILITIES
    if pattern in ("/mounts/*", "/mounts/*/type"):
        return MOUNT_KINDS
    return {}


def rows(found: WhatIf) -> list[tuple[str, str]]:
    """(label, text) pairs in the order both views show them."""
    return list(zip(LABELS, (found.with_it, found.without_it, found.see), strict=True))


def _key(pattern: str, value: Any) -> str | None:
    if pattern == "/linux/namespaces/*" and isinstance(value, dict):
        value = value.get("type")
    elif pattern == "/mounts/*" and isinstance(value, dict):
        return _mount_kind(value)
    return value if isinstance(value, str) else None


def _mount_kind(mount: dict[str, Any]) -> str | None:
    options = mount.get("options")
    options = [o for o in options if isinstance(o, str)] if isinstance(options, list) else []
    if mount.get("type") == "bind" or {"bind", "rbind"} & set(options):
        return "bind-ro" if "ro" in options else "bind"
    kind = mount.get("type")
    return kind if isinstance(kind, str) else None
