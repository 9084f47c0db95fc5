"""Describe a schema node in words: its type, allowed values and limits."""

from __future__ import annotations

from typing import Any

_LONGEST_PATTERN = 80
_BOUND_NAMES = {
    (0, 2**16 - 1): "uint16",
    (0, 2**32 - 1): "uint32",
    (0, 2**64 - 1): "uint64",
    (-(2**31), 2**31 - 1): "int32",
    (-(2**63), 2**63 - 1): "int64",
}


def json_type(value: Any) -> str:
    """The JSON type name of a Python value: boolean, integer, number, string, ..."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def type_summary(node: dict[str, Any]) -> str:
    """A short type name such as "string", "array of string" or "map of string"."""
    kind = node.get("type", "any")
    if kind == "array":
        return f"array of {type_summary(node.get('items', {}))}"
    if kind == "object" and isinstance(node.get("additionalProperties"), dict):
        return f"map of {type_summary(node['additionalProperties'])}"
    if kind == "integer":
        bounds = (node.get("minimum"), node.get("maximum"))
        named = _BOUND_NAMES.get(bounds)  # type: ignore[arg-type]
        return f"integer ({named})" if named else "integer"
    return str(kind)


def allowed_values(node: dict[str, Any]) -> list[Any]:
    """The enumerated values of a field, or of its elements for an array."""
    if "enum" in node:
        return list(node["enum"])
    if node.get("type") == "array":
        return allowed_values(node.get("items", {}))
    return []


def constraints(node: dict[str, Any]) -> list[str]:
    """Human-readable limits: ranges, patterns, required members, lengths."""
    if node.get("type") == "array":
        inner = [f"each element: {text}" for text in constraints(node.get("items", {}))]
        if "minItems" in node:
            inner.insert(0, f"at least {node['minItems']} element(s)")
        return inner
    lines: list[str] = []
    low, high = node.get("minimum"), node.get("maximum")
    if low is not None and high is not None and (low, high) not in _BOUND_NAMES:
        lines.append(f"from {low} to {high}")
    elif low is not None and high is None:
        lines.append(f"at least {low}")
    if "minLength" in node:
        lines.append(f"at least {node['minLength']} character(s)")
    if "maxLength" in node:
        lines.append(f"at most {node['maxLength']} characters")
    if "pattern" in node:
        pattern = node["pattern"]
        lines.append(f"matches {pattern}" if len(pattern) <= _LONGEST_PATTERN
                     else "has the form described below")
    if node.get("required"):
        lines.append("requires " + ", ".join(node["required"]))
    for name, needs in node.get("dependentRequired", {}).items():
        lines.append(f"{name} needs {', '.join(needs)}")
    names = node.get("propertyNames", {})
    if "pattern" in names:
        lines.append(f"keys match {names['pattern']}")
    return lines
