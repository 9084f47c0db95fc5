"""The raw JSON view: config.json as text, highlighted, with parse errors located."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Static, TextArea

from bundlebench.tui.widgets.safe_lines import SafeTextArea

# One JSON token per match; a string followed by ':' is an object key.
_TOKEN = re.compile(
    r'(?P<string>"(?:[^"\\]|\\.)*"?)(?P<colon>\s*:)?'
    r"|(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"
    r"|(?P<literal>\btrue\b|\bfalse\b)"
    r"|(?P<null>\bnull\b)"
    r"|(?P<bracket>[\[\]{}])"
)
_NAMES = {"number": "number", "literal": "boolean", "null": "json.null",
          "bracket": "punctuation.bracket"}


def json_highlights(line: str) -> list[tuple[int, int, str]]:
    """(start byte, end byte, highlight name) for the JSON tokens of one line."""
    found = []
    ascii_line = line.isascii()
    for match in _TOKEN.finditer(line):
        if match.group("string") is not None:
            name = "json.label" if match.group("colon") else "string"
            start, end = match.span("string")
        else:
            name = _NAMES[match.lastgroup or "number"]
            start, end = match.span()
        if not ascii_line:
            start, end = len(line[:start].encode()), len(line[:end].encode())
        found.append((start, end, name))
    return found


class JsonTextArea(SafeTextArea):
    """A TextArea that highlights JSON without needing tree-sitter, and never passes a
    control or bidi character of the file to the terminal."""

    def _build_highlight_map(self) -> None:
        self._line_cache.clear()
        highlights = self._highlights
        highlights.clear()
        for row, line in enumerate(self.document.lines):
            highlights[row].extend(json_highlights(line))


class RawJsonView(Vertical):
    """The whole config as JSON text, kept in sync with the fields both ways."""

    class Parsed(Message):
        """The text is valid JSON holding an object."""

        def __init__(self, data: dict[str, Any]) -> None:
            super().__init__()
            self.data = data

    class Invalid(Message):
        """The text is not a JSON object; ``where`` says at which line and column."""

        def __init__(self, message: str, line: int, column: int) -> None:
            super().__init__()
            self.message = message
            self.line = line
            self.column = column

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.error: RawJsonView.Invalid | None = None
        self._loading = False
        self.never_parsed = False  # opened from a file that did not parse: no fields yet

    def compose(self) -> ComposeResult:
        yield Static(id="raw-status")
        yield JsonTextArea(id="raw-text", show_line_numbers=True, tab_behavior="indent",
                           soft_wrap=False)

    @property
    def text_area(self) -> JsonTextArea:
        return self.query_one("#raw-text", JsonTextArea)

    @property
    def text(self) -> str:
        return self.text_area.text

    def load(self, text: str) -> None:
        """Show ``text`` (the document as saved), keeping the cursor where it was."""
        area = self.text_area
        if area.text == text:
            return
        cursor = area.cursor_location
        self._loading = True
        area.indent_type = "tabs" if "\n\t" in text else "spaces"  # indent as the file does
        area.load_text(text)
        row = min(cursor[0], area.document.line_count - 1)
        area.cursor_location = (row, min(cursor[1], len(area.document.get_line(row))))
        self.error = None
        self.never_parsed = False
        self._status()

    def show_broken(self, text: str, message: str, line: int, column: int) -> None:
        """Show a file that does not parse, the cursor where it stops."""
        area = self.text_area
        self._loading = area.text != text  # load_text posts Changed only for new text
        area.indent_type = "tabs" if "\n\t" in text else "spaces"
        area.load_text(text)
        row = min(max(line - 1, 0), area.document.line_count - 1)
        area.cursor_location = (row, min(max(column - 1, 0), len(area.document.get_line(row))))
        area.scroll_cursor_visible(center=True, animate=False)
        self.never_parsed = True
        self.error = self.Invalid(message, line, column)
        self._status()

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if self._loading:
            self._loading = False
            return
        from runtime.config import MAX_CONFIG_BYTES
        from runtime.jsonread import JSONInputError, read_json

        try:
            data = read_json(event.text_area.text, "the text", max_bytes=MAX_CONFIG_BYTES)
        except JSONInputError as error:
            self.error = self.Invalid(error.detail, error.line or 1, error.column or 1)
        else:
            if isinstance(data, dict):
                self.error = None
                self.never_parsed = False
                self._status()
                self.post_message(self.Parsed(data))
                return
            self.error = self.Invalid(f"the config must be a JSON object, not "
                                      f"{type(data).__name__}", 1, 1)
        self._status()
        self.post_message(self.error)

    def _status(self) -> None:
        status = self.query_one("#raw-status", Static)
        self.set_class(self.error is not None, "-invalid")
        if self.error is None:
            status.update(Text("✔ valid JSON · edits apply to the fields as you type",
                               style="green"))
            return
        error = self.error
        after = ("The fields wait until it parses; ctrl+s saves it then." if self.never_parsed
                 else "Your text is kept; the fields show the last valid config.")
        status.update(Text.assemble(
            ("✖ Invalid JSON ", "bold red"),
            f"at line {error.line}, column {error.column}: {error.message}. ",
            (after, "dim"),
        ))
