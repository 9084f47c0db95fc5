"""The lines of a log, drawn one screen row at a time: at most MAX_LINES kept (the oldest
go first, and are counted), search matches highlighted, the current one apart."""

from __future__ import annotations

from collections import deque
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from bundlebench.tui.widgets.log_text import log_line

MAX_LINES = 10_000


class LogLines(ScrollView, can_focus=True):
    """Safe log lines (``log_text.log_line``), the last unfinished one shown too."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"log-lines--match", "log-lines--current"}

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.lines: deque[Text] = deque(maxlen=MAX_LINES)
        self.partial: Text | None = None  # output after the last line break
        self.dropped = 0  # lines gone from the top to keep MAX_LINES
        self.query_text = ""
        self.current: tuple[int, int] | None = None  # (line, column) of the shown match
        self._width = 0

    # -- content ------------------------------------------------------------------------
    def clear(self) -> None:
        self.lines.clear()
        self.partial = None
        self.dropped = 0
        self.current = None
        self._width = 0
        self._resize()
        self.scroll_to(0, 0, animate=False)

    def add(self, complete: list[str], partial: str | None, *, follow: bool) -> None:
        """Append complete lines and replace the unfinished one; at the end with ``follow``."""
        overflow = max(0, len(self.lines) + len(complete) - MAX_LINES)
        for raw in complete:
            text = log_line(raw)
            self.lines.append(text)
            self._width = max(self._width, text.cell_len)
        self.partial = log_line(partial) if partial else None
        if self.partial is not None:
            self._width = max(self._width, self.partial.cell_len)
        self.dropped += overflow
        if self.current is not None:
            line = self.current[0] - overflow
            self.current = (line, self.current[1]) if line >= 0 else None
        self._resize()
        if follow:
            self.scroll_end(animate=False, immediate=True, x_axis=False)
        elif overflow:
            self.scroll_to(y=max(0, self.scroll_y - overflow), animate=False, immediate=True)

    def shown(self) -> list[Text]:
        """Every line held, the unfinished one last."""
        return [*self.lines, *([self.partial] if self.partial is not None else [])]

    def plain(self) -> str:
        """The lines as shown (escapes as text), for saving."""
        lines = [text.plain for text in self.lines]
        if self.partial is not None:
            lines.append(self.partial.plain)
        return "".join(line + "\n" for line in lines)

    def _resize(self) -> None:
        self.virtual_size = Size(self._width, len(self.lines) + (self.partial is not None))
        self.refresh()

    # -- search -------------------------------------------------------------------------
    def find(self, text: str, *, forward: bool = True, again: bool = False) -> bool:
        """Show the first match of ``text`` (case-insensitive) from the current one (or
        the top of the view); ``again``: the one after (or before) it. Wraps around;
        False when there is none."""
        self.query_text = text
        needle = text.lower()
        shown = [line.plain.lower() for line in self.shown()]
        self.current, found = None, self.current
        if not needle or not shown:
            self.refresh()
            return False
        line, column = found if found is not None else (min(self._top_line(), len(shown) - 1),
                                                      0 if forward else 1 << 30)
        if again and found is not None:
            column += 1 if forward else -1
        for step in range(len(shown) + 1):
            index = (line + (step if forward else -step)) % len(shown)
            haystack = shown[index]
            if forward:
                at = haystack.find(needle, column if step == 0 else 0)
            elif step == 0:
                at = haystack.rfind(needle, 0, max(0, column + len(needle)))
            else:
                at = haystack.rfind(needle)
            if at >= 0:
                self.current = (index, at)
                self._reveal(index, at, len(needle))
                return True
        self.refresh()
        return False

    def match_count(self) -> int:
        needle = self.query_text.lower()
        return sum(line.plain.lower().count(needle) for line in self.shown()) if needle else 0

    def _top_line(self) -> int:
        return int(self.scroll_y)

    def _reveal(self, line: int, column: int, length: int) -> None:
        height = self.scrollable_content_region.height or 1
        width = self.scrollable_content_region.width or 1
        y = self.scroll_y if self.scroll_y <= line < self.scroll_y + height else line - height // 2
        x = self.scroll_x if self.scroll_x <= column and column + length <= self.scroll_x + width \
            else max(0, column - width // 2)
        self.scroll_to(x, max(0, y), animate=False, immediate=True)
        self.refresh()

    # -- drawing ------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.size.width
        base = self.rich_style
        shown = self.lines[index] if index < len(self.lines) else (
            self.partial if index == len(self.lines) else None)
        if shown is None:
            return Strip.blank(width, base)
        text = self._marked(shown, index)
        strip = Strip(list(text.render(self.app.console)), text.cell_len)
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_style(base) \
            .apply_offsets(scroll_x, index)

    def _marked(self, text: Text, index: int) -> Text:
        """``text`` with the matches of the search highlighted."""
        needle = self.query_text.lower()
        if not needle:
            return text
        plain = text.plain.lower()
        if needle not in plain:
            return text
        marked = text.copy()
        match: Style = self.get_component_rich_style("log-lines--match")
        current: Style = self.get_component_rich_style("log-lines--current")
        start = plain.find(needle)
        while start >= 0:
            mine = self.current == (index, start)
            marked.stylize(current if mine else match, start, start + len(needle))
            start = plain.find(needle, start + len(needle))
        return marked
