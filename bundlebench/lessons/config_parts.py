"""Reading and changing the parts of a config the lessons are about, whatever its shape.

A student's config may be half edited: every reader here takes wrong types as absent,
and every writer works on a copy.
"""

from __future__ import annotations

import copy
from typing import Any

Config = dict[str, Any]


def section(config: Config, *keys: str) -> dict[str, Any]:
    """The object at ``keys`` (an empty dict when any level is missing or not an object)."""
    node: Any = config
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def namespaces(config: Config) -> list[dict[str, Any]]:
    """linux.namespaces' entries that are objects."""
    listed = section(config, "linux").get("namespaces")
    return [ns for ns in listed if isinstance(ns, dict)] if isinstance(listed, list) else []


def namespace(config: Config, kind: str) -> dict[str, Any] | None:
    """The entry of namespace ``kind``, or None."""
    return next((ns for ns in namespaces(config) if ns.get("type") == kind), None)


def without_namespace(config: Config, *kinds: str) -> Config:
    """A copy without the namespaces of ``kinds``."""
    result = copy.deepcopy(config)
    listed = section(result, "linux").get("namespaces")
    if isinstance(listed, list):
        listed[:] = [ns for ns in listed if not (isinstance(ns, dict) and ns.get("type") in kinds)]
    return result


def with_namespace(config: Config, kind: str) -> Config:
    """A copy with a new namespace of ``kind`` (kept if there is one)."""
    result = copy.deepcopy(config)
    linux = result.setdefault("linux", {})
    listed = linux.setdefault("namespaces", [])
    if not any(isinstance(ns, dict) and ns.get("type") == kind for ns in listed):
        listed.append({"type": kind})
    return result


def without_keys(config: Config, keys: tuple[str, ...], *names: str) -> Config:
    """A copy without ``names`` in the object at ``keys``."""
    result = copy.deepcopy(config)
    holder = section(result, *keys)
    for name in names:
        holder.pop(name, None)
    return result


def capability_set(config: Config, name: str) -> list[str]:
    """process.capabilities.<name>'s strings."""
    listed = section(config, "process", "capabilities").get(name)
    return [c for c in listed if isinstance(c, str)] if isinstance(listed, list) else []


def change_capability(config: Config, capability: str, sets: tuple[str, ...],
                      present: bool) -> Config:
    """A copy with ``capability`` added to (or removed from) each of ``sets``."""
    result = copy.deepcopy(config)
    process = result.setdefault("process", {})
    capabilities = process.setdefault("capabilities", {})
    for name in sets:
        listed = [c for c in capabilities.get(name) or [] if c != capability]
        if present:
            listed.append(capability)
        if listed or name in capabilities:
            capabilities[name] = listed
    return result


def mounts(config: Config) -> list[dict[str, Any]]:
    """The mounts that are objects."""
    listed = config.get("mounts")
    return [m for m in listed if isinstance(m, dict)] if isinstance(listed, list) else []
