"""What kind of value a field holds, per our schema: editors, defaults, parsing."""

from __future__ import annotations

from typing import Any, Literal

from bundlebench.errors import BundlebenchError
from bundlebench.spec.schema_text import json_type

Kind = Literal["string", "integer", "number", "boolean", "enum", "array", "object", "json"]


class BadValue(BundlebenchError):
    """Text typed for a field cannot become a value of its type."""


def schema_type(schema: dict[str, Any] | None) -> str | None:
    """The JSON type a schema node asks for (the first one when it lists several)."""
    if not schema:
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    return kind if isinstance(kind, str) else None


def field_kind(schema: dict[str, Any] | None, value: Any) -> Kind:
    """The editor a field needs: its schema type when the value has it, else raw JSON."""
    actual = json_type(value)
    wanted = schema_type(schema) or actual
    if schema and "enum" in schema and actual == "string":
        return "enum"
    if wanted == actual or (wanted == "number" and actual == "integer"):
        return actual if actual != "null" else "json"  # type: ignore[return-value]
    return "json"


def bounds(schema: dict[str, Any] | None) -> tuple[int | float | None, int | float | None]:
    """The (minimum, maximum) a number field allows; None where unbounded."""
    if not schema:
        return None, None
    return schema.get("minimum"), schema.get("maximum")


def parse_number(text: str, schema: dict[str, Any] | None) -> int | float:
    """The number typed in a field; BadValue with a sentence when it is not one.

    Out-of-range numbers are returned: the validator reports them at the field.
    """
    text = text.strip()
    integer = schema_type(schema) == "integer"
    try:
        return int(text) if integer else _number(text)
    except ValueError:
        what = "a whole number" if integer else "a number"
        raise BadValue(f"{text!r} is not {what}") from None


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def parse_json_value(text: str) -> Any:
    """A JSON literal typed in a field; BadValue naming line and column."""
    from runtime.jsonread import JSONInputError, read_json

    try:
        return read_json(text, "the value")
    except JSONInputError as error:
        where = f" at line {error.line}, column {error.column}" if error.line else ""
        raise BadValue(f"not JSON: {error.detail}{where}") from None


def default_value(schema: dict[str, Any] | None, siblings: list[Any] | None = None) -> Any:
    """A value to start a new field or element with: the least that is well-formed.

    An enum takes its first value not already among ``siblings``; an object gets its
    required fields.
    """
    schema = schema or {}
    if "enum" in schema:
        taken = set(v for v in siblings or [] if isinstance(v, str))
        free = [v for v in schema["enum"] if v not in taken]
        return (free or schema["enum"])[0]
    kind = schema_type(schema)
    if kind == "string":
        return ""
    if kind in ("integer", "number"):
        low, high = bounds(schema)
        value = 0
        if low is not None and value < low:
            value = low
        if high is not None and value > high:
            value = high
        return value
    if kind == "boolean":
        return False
    if kind == "array":
        return []
    if kind == "object":
        properties = schema.get("properties", {})
        return {
            name: default_value(properties[name])
            for name in schema.get("required", [])
            if name in properties
        }
    return ""


def summary(value: Any, width: int = 40) -> str:
    """A one-line preview of a value for trees and lists."""
    if isinstance(value, dict):
        return "{" + f"{len(value)} field" + ("s" if len(value) != 1 else "") + "}"
    if isinstance(value, list):
        return "[" + f"{len(value)} item" + ("s" if len(value) != 1 else "") + "]"
    from bundlebench.untrusted import json_text  # the config may come from an image

    text = json_text(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def element_hint(value: Any) -> str:
    """A name for an array element that says what it is (a mount's destination, …)."""
    if isinstance(value, dict):
        for key in ("destination", "type", "path", "names", "domain"):
            hint = value.get(key)
            if isinstance(hint, str) and hint:
                return hint
            if isinstance(hint, list) and hint and isinstance(hint[0], str):
                return hint[0] + ("…" if len(hint) > 1 else "")
    return ""
