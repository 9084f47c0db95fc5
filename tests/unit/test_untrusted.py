"""Untrusted text: every control shown as an escape, cuts never split one."""

from __future__ import annotations

import io
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.text import Text

from bundlebench.untrusted import ELLIPSIS, ESCAPE_STYLE, has_unsafe, markup, styled, visible

HOSTILE = {
    "osc title": ("title\x1b]2;PWNED\x07", "title\\x1b]2;PWNED\\x07"),
    "csi clear": ("clear\x1b[2J\x1b[H", "clear\\x1b[2J\\x1b[H"),
    "sgr colour": ("\x1b[31mred", "\\x1b[31mred"),
    "bidi override": ("evil\u202etxt.exe", "evil\\u202etxt.exe"),
    "bidi isolate": ("a\u2066b\u2069", "a\\u2066b\\u2069"),
    "newline": ("two\nlines", "two\\nlines"),
    "c1 csi": ("c1\x9b2J", "c1\\x9b2J"),
    "del": ("del\x7f", "del\\x7f"),
    "not utf-8": (os.fsdecode(b"bad\xff\xfe"), "bad\\xff\\xfe"),
    "plain": ("usr/lib/ld-linux.so.2", "usr/lib/ld-linux.so.2"),
}


@pytest.mark.parametrize("name", HOSTILE)
def test_each_control_becomes_a_visible_escape(name: str) -> None:
    raw, shown = HOSTILE[name]
    assert visible(raw) == shown
    assert has_unsafe(raw) == (raw != shown)
    assert styled(raw).plain == shown


def test_escapes_are_styled_and_markup_is_not_parsed() -> None:
    text = styled("[bold]x\x1b")
    assert text.plain == "[bold]x\\x1b"
    assert [span.style for span in text.spans] == [ESCAPE_STYLE]
    rendered = Text.from_markup(markup("[link=file:///etc]x[/link]\\\x1b"))
    assert rendered.plain == "[link=file:///etc]x[/link]\\\\x1b"


def test_long_text_is_cut_in_the_middle_without_splitting_an_escape() -> None:
    name = "a" * 4096 + ".conf"
    cut = visible(name, 40)
    assert len(cut) == 40 and ELLIPSIS in cut and cut.endswith(".conf")
    cut = visible("\x1b" * 30, 10)
    assert cut.replace("\\x1b", "").replace(ELLIPSIS, "") == ""  # whole escapes only
    assert len(cut) <= 10 and "\\x1b" in cut
    assert visible("short", 40) == "short"


@given(st.text())
def test_no_control_survives(text: str) -> None:
    out = visible(text, 64)
    assert not has_unsafe(out)
    console = Console(file=io.StringIO(), force_terminal=True, width=200)
    with console.capture() as capture:
        console.print(styled(text), end="")
    # Only Rich's own SGR sequences may carry an ESC; no other control byte at all.
    raw = capture.get()
    stripped = Text.from_ansi(raw).plain
    assert not has_unsafe(stripped)
