"""A headless terminal screen for the app's terminal pane, on the bittty emulator.

Parsing happens here, off the event loop. ``TerminalScreen.feed`` takes the container's
output; ``rows()`` renders the visible grid as rich segments. A flood of plain
scrolling output is cut short before parsing (``skip_scrolled``): only the lines that
can still be on screen are parsed, so the pane keeps up however fast a program writes.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import lru_cache

from bittty import XTERM, Board
from bittty import constants as keys
from bittty.style import Color as TtyColor
from bittty.style import Style as TtyStyle
from rich.cells import cell_len
from rich.color import Color
from rich.segment import Segment
from rich.style import Style

from bundlebench.containers.terminal_history import (
    SCROLLBACK_LINES,
    History,
    Match,
    is_plain,
    line_ends,
)
from bundlebench.untrusted import is_unsafe

# In a dropped prefix only text, CR/LF/TAB/BS/BEL and SGR colour changes are allowed:
# anything else (cursor moves, modes, charsets, OSC, C1) could change the final screen.
_NOT_PLAIN = re.compile(rb"[\x00-\x06\x0b-\x0c\x0e-\x1a\x1c-\x1f\x7f]|\xc2[\x80-\x9f]"
                        rb"|\x1b(?!\[[0-9;:]*m)")
_SGR = re.compile(rb"\x1b\[[0-9;:]*m")
# An escape sequence cut off at the end of a read: CSI without its final byte, a string
# (OSC, DCS...) without its terminator, or a lone ESC. It is held for the next read, so
# that every parse ends in the parser's ground state and skipping stays exact.
_UNFINISHED = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*|[\]PX^_][^\x07\x1b]*\x1b?|[ -/]*)\Z")
CARRY_LIMIT = 4096
UNSAFE_CELL = "\ufffd"  # what a cell holding a control or bidi character shows


def scroll_cut(data: bytes, rows: int) -> int:
    """Where the head of ``data`` that scrolls off a ``rows``-line screen ends (0: none).

    The head is plain text and colour changes, cut right after a CR LF with more than
    ``rows`` line feeds after it.
    """
    if len(data) < 8192:
        return 0
    end = len(data)
    for _ in range(rows + 2):
        end = data.rfind(b"\n", 0, end)
        if end <= 0:
            return 0
    cut = end + 1
    if _NOT_PLAIN.search(memoryview(data)[:cut]) or data[cut - 2:cut] != b"\r\n":
        return 0
    return cut


def skip_scrolled(data: bytes, rows: int) -> bytes:
    """Drop the head of ``data`` that scrolls off a ``rows``-line screen anyway.

    Its colour changes are kept, so the final screen is the same as when every byte is
    parsed (with no history to keep: the alternate screen, a scroll region).
    """
    cut = scroll_cut(data, rows)
    if not cut:
        return data
    head = memoryview(data)[:cut]
    colours = b"".join(_SGR.findall(head))
    reset = colours.rfind(b"\x1b[0m")
    if reset < 0:
        reset = colours.rfind(b"\x1b[m")
    return colours[max(reset, 0):] + data[cut:]


class _Cable:
    """bittty's host connection: what the emulator sends (keys, replies) goes to ``send``."""

    closed = False

    def __init__(self, send: Callable[[bytes], None], resize: Callable[[int, int], None]
                 ) -> None:
        self._send = send
        self._resize = resize

    def write(self, data: str) -> int:
        self._send(data.encode("utf-8", "replace"))
        return len(data)

    def write_bytes(self, data: bytes) -> int:
        self._send(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def configure_line(self, line: object) -> None:
        pass

    def resize(self, rows: int, cols: int) -> None:
        self._resize(rows, cols)

    def close(self) -> None:
        self.closed = True


@lru_cache(maxsize=1024)
def _colour(colour: TtyColor | None) -> Color | None:
    if colour is None or colour.mode == "default":
        return None
    if colour.mode == "indexed":
        return Color.from_ansi(int(colour.value))  # type: ignore[arg-type]
    red, green, blue = colour.value  # type: ignore[misc]
    return Color.from_rgb(red, green, blue)


@lru_cache(maxsize=4096)
def rich_style(style: TtyStyle, cursor: bool = False) -> Style:
    """The rich style of a bittty cell style (cached: a screen uses few styles)."""
    reverse = bool(style.reverse) != cursor
    return Style(color=_colour(style.fg), bgcolor=_colour(style.bg), bold=style.bold or None,
                 dim=style.dim or None, italic=style.italic or None,
                 underline=style.underline or None, blink=style.blink or None,
                 reverse=reverse or None, strike=style.strike or None,
                 conceal=style.conceal or None)


# Textual key names that are not a plain character, as bittty names them.
NAMED_KEYS = {
    "up": "up", "down": "down", "left": "left", "right": "right", "home": "home",
    "end": "end", "pageup": "pageup", "pagedown": "pagedown", "insert": "insert",
    "delete": "delete", "escape": "escape",
}
_CHARS = {"enter": "\r", "tab": "\t", "backspace": "\x7f", "space": " "}
_MODIFIERS = {("shift",): keys.KEY_MOD_SHIFT, ("alt",): keys.KEY_MOD_ALT,
              ("ctrl",): keys.KEY_MOD_CTRL, ("ctrl", "shift"): keys.KEY_MOD_SHIFT_CTRL,
              ("alt", "shift"): keys.KEY_MOD_SHIFT_ALT, ("alt", "ctrl"): keys.KEY_MOD_ALT_CTRL}


def split_key(key: str) -> tuple[str, int]:
    """'ctrl+shift+up' -> ('up', KEY_MOD_SHIFT_CTRL)."""
    parts = key.split("+")
    name, mods = parts[-1], tuple(sorted(parts[:-1]))
    return name, _MODIFIERS.get(mods, keys.KEY_MOD_NONE)


class TerminalScreen:
    """An emulated terminal: feed it output, send it keys, read its rows."""

    def __init__(self, cols: int = 80, rows: int = 24,
                 send: Callable[[bytes], None] | None = None,
                 resize: Callable[[int, int], None] | None = None,
                 scrollback: int = SCROLLBACK_LINES) -> None:
        self.board = Board(width=cols, height=rows, model=XTERM)
        self.history = History(self.board, scrollback)
        self.lock = threading.RLock()
        self.board.host.attach(_Cable(send or (lambda _data: None),
                                      resize or (lambda _rows, _cols: None)))
        self.parsed = 0  # bytes given to the parser, after skipping
        self.received = 0
        self._carry = b""
        self._ground = True  # the last parse ended outside any escape sequence
        self._match: Match | None = None

    @property
    def size(self) -> tuple[int, int]:
        return self.board.width, self.board.height

    def feed(self, data: bytes) -> None:
        """Parse the container's output (call from one thread at a time)."""
        self.received += len(data)
        data = self._carry + data
        self._carry = b""
        unfinished = _UNFINISHED.search(data, max(0, len(data) - CARRY_LIMIT))
        if unfinished is not None and unfinished.start() > 0:
            self._carry = data[unfinished.start():]
            data = data[:unfinished.start()]
        ground = self._ground
        self._ground = unfinished is None or unfinished.start() > 0
        with self.lock:
            if ground and self.history.plain_ready():
                data = self._into_history(data)
            elif ground:
                data = skip_scrolled(data, self.board.height)
            self.parsed += len(data)
            self.board.feed_host_data(data)

    def _into_history(self, data: bytes) -> bytes:
        """Parse the first line, put the plain head that scrolls off straight into the
        history, and return the rest to parse (under the lock)."""
        cut = scroll_cut(data, self.board.height)
        first = data.find(b"\r\n") + 2
        head = line_ends(data[first:cut]) if cut and first < cut else b""
        if not head or not is_plain(head):
            return data
        self.parsed += first
        self.board.feed_host_data(data[:first])  # it ends the line the cursor is on
        cursor = self.board.cursor
        if cursor.x != 0 or not self.history.plain_ready():
            return data[first:]
        self.history.push_screen(cursor.y)
        self.history.take_plain(head)
        return data[cut:]

    def resize(self, cols: int, rows: int) -> None:
        with self.lock:
            if (cols, rows) != self.size and cols > 0 and rows > 0:
                self.board.resize(cols, rows)

    def key(self, key: str, character: str | None) -> bool:
        """Send a Textual key as a terminal would; False when it means nothing here."""
        name, modifier = split_key(key)
        board = self.board
        if name in NAMED_KEYS:
            board.input_key(NAMED_KEYS[name], modifier)
        elif name.startswith("f") and name[1:].isdigit():
            board.input_fkey(int(name[1:]), modifier)
        elif name in _CHARS and modifier == keys.KEY_MOD_NONE:
            board.input(_CHARS[name])
        elif modifier == keys.KEY_MOD_ALT and len(name) == 1:
            board.input("\x1b" + name)  # meta sends escape, as most terminals do
        elif key == "shift+tab":
            board.input_key("\t", keys.KEY_MOD_SHIFT)
        elif modifier != keys.KEY_MOD_NONE and len(name) == 1:
            board.input_key(name, modifier)
        elif character:
            board.input(character)
        else:
            return False
        return True

    def text(self) -> str:
        """The screen as plain text, trailing blanks trimmed (for tests)."""
        with self.lock:
            return self.board.capture_text()

    # -- scrollback --------------------------------------------------------------------
    @property
    def scrolled(self) -> int:
        """How many rows the view sits above the live screen (0: live)."""
        with self.lock:
            return self.history.view_offset()

    def scroll(self, rows: int) -> None:
        """Move the view ``rows`` down (negative: back into the scrollback)."""
        with self.lock:
            self.history.scroll_view(rows)

    def page(self, pages: int) -> None:
        """Move the view by whole screens, a row of overlap kept."""
        self.scroll(pages * max(1, self.board.height - 1))

    def to_live(self) -> None:
        """Show the live screen again."""
        with self.lock:
            self.history.scroll_to_bottom()

    def search(self, needle: str, again: bool = False) -> bool:
        """Scroll to the newest line holding ``needle`` (``again``: the next older one);
        False when there is none."""
        with self.lock:
            found = self.history.find(needle, self._match if again else None)
            if found is None:
                return False
            self._match = found
            self.history.show(found)
            return True

    def rows(self) -> list[list[Segment]]:
        """Every visible row as rich segments, the cursor drawn in reverse video."""
        with self.lock:
            board = self.board
            if self.history.view_offset():
                return [self._row(list(cells), board.width, -1)
                        for cells in self.history.view_rows()]
            page = board.blitter.main_page
            width = board.width
            cursor_y = board.cursor.y if board.modes.cursor_visible else -1
            cursor_x = board.cursor.x
            return [self._row(page.grid[y] if y < page.height else [], width,
                              cursor_x if y == cursor_y else -1)
                    for y in range(board.height)]

    @staticmethod
    def _row(cells: list, width: int, cursor_x: int) -> list[Segment]:
        segments: list[Segment] = []
        text: list[str] = []
        current: TtyStyle | None = None
        current_cursor = False
        for x in range(min(len(cells), width)):
            style, char = cells[x]
            if not char:  # the right half of a wide character
                continue
            if is_unsafe(char):
                # The emulator keeps format characters (bidi overrides) in cells; passed on,
                # they would reorder the outer terminal's line. One cell, one stand-in.
                char = UNSAFE_CELL
            at_cursor = x == cursor_x
            if style is not current or at_cursor != current_cursor:
                if text and current is not None:
                    segments.append(Segment("".join(text), rich_style(current, current_cursor)))
                text = []
                current, current_cursor = style, at_cursor
            text.append(char)
        if text and current is not None:
            segments.append(Segment("".join(text), rich_style(current, current_cursor)))
        used = sum(cell_len(s.text) for s in segments)
        if used < width:
            segments.append(Segment(" " * (width - used)))
        return segments
