"""RFC 6901 JSON Pointers over a parsed JSON document."""

from __future__ import annotations

from typing import Any

from bundlebench.errors import BundlebenchError
from bundlebench.spec.problems import escape_token, pointer, split_pointer

__all__ = [
    "PointerError", "array_index", "child", "exists", "get", "nearest_existing", "parent",
    "parse", "pointer", "resolve_parent", "typed_tokens",
]


class PointerError(BundlebenchError):
    """A JSON Pointer is malformed or does not lead to a value."""


def parse(text: str) -> list[str]:
    """The unescaped reference tokens of ``text``; raise PointerError when malformed."""
    if text and not text.startswith("/"):
        raise PointerError(f"{text!r} is not a JSON Pointer: it must be empty or start with '/'")
    if any(not part.startswith(("0", "1")) for part in text.split("~")[1:]):
        raise PointerError(f"{text!r} has a '~' not followed by 0 or 1 (write '~0' for '~')")
    return split_pointer(text)


def parent(text: str) -> str:
    """The pointer of the container holding ``text`` ("" for a top-level field)."""
    return text[: text.rfind("/")] if text else ""


def child(text: str, token: str | int) -> str:
    """The pointer of ``token`` inside ``text``."""
    return f"{text}/{escape_token(token)}"


def array_index(token: str, length: int, *, allow_end: bool = False) -> int:
    """The array index a token names; '-' (one past the end) only when ``allow_end``."""
    if token == "-" and allow_end:
        return length
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise PointerError(f"{token!r} is not an array index")
    index = int(token)
    if index > length or (index == length and not allow_end):
        raise PointerError(f"index {index} is past the end of an array of {length}")
    return index


def step(container: Any, token: str, where: str) -> Any:
    """The value below ``container`` at one token."""
    if isinstance(container, dict):
        if token not in container:
            raise PointerError(f"{where or 'the document'} has no field {token!r}")
        return container[token]
    if isinstance(container, list):
        return container[array_index(token, len(container))]
    raise PointerError(f"{where or 'the document'} is a value, not an object or an array")


def get(document: Any, text: str) -> Any:
    """The value ``text`` points at; raise PointerError when there is none."""
    value = document
    where = ""
    for token in parse(text):
        value = step(value, token, where)
        where = child(where, token)
    return value


def exists(document: Any, text: str) -> bool:
    """True when ``text`` points at a value in ``document``."""
    try:
        get(document, text)
    except PointerError:
        return False
    return True


def resolve_parent(document: Any, text: str) -> tuple[Any, str]:
    """The container holding ``text`` and the last token; PointerError for the root."""
    tokens = parse(text)
    if not tokens:
        raise PointerError("the whole document has no parent")
    return get(document, parent(text)), tokens[-1]


def typed_tokens(document: Any, text: str) -> list[str | int]:
    """The tokens of ``text``, with array indices as ints (for labels like args[0])."""
    tokens: list[str | int] = []
    value = document
    for token in parse(text):
        is_index = isinstance(value, list) and token.isdigit()
        tokens.append(int(token) if is_index else token)
        try:
            value = step(value, token, "")
        except PointerError:
            value = None
    return tokens


def nearest_existing(document: Any, text: str) -> str:
    """``text`` itself when it exists, else its closest existing ancestor."""
    while text and not exists(document, text):
        text = parent(text)
    return text
