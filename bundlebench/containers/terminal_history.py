"""The terminal pane's scrollback: the lines that scrolled off the emulated screen.

bittty keeps rows that scroll off in a store when a Terminal with a scrollback is
plugged into its board. Parsing every byte of a flood that way runs at ~2 MB/s, so
``TerminalScreen`` drops the head of a large read (see ``skip_scrolled``); here that
head becomes history directly (``History.take_plain``): plain ASCII lines and colour
changes are turned into scrollback lines with the styles the board would have given
them, and the board's style state moves on as if it had parsed them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bittty import Board
from bittty.style import Style as TtyStyle
from bittty.style import parse_sgr_with_reset
from bittty.terminals.base import Terminal
from bittty.terminals.scrollback import MemoryScrollback, ScrollbackLine

SCROLLBACK_LINES = 10_000
# A store's budget is cells; this many lines of up to 255 columns fit.
SCROLLBACK_CELLS = SCROLLBACK_LINES * 256
_PRINTABLE = bytes(range(0x20, 0x7f))
_CRS = re.compile(rb"\r+\n")
_SGR_BYTES = re.compile(rb"\x1b\[[0-9;]*m")
_SGR = re.compile(r"\x1b\[[0-9;]*m")
_PIECE = re.compile(r"\x1b\[[0-9;]*m|\r\n|[^\x1b\r]+")
_DEFAULT = TtyStyle()


@dataclass(frozen=True)
class Match:
    """Where a search found its text: a scrollback line, or a row of the screen."""

    line: int | None  # scrollback line number, None on the screen
    row: int  # the screen row when ``line`` is None


class History(Terminal):
    """A bittty Terminal that only keeps history: the pane draws the rows itself."""

    def __init__(self, board: Board, lines: int = SCROLLBACK_LINES) -> None:
        super().__init__(board, MemoryScrollback(max(lines, 1) * 256))
        self.line_budget = lines
        self._sgr_cache: dict[tuple[TtyStyle, str], TtyStyle] = {}
        self.attach()

    @property
    def lines(self) -> int:
        """Lines held now."""
        store = self.scrollback
        return store.end - store.first

    def active(self) -> bool:
        """Whether rows scrolling off now go into history (primary screen, no margins)."""
        # bittty's own test; private, but it is the rule the board applies itself.
        return self.board.blitter._scrolls_into_history()

    def plain_ready(self) -> bool:
        """Whether the board is in a state where plain text is just text: autowrap on,
        insert mode off, ASCII charsets."""
        board = self.board
        charset = board.charset
        return (self.active() and board.modes.auto_wrap and not board.modes.insert_mode
                and charset.single_shift is None
                and charset.charset_array[charset.current_charset] == "B")

    def take_plain(self, head: bytes) -> None:
        """Turn ``head``, for which ``is_plain`` holds, into history as if it had scrolled
        off. The board must hold no rows to keep (``push_screen`` first)."""
        style_device = self.board.style
        style = style_device.current
        append = self.scrollback.append
        text = head.decode("ascii")
        keep_from = _nth_line_from_end(text, self.line_budget)
        if keep_from:
            # Lines older than the budget would be forgotten at once: only their colours count.
            for sgr in _SGR.findall(text, 0, keep_from):
                style = self._after(style, sgr)
        parts: list[str] = []
        styles: list[TtyStyle] = []
        for piece in _PIECE.findall(text, keep_from):
            if piece == "\r\n":
                append(_trimmed("".join(parts), styles))
                parts, styles = [], []
            elif piece[0] == "\x1b":
                style = self._after(style, piece)
            else:
                parts.append(piece)
                styles.extend((style,) * len(piece))
        style_device.current = style

    def _after(self, style: TtyStyle, sgr: str) -> TtyStyle:
        """The style after an SGR sequence, as the board's style device computes it."""
        key = (style, sgr)
        found = self._sgr_cache.get(key)
        if found is None:
            device = self.board.style
            saved, device.current = device.current, style
            device.apply_sgr(*parse_sgr_with_reset(sgr))
            found, device.current = device.current, saved
            if len(self._sgr_cache) > 4096:
                self._sgr_cache.clear()
            self._sgr_cache[key] = found
        return found

    def push_screen(self, rows: int) -> None:
        """Move the first ``rows`` rows of the screen into history and blank the screen,
        the cursor home (the caller's next bytes repaint it)."""
        board = self.board
        page = board.blitter.current_page
        self.on_rows_scrolled_off(tuple(page.line(y) for y in range(rows)))
        style_device = board.style
        current = style_device.current
        style_device.current = _DEFAULT  # blank in the default colours, as a scroll would
        board.feed_host_data(b"\x1b[H\x1b[2J")
        style_device.current = current

    def find(self, needle: str, before: Match | None = None) -> Match | None:
        """The newest line holding ``needle`` (case-insensitive) above ``before``."""
        needle = needle.lower()
        board = self.board
        store = self.scrollback
        page = board.blitter.current_page
        start_row = board.height - 1 if before is None or before.line is not None \
            else before.row - 1
        if before is None or before.line is None:
            for y in range(start_row, -1, -1):
                if needle in "".join(c[1] for c in page.line(y).cells).lower():
                    return Match(None, y)
        last = store.end - 1 if before is None or before.line is None else before.line - 1
        for number in range(last, store.first - 1, -1):
            if needle in store.line(number).text.lower():
                return Match(number, 0)
        return None

    def show(self, match: Match) -> None:
        """Scroll the view so the match is on screen (a history line at the top)."""
        if match.line is None:
            self.scroll_to_bottom()
        else:
            self.view_top, self._seen_page = (match.line, 0), None


def line_ends(head: bytes) -> bytes:
    """``head`` with CR CR LF as CR LF: a pty turns a file's CR LF into CR CR LF, and a
    second carriage return, at column 0 already, changes nothing."""
    return _CRS.sub(b"\r\n", head) if b"\r\r" in head else head


def is_plain(head: bytes) -> bool:
    """Whether ``head`` is whole lines (each ended by CR LF) of ASCII text and SGR."""
    # Counting in C: a regex with lookarounds over a flood costs more than the rest.
    if not head.endswith(b"\r\n") or head.translate(None, _PRINTABLE + b"\r\n\x1b"):
        return False
    pairs = head.count(b"\r\n")
    if head.count(b"\r") != pairs or head.count(b"\n") != pairs:
        return False
    escapes = head.count(b"\x1b")
    return not escapes or len(_SGR_BYTES.findall(head)) == escapes


def _nth_line_from_end(text: str, lines: int) -> int:
    """Where the last ``lines`` lines of ``text`` start (0: it has no more)."""
    end = len(text) - 2
    for _ in range(lines):
        end = text.rfind("\r\n", 0, end)
        if end < 0:
            return 0
    return end + 2


def _trimmed(text: str, styles: list[TtyStyle]) -> ScrollbackLine:
    """A line's end without trailing blanks in the default style, as the board keeps it."""
    cut = len(text)
    while cut and text[cut - 1] == " " and styles[cut - 1] == _DEFAULT:
        cut -= 1
    return ScrollbackLine(text[:cut], tuple(styles[:cut]))
