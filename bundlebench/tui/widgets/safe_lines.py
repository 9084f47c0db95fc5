"""Editors that show untrusted text: the characters stay in the value, the screen gets
one marked stand-in cell for each control or bidi character (an editor's cursor counts
cells, so an escape several cells wide would put it in the wrong place)."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widgets import Input, TextArea

from bundlebench.untrusted import ESCAPE_STYLE, has_unsafe, is_unsafe

STAND_IN = "\ufffd"


def safe_strip(strip: Strip) -> Strip:
    """The strip with every unsafe character replaced by a marked stand-in."""
    if not any(has_unsafe(segment.text) for segment in strip):
        return strip
    mark = Style.parse(ESCAPE_STYLE)
    shown: list[Segment] = []
    for segment in strip:
        if not has_unsafe(segment.text):
            shown.append(segment)
            continue
        for run, unsafe in _runs(segment.text):
            if not unsafe:
                shown.append(Segment(run, segment.style))
                continue
            style = segment.style + mark if segment.style else mark
            shown.append(Segment(STAND_IN * len(run), style))
    return Strip(shown).crop(0, strip.cell_length)  # a stand-in may widen the line


def _runs(text: str) -> list[tuple[str, bool]]:
    runs: list[tuple[str, bool]] = []
    for char in text:
        unsafe = is_unsafe(char)
        if runs and runs[-1][1] == unsafe:
            runs[-1] = (runs[-1][0] + char, unsafe)
        else:
            runs.append((char, unsafe))
    return runs


class SafeInput(Input):
    """An Input for a value that may hold untrusted text."""

    def render_line(self, y: int) -> Strip:
        return safe_strip(super().render_line(y))


class SafeTextArea(TextArea):
    """A TextArea for a document that may hold untrusted text."""

    def render_line(self, y: int) -> Strip:
        return safe_strip(super().render_line(y))
