"""The terminal pane's emulator: flood skipping keeps the screen exact; keys as xterm."""

from __future__ import annotations

import os

from bundlebench.containers.terminal_screen import TerminalScreen, skip_scrolled
from bundlebench.containers.transports import PtyTransport

COLOURS = (b"\x1b[01;34m", b"\x1b[01;32m", b"\x1b[38;5;208m", b"\x1b[0m", b"")


def listing(lines: int, start: int = 0) -> bytes:
    out = bytearray()
    for i in range(start, start + lines):
        out += (b"-rw-r--r-- 1 root root %9d " % (i * 37) + COLOURS[i % 5]
                + b"file-%06d\x1b[0m\r\n" % i)
    return bytes(out)


def full_parse(data: bytes, cols: int = 80, rows: int = 24) -> TerminalScreen:
    screen = TerminalScreen(cols, rows)
    screen.board.feed_host_data(data)
    return screen


def test_skipping_a_flood_gives_the_same_screen() -> None:
    data = b"\x1b[1mtitle\r\n" + listing(5000) + b"\x1b[31mred and unfinished"
    fast = TerminalScreen(80, 24)
    for i in range(0, len(data), 65536):
        fast.feed(data[i:i + 65536])
    assert fast.parsed < len(data) // 4  # most of it never reached the parser
    slow = full_parse(data)
    assert fast.text() == slow.text()
    assert fast.rows() == slow.rows()  # colours too


def test_escapes_split_between_reads_stay_whole() -> None:
    data = listing(3000) + b"\x1b]0;title\x07" + listing(3000, 3000)
    for size in (4093, 8191, 65536, 65537):  # cuts land inside escape sequences
        fast = TerminalScreen(80, 24)
        for i in range(0, len(data), size):
            fast.feed(data[i:i + size])
        slow = full_parse(data)
        assert fast.text() == slow.text() and fast.rows() == slow.rows(), size
        assert not fast.board.modes.keyboard_locked


def test_no_skip_when_the_head_moves_the_cursor() -> None:
    data = listing(500) + b"\x1b[5;5H" + listing(500, 500)
    cut = skip_scrolled(data[: len(listing(500)) + 6], 24)
    assert len(cut) < len(listing(500))  # plain head: skipped
    assert skip_scrolled(b"\x1b[2J" + listing(500), 24) == b"\x1b[2J" + listing(500)
    assert skip_scrolled(listing(10), 24) == listing(10)  # too small to bother


def test_keys_are_sent_as_xterm_does() -> None:
    sent: list[bytes] = []
    screen = TerminalScreen(80, 24, send=sent.append)
    for key, char in (("a", "a"), ("ctrl+c", None), ("up", None), ("f5", None),
                      ("enter", "\r"), ("escape", None), ("shift+tab", None),
                      ("alt+x", None), ("backspace", None)):
        assert screen.key(key, char)
    assert sent == [b"a", b"\x03", b"\x1b[A", b"\x1b[15~", b"\r", b"\x1b", b"\x1b[Z",
                    b"\x1bx", b"\x7f"]
    sent.clear()
    screen.feed(b"\x1b[?1h")  # application cursor keys, as vi and less turn on
    screen.key("up", None)
    assert sent == [b"\x1bOA"]


def test_replies_and_resize_reach_the_program() -> None:
    sent: list[bytes] = []
    sizes: list[tuple[int, int]] = []
    screen = TerminalScreen(80, 24, send=sent.append, resize=lambda r, c: sizes.append((r, c)))
    screen.feed(b"\x1b[3;7H\x1b[6n")  # where is the cursor?
    assert sent == [b"\x1b[3;7R"]
    screen.resize(100, 30)
    assert sizes == [(30, 100)] and screen.size == (100, 30)


def test_alternate_screen_and_cursor_rendering() -> None:
    screen = TerminalScreen(20, 5)
    screen.feed(b"main\x1b[?1049h\x1b[Hfull screen")
    assert screen.text() == "full screen"
    rows = screen.rows()
    assert "".join(s.text for s in rows[0]) == "full screen" + " " * 9
    assert any(s.style and s.style.reverse for s in rows[0])  # the cursor
    screen.feed(b"\x1b[?1049l")
    assert screen.text().startswith("main")


def test_pty_transport_runs_and_reports_exit() -> None:
    transport = PtyTransport(["sh", "-c", "stty size; exit 3"], rows=11, cols=33)
    seen = b""
    exit_record = None
    import select
    while exit_record is None:
        select.select([transport.fileno()], [], [], 5)
        pumped = transport.pump()
        seen += pumped.data
        exit_record = pumped.exit if pumped.closed else None
    transport.close()
    assert b"11 33" in seen and exit_record["exit_code"] == 3
    assert not os.path.exists(f"/proc/{transport.pid}")  # reaped, not a zombie


def test_a_container_cannot_pass_controls_through_the_pane() -> None:
    # The emulator interprets ESC, OSC and C1; it keeps bidi overrides in cells, and
    # those would reorder the outer terminal's line: each shows as one stand-in cell.
    from bundlebench.containers.terminal_screen import UNSAFE_CELL
    from bundlebench.untrusted import is_unsafe

    screen = TerminalScreen(cols=40, rows=3)
    screen.feed("a\u202eb\u2066c".encode() + b"\xc2\x9bd\x7fe\x1b]2;T\x07f\x1b[31mg")
    line = "".join(segment.text for segment in screen.rows()[0])
    assert not any(is_unsafe(char) for char in line)
    assert line.startswith(f"a{UNSAFE_CELL}b{UNSAFE_CELL}c")
