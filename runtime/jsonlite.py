"""JSON without importing the json package (and with it `re`) on the container start path.

The C scanner and string encoder in `_json` do the work; the rare error path falls back
to the json package for its message.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


try:
    from _json import encode_basestring_ascii as _quote
    from _json import make_scanner as _make_scanner
except ImportError:  # pragma: no cover - CPython always has _json
    _make_scanner = None
    _quote = None


class _Context:
    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    memo: dict[str, str] = {}

    @staticmethod
    def parse_constant(name: str) -> float:
        return {"-Infinity": float("-inf"), "Infinity": float("inf"), "NaN": float("nan")}[name]


_WS = " \t\n\r"
_scan = _make_scanner(_Context()) if _make_scanner is not None else None


TOO_DEEP = "nests arrays or objects too deeply (hundreds of levels)"


def loads(text: str) -> Any:
    """Parse a JSON document; raises ValueError (json.JSONDecodeError) when it is invalid,
    or ValueError(TOO_DEEP) when it nests deeper than the parser's recursion allows."""
    try:
        return _loads(text)
    except RecursionError:
        raise ValueError(TOO_DEEP) from None


def _loads(text: str) -> Any:
    if _scan is None:  # pragma: no cover
        import json
        return json.loads(text)
    start = 0
    while start < len(text) and text[start] in _WS:
        start += 1
    try:
        value, end = _scan(text, start)
    except (StopIteration, SystemError):  # SystemError: _json wants json.decoder loaded
        end = -1
    if end >= 0:
        while end < len(text) and text[end] in _WS:
            end += 1
        if end == len(text):
            return value
    import json
    return json.loads(text)  # raises with json's own message


def dumps(value: Any, indent: int | None = None) -> str:
    """JSON for the types the runtime writes (dict, list, str, int, float, bool, None):
    compact, or laid out as json.dumps(value, indent=N) lays it out."""
    if indent is None:
        return _compact(value)
    return _indented(value, " " * indent, "\n")


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ",".join(f"{_quote(str(k))}:{_compact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_compact(v) for v in value) + "]"
    return _scalar(value)


def _indented(value: Any, step: str, newline: str) -> str:
    inner = newline + step
    if isinstance(value, dict) and value:
        items = (f"{_quote(str(k))}: {_indented(v, step, inner)}" for k, v in value.items())
        return "{" + inner + ("," + inner).join(items) + newline + "}"
    if isinstance(value, list | tuple) and value:
        items = (_indented(v, step, inner) for v in value)
        return "[" + inner + ("," + inner).join(items) + newline + "]"
    return _compact(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[repr(value)]
        return float.__repr__(value)
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def quote(value: str) -> str:
    """A JSON string literal."""
    return _quote(value) if _quote else _fallback(value)


def _fallback(value: str) -> str:  # pragma: no cover
    import json
    return json.dumps(value)
