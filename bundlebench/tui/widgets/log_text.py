"""One line of a container's output as safe Rich Text, the way a log viewer shows it.

Colour and weight codes (SGR: ``ESC [ ... m``) become styles, as in lazydocker or k9s;
every other control (a title change, a cursor move, a bell, a bidi override) is shown
as its visible escape (``bundlebench.untrusted``), never obeyed. Blink and conceal are
dropped: the output must not hide or flash what it wrote.
"""

from __future__ import annotations

import re

from rich.ansi import SGR_STYLE_MAP
from rich.color import Color
from rich.style import Style
from rich.text import Text

from bundlebench.untrusted import ESCAPE_STYLE, pieces

LINE_LIMIT = 4000  # characters of one line kept; a longer line is cut with a note
TAB = 8
SGR = re.compile(r"\x1b\[([0-9;:]{0,64})m")
DROPPED = frozenset({5, 6, 8})  # blink, rapid blink, conceal
CUT_NOTE = " … (line cut)"


def sgr_style(params: str, current: Style) -> Style:
    """``current`` changed by the SGR parameters ``params`` (``"1;31"``, ``"38;5;208"``)."""
    codes = [int(part) if part.isdigit() else 0
             for part in params.replace(":", ";").split(";")]
    style = current
    numbers = iter(codes)
    for code in numbers:
        if code == 0:
            style = Style.null()
        elif code in (38, 48):
            color = _extended_color(numbers)
            if color is None:
                break
            style += Style(color=color) if code == 38 else Style(bgcolor=color)
        elif code in SGR_STYLE_MAP and code not in DROPPED:
            style += Style.parse(SGR_STYLE_MAP[code])
    return style


def _extended_color(numbers: object) -> Color | None:
    """The colour of ``38;5;N`` or ``38;2;R;G;B`` (the numbers after 38 or 48)."""
    kind = next(numbers, None)  # type: ignore[call-overload]
    if kind == 5:
        return Color.from_ansi(min(next(numbers, 0), 255))  # type: ignore[call-overload]
    if kind == 2:
        red, green, blue = (min(next(numbers, 0), 255)  # type: ignore[call-overload]
                            for _ in range(3))
        return Color.from_rgb(red, green, blue)
    return None


def log_line(raw: str) -> Text:
    """One line of output (without its line break) as Text: colours as styles, tabs
    expanded, every other control a visible escape; cut at LINE_LIMIT characters."""
    raw = raw.removesuffix("\r")
    cut = len(raw) > LINE_LIMIT
    if cut:
        raw = raw[:LINE_LIMIT]
    line = Text(no_wrap=True, end="")
    style = Style.null()
    position = 0
    for match in SGR.finditer(raw):
        _append(line, raw[position:match.start()], style)
        style = sgr_style(match.group(1), style)
        position = match.end()
    _append(line, raw[position:], style)
    if cut:
        line.append(CUT_NOTE, "dim italic")
    return line


def _append(line: Text, text: str, style: Style) -> None:
    """Append untrusted ``text`` in ``style``: tabs to the next stop, controls escaped."""
    for number, part in enumerate(text.split("\t")):
        if number:
            line.append(" " * (TAB - len(line) % TAB), style)
        for run, escaped in pieces(part):
            line.append(run, style + Style.parse(ESCAPE_STYLE) if escaped else style)
