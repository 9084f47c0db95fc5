"""A problem found in a config: where (JSON Pointer), how bad, what, and what to do."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding of the validator.

    ``pointer`` is an RFC 6901 JSON Pointer to the field ("" is the whole document),
    ``severity`` is "error" (the spec says MUST, or the runtime would fail) or
    "warning" (the spec says SHOULD, or the setting does nothing), ``message`` is one
    sentence naming the field, ``hint`` says what to do about it.
    """

    pointer: str
    severity: Severity
    message: str
    hint: str

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def to_dict(self) -> dict[str, str]:
        """The problem as a JSON-ready dict (the `validate --format json` item)."""
        return {
            "pointer": self.pointer,
            "severity": self.severity,
            "message": self.message,
            "hint": self.hint,
        }


def as_sentence(text: str) -> str:
    """A message of the runtime's (no full stop, as runc's) in the validator's form."""
    return text if text.endswith((".", "?", "!")) else text + "."


def escape_token(token: str | int) -> str:
    """Escape one reference token: '~' becomes '~0' and '/' becomes '~1'."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """Undo escape_token."""
    return token.replace("~1", "/").replace("~0", "~")


def pointer(*tokens: str | int) -> str:
    """Build a JSON Pointer from path tokens: pointer("linux", "sysctl", "net.a/b")."""
    return "".join("/" + escape_token(token) for token in tokens)


def split_pointer(text: str) -> list[str]:
    """The unescaped tokens of a JSON Pointer ("" gives [])."""
    if not text:
        return []
    return [unescape_token(token) for token in text[1:].split("/")]


def error(ptr: str, message: str, hint: str) -> Problem:
    """An error Problem (a MUST of the spec, or something the runtime refuses)."""
    return Problem(ptr, "error", message, hint)


def warning(ptr: str, message: str, hint: str) -> Problem:
    """A warning Problem (a SHOULD of the spec, or a setting without effect)."""
    return Problem(ptr, "warning", message, hint)
