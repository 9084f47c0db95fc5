"""The terminal pane's scrollback: a flood's skipped head lands in history exactly as
parsing every byte would put it there, and at least 10,000 lines are kept."""

from __future__ import annotations

from bundlebench.containers.terminal_history import is_plain
from bundlebench.containers.terminal_screen import TerminalScreen


def coloured_lines(count: int) -> bytes:
    colours = (b"\x1b[01;34m", b"\x1b[0m", b"\x1b[31;42m", b"\x1b[m", b"\x1b[1m")
    return b"".join(b"%d %s word-%06d  \x1b[0m  \r\n" % (i, colours[i % 5], i)
                    for i in range(count))


def history(term: TerminalScreen, last: int) -> list:
    store = term.history.scrollback
    return [store.line(n) for n in range(max(store.first, store.end - last), store.end)]


def test_the_fast_path_keeps_what_parsing_every_byte_keeps() -> None:
    data = b"\x1b[33mhalf a line, " + coloured_lines(30_000)
    chunked, every_byte = TerminalScreen(100, 30), TerminalScreen(100, 30)
    for start in range(0, len(data), 50_000):
        chunked.feed(data[start:start + 50_000])
    every_byte.board.feed_host_data(data)
    assert chunked.parsed < len(data) // 4  # the fast path ran
    assert chunked.text() == every_byte.text()
    assert history(chunked, 10_000) == history(every_byte, 10_000)
    assert chunked.history.lines >= 10_000


def test_a_pty_s_cr_cr_lf_takes_the_fast_path_too() -> None:
    data = coloured_lines(20_000).replace(b"\r\n", b"\r\r\n")
    chunked, every_byte = TerminalScreen(100, 30), TerminalScreen(100, 30)
    chunked.feed(data)
    every_byte.board.feed_host_data(data)
    assert chunked.parsed < len(data) // 4
    assert chunked.text() == every_byte.text()
    assert history(chunked, 10_000) == history(every_byte, 10_000)


def test_a_line_that_is_not_plain_is_parsed_and_still_kept() -> None:
    data = coloured_lines(2000) + b"tab\there\r\n" + coloured_lines(2000)
    chunked, every_byte = TerminalScreen(100, 30), TerminalScreen(100, 30)
    chunked.feed(data)
    every_byte.board.feed_host_data(data)
    assert history(chunked, 5000) == history(every_byte, 5000)


def test_is_plain_refuses_controls_and_bare_line_feeds() -> None:
    assert is_plain(b"a \x1b[1;31mb\x1b[0m\r\nc\r\n")
    for bad in (b"a\nb\r\n", b"a\rb\r\n", b"\x1b[2Jx\r\n", b"\x1b]0;t\x07\r\n", b"\xc3\xa9\r\n",
                b"a\r\nb"):
        assert not is_plain(bad), bad
