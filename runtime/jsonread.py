"""The one reader of JSON documents, for the runtime and the workbench alike: config.json,
`exec -p` process files, state.json, the shim's and the workbench's records.

Every document is bounded before any code looks at it: at most ``max_bytes`` long, UTF-8,
valid JSON, and nested at most ``MAX_DEPTH`` levels. Each way to fail is one sentence
naming the document and, for the depth, the JSON pointer where it goes too deep, so no
caller meets a RecursionError or prints the parser's internals.
"""

from __future__ import annotations

import os
import stat

from runtime.jsonlite import loads

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

MAX_DEPTH = 64  # no OCI document nests past a dozen levels
MAX_BYTES = 16 << 20
_POINTER_TOKENS = 6  # of a too-deep pointer: enough to find the place, short enough to read
_TOKEN_CHARS = 40


class JSONInputError(ValueError):
    """A document that cannot be read; ``str()`` is one sentence for the user."""

    def __init__(self, sentence: str, *, reason: str, detail: str, line: int | None = None,
                 column: int | None = None, pointer: str | None = None) -> None:
        super().__init__(sentence)
        self.reason = reason  # the sentence without the document's name and advice
        self.detail = detail  # a few words for beside the text: "Expecting value"
        self.line = line
        self.column = column
        self.pointer = pointer


def read_json(data: bytes | str, what: str, *, max_bytes: int = MAX_BYTES,
              max_depth: int = MAX_DEPTH) -> Any:
    """The value of the JSON document ``data`` (``what`` names it in errors, e.g. a path).

    Raises JSONInputError when it is too large, not UTF-8, not JSON, or too deep."""
    size = len(data)
    if size > max_bytes:
        _fail(what, f"is {_size(size)}, larger than the {_size(max_bytes)} it may be",
              "cut it down")
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line, column = line_column(data[:error.start])
            _fail(what, f"is not UTF-8 text (bad byte at line {line}, column {column})",
                  "save it as UTF-8", detail="a byte is not UTF-8", line=line, column=column)
    else:
        text = data
    try:
        value = loads(text)
    except RecursionError:  # jsonlite turns it into ValueError; json itself may not
        value = _TOO_DEEP
    except ValueError as error:
        if getattr(error, "lineno", None) is None:  # jsonlite's "too deeply"
            value = _TOO_DEEP
        else:
            reason = f"{error.msg} at line {error.lineno}, column {error.colno}"  # type: ignore[attr-defined]
            _fail(what, f"is not valid JSON: {reason}", "fix it in an editor",
                  detail=error.msg, line=error.lineno,  # type: ignore[attr-defined]
                  column=error.colno)  # type: ignore[attr-defined]
    tokens = (pointer_in_text(text, max_depth) if value is _TOO_DEEP
              else too_deep(value, max_depth))
    if tokens is not None:
        pointer = shown_pointer(tokens)
        _fail(what, f"nests deeper than {max_depth} levels at {pointer}",
              "no document needs that many; flatten it", pointer=pointer)
    return value


def read_json_file(path: str, what: str | None = None, *, max_bytes: int = MAX_BYTES,
                   max_depth: int = MAX_DEPTH) -> Any:
    """read_json of a regular file, opened without blocking (a fifo must not hang us).

    OSError stays OSError (callers name the file their own way); a file that is not a
    regular one raises JSONInputError."""
    what = what or path
    return read_json(read_regular(path, max_bytes, what), what, max_bytes=max_bytes,
                     max_depth=max_depth)


def read_regular(path: str, max_bytes: int, what: str | None = None) -> bytes:
    """At most ``max_bytes`` + 1 bytes of a regular file, opened without blocking: a fifo
    or a device is refused (JSONInputError), never read. OSError stays OSError."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            _fail(what or path, "is not a regular file", "replace it with one")
        chunks = []
        left = max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


class _TooDeep:
    pass


_TOO_DEEP = _TooDeep()


def _fail(what: str, reason: str, advice: str, detail: str | None = None,
          **where: Any) -> None:
    raise JSONInputError(f"{what} {reason}: {advice}", reason=reason,
                         detail=detail or f"it {reason}", **where)


def too_deep(value: Any, max_depth: int = MAX_DEPTH) -> list[Any] | None:
    """The path (keys and indexes) to the first array or object, in document order,
    nested deeper than ``max_depth`` levels, or None; iterative, so any depth is safe."""
    if not isinstance(value, dict | list):
        return None
    stack: list[tuple[Any, list[Any]]] = [(value, [])]
    while stack:
        node, path = stack.pop()
        if len(path) >= max_depth:
            return path
        items = list(node.items() if isinstance(node, dict) else enumerate(node))
        for key, item in reversed(items):  # popped first to last
            if isinstance(item, dict | list):
                stack.append((item, [*path, key]))
    return None


def pointer_in_text(text: str, max_depth: int = MAX_DEPTH) -> list[Any] | None:
    """too_deep for a document the parser could not descend: found by scanning the text
    (strings, brackets and commas), in one pass."""
    from _json import scanstring

    path: list[Any] = []
    kinds: list[str] = []  # "{" or "[" for each open level
    expect_key = False
    index, end = 0, len(text)
    while index < end:
        char = text[index]
        if char == '"':
            try:
                string, index = scanstring(text, index + 1, True)
            except ValueError:
                return None
            if kinds and kinds[-1] == "{" and expect_key:
                path[-1] = string
                expect_key = False
            continue
        if char in "[{":
            if len(kinds) >= max_depth:
                return path
            kinds.append(char)
            path.append(0 if char == "[" else "")
            expect_key = char == "{"
        elif char in "]}":
            if kinds:
                kinds.pop()
                path.pop()
        elif char == "," and kinds:
            if kinds[-1] == "[":
                path[-1] += 1
            else:
                expect_key = True
        index += 1
    return None


def shown_pointer(tokens: list[Any]) -> str:
    """A JSON pointer to show: its first few tokens, each cut short, then "/…"."""
    from runtime.shape import json_pointer

    shown = [token if isinstance(token, int) or len(token) <= _TOKEN_CHARS
             else token[:_TOKEN_CHARS] + "…" for token in tokens[:_POINTER_TOKENS]]
    return json_pointer(shown) + ("/…" if len(tokens) > _POINTER_TOKENS else "")


def line_column(head: bytes) -> tuple[int, int]:
    """1-based line and column just after ``head`` (columns count characters)."""
    line = head.count(b"\n") + 1
    last = head.rfind(b"\n")
    column = len(head[last + 1:].decode("utf-8", "replace")) + 1
    return line, column


def _size(count: int) -> str:
    if count >= 1 << 20:
        return f"{count / (1 << 20):.1f} MiB"
    if count >= 1 << 10:
        return f"{count / (1 << 10):.1f} KiB"
    return f"{count} bytes"
