"""Untrusted text, shown and never obeyed.

A rootfs's file names and contents, its passwd, an image's metadata and a container's
output outside the terminal pane come from whoever made them. Written raw, an ESC starts
a terminal command (set the title, clear the screen, recolour), a newline forges a line,
and a bidi override reverses what follows. Every widget and every command prints such
text through this module: each control becomes a visible escape (``\\x1b``, ``\\n``,
``\\u202e``; a byte that is not UTF-8, kept by ``os.fsdecode`` as a lone surrogate, shows
as ``\\xff``), drawn in a distinct style on screen, and long text is cut with an ellipsis.

Plain functions here import nothing: the commands use them too. The Rich forms import
rich on first use.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.segment import Segment
    from rich.style import Style
    from rich.text import Text

ESCAPE_STYLE = "bold reverse"  # how an escape stands out from the text around it
ELLIPSIS = "…"

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Bidi embeddings, overrides and isolates, the implicit marks, and the separators some
# terminals treat as line breaks.
_FORMAT = frozenset("\u061c\u200e\u200f\u2028\u2029\u202a\u202b\u202c\u202d\u202e"
                    "\u2066\u2067\u2068\u2069")


def is_unsafe(char: str) -> bool:
    """Whether one character must not reach a terminal as it is."""
    code = ord(char)
    return (code < 0x20 or 0x7F <= code <= 0x9F or 0xD800 <= code <= 0xDFFF
            or char in _FORMAT)


def escape_char(char: str) -> str:
    """The visible escape of one unsafe character."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if 0xDC80 <= code <= 0xDCFF:  # os.fsdecode's stand-in for a byte that is not UTF-8
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def pieces(text: str) -> Iterator[tuple[str, bool]]:
    """The text as runs of (safe text, False) and (one escape, True)."""
    start = 0
    for index, char in enumerate(text):
        if is_unsafe(char):
            if index > start:
                yield text[start:index], False
            yield escape_char(char), True
            start = index + 1
    if start < len(text):
        yield text[start:], False


def _cut(runs: list[tuple[str, bool]], limit: int | None) -> list[tuple[str, bool]]:
    """Keep the head and tail of the runs within ``limit`` characters, an ellipsis between
    (the tail keeps a file's extension in view). Escapes are never split."""
    total = sum(len(run) for run, _ in runs)
    if limit is None or total <= limit:
        return runs
    if limit <= 1:
        return [(ELLIPSIS, False)]
    head_room = (limit - 1) * 2 // 3
    tail_room = limit - 1 - head_room
    head = _take(runs, head_room)
    tail = [(run[::-1], escaped) for run, escaped in
            _take([(run[::-1], escaped) for run, escaped in reversed(runs)], tail_room)]
    return [*head, (ELLIPSIS, False), *reversed(tail)]


def _take(runs: list[tuple[str, bool]], room: int) -> list[tuple[str, bool]]:
    taken: list[tuple[str, bool]] = []
    for run, escaped in runs:
        if room <= 0:
            break
        if len(run) <= room:
            taken.append((run, escaped))
            room -= len(run)
        elif not escaped:
            taken.append((run[:room], False))
            room = 0
        else:
            break  # an escape is shown whole or not at all
    return taken


def visible(text: object, limit: int | None = None) -> str:
    """Plain text safe to print: controls as escapes, cut to ``limit`` characters."""
    return "".join(run for run, _ in _cut(list(pieces(str(text))), limit))


def has_unsafe(text: str) -> bool:
    """Whether ``visible`` would change the text (before any cut)."""
    return any(is_unsafe(char) for char in text)


def styled(text: object, limit: int | None = None, style: str = "") -> Text:
    """A Rich Text of the untrusted text: escapes in ESCAPE_STYLE, never parsed as markup."""
    from rich.text import Text

    result = Text(style=style, no_wrap=False)
    for run, escaped in _cut(list(pieces(str(text))), limit):
        result.append(run, ESCAPE_STYLE if escaped else None)
    return result


def markup(text: object, limit: int | None = None) -> str:
    """The untrusted text as Rich markup (for notifications and other markup strings):
    square brackets escaped, escapes styled."""
    from rich.markup import escape

    return "".join(f"[{ESCAPE_STYLE}]{escape(run)}[/]" if escaped else escape(run)
                   for run, escaped in _cut(list(pieces(str(text))), limit))


def segments(text: object, style: Style | None = None, limit: int | None = None
             ) -> list[Segment]:
    """Rich Segments of the untrusted text, for widgets that render lines themselves:
    escapes get ESCAPE_STYLE on top of ``style``."""
    from rich.segment import Segment
    from rich.style import Style

    escape_style = Style.parse(ESCAPE_STYLE)
    if style is not None:
        escape_style = style + escape_style
    return [Segment(run, escape_style if escaped else style)
            for run, escaped in _cut(list(pieces(str(text))), limit)]


def content(text: str) -> tuple[str, list[tuple[int, int]]]:
    """A file's text made safe to show as lines: tabs expanded, line breaks kept, every
    other control as its escape. Returns the text and the (start, end) offsets of the
    escapes in it, for a highlighter to style them on top of its colours."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    offset = 0
    for number, line in enumerate(text.split("\n")):
        if number:
            out.append("\n")
            offset += 1
        line = line.removesuffix("\r").expandtabs()
        for run, escaped in pieces(line):
            if escaped:
                spans.append((offset, offset + len(run)))
            out.append(run)
            offset += len(run)
    return "".join(out), spans


def content_text(text: str) -> Text:
    """A Rich Text of a file's text (see ``content``), escapes styled."""
    from rich.text import Text

    safe, spans = content(text)
    result = Text(safe)
    for start, end in spans:
        result.stylize(ESCAPE_STYLE, start, end)
    return result


def json_text(value: object) -> str:
    """JSON of a value for a person to read and edit: non-ASCII letters as they are, but
    every character ``is_unsafe`` rejects as a ``\\uXXXX`` escape (still valid JSON, and
    it parses back to the same value)."""
    import json

    text = json.dumps(value, ensure_ascii=False)
    if not has_unsafe(text):
        return text
    return "".join(f"\\u{ord(char):04x}" if is_unsafe(char) else char for char in text)
