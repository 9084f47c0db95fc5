"""A terminal inside the app: a container's (or an exec's) pty, emulated by bittty.

A thread reads the transport, parses in that thread, and hands the app at most ~30
frames a second, so a flood of output never freezes the app. Keys typed in the pane
go to the program as an xterm would send them (ctrl keys, arrows, function keys,
application cursor mode); the pane's size is the program's terminal size.
ctrl+] (as in telnet) gives the keys back to the app; F1 is the app's help. The
scrollback keeps 10,000 lines: the mouse wheel and shift+PgUp/PgDn page through it;
while scrolled back, / searches, n finds the next older match, and escape (or
shift+End, or typing) jumps back to the live screen.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from collections.abc import Callable
from typing import Any

from rich.segment import Segment
from textual import events, work
from textual.binding import Binding
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from bundlebench.containers.terminal_screen import TerminalScreen
from bundlebench.containers.transports import Transport

FRAME_INTERVAL = 1 / 30
MAX_RECONNECTS = 50
RELEASE_KEY = "ctrl+right_square_bracket"
WHEEL_ROWS = 3
# The workbench's keys inside the pane; the program gets every other one.
APP_KEYS = frozenset({RELEASE_KEY, "f1", "shift+pageup", "shift+pagedown", "shift+end"})
# While scrolled back the view has the keys a pager has (as tmux's copy mode does).
SCROLLED_KEYS = frozenset({"slash", "n", "escape"})
HINT = "ctrl+] leaves · F1 help · shift+PgUp scrollback"
Connect = Callable[[int, int], Transport]


class TerminalPane(Widget, can_focus=True):
    """Shows a program's terminal and forwards keys to it."""

    DEFAULT_CSS = """
    TerminalPane { width: 1fr; height: 1fr; min-height: 3; background: $background; }
    TerminalPane:focus { background-tint: $foreground 0%; }
    """
    BINDINGS = [
        Binding(RELEASE_KEY, "release", "Leave terminal", id="terminal.release",
                tooltip="Give the keys back to the workbench"),
        Binding("f1", "app.help", "Help", id="terminal.help",
                tooltip="The workbench's keys (the program does not get F1)"),
        Binding("shift+pageup", "page(-1)", "Scroll back", id="terminal.page_up",
                tooltip="Page back through the scrollback (also the mouse wheel)"),
        Binding("shift+pagedown", "page(1)", "Scroll on", id="terminal.page_down",
                show=False, tooltip="Page towards the live screen"),
        Binding("shift+end", "live", "Live", id="terminal.live", show=False,
                tooltip="Jump back to the live screen"),
        Binding("slash", "search", "Search", id="terminal.search", show=False,
                tooltip="While scrolled back: find text in the scrollback"),
        Binding("n", "search_again", "Next match", id="terminal.search_again", show=False,
                tooltip="While scrolled back: the next older match"),
        Binding("escape", "live", "Live", id="terminal.escape_live", show=False,
                tooltip="While scrolled back: the live screen again"),
    ]

    class Ended(Message):
        """The program ended (``record`` holds exit_code and signal) or the link dropped."""

        def __init__(self, pane: TerminalPane, record: dict[str, Any] | None) -> None:
            super().__init__()
            self.pane = pane
            self.record = record

        @property
        def control(self) -> TerminalPane:
            return self.pane

    class Failed(Message):
        """The transport could not be opened; ``message`` says why."""

        def __init__(self, pane: TerminalPane, message: str) -> None:
            super().__init__()
            self.pane = pane
            self.message = message

    def __init__(self, connect: Connect, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._connect = connect
        self._strips: list[Strip] = []
        self._term: TerminalScreen | None = None
        self._transport: Transport | None = None
        self._stop = threading.Event()
        self._want_frame = False
        self._wanted_size: tuple[int, int] | None = None
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self.ended = False
        self.searching: str = ""
        self.exit_record: dict[str, Any] | None = None
        self.frames = 0
        self.reconnects = 0

    # -- lifecycle -------------------------------------------------------------------
    def on_mount(self) -> None:
        self._show_hint()
        self._reader(max(self.size.width, 20), max(self.size.height, 3))

    def on_unmount(self) -> None:
        self.close()

    def close(self) -> None:
        """Stop reading and let go of the transport (detach, or hang up an exec)."""
        self._stop.set()
        self._wake()

    def _wake(self) -> None:
        if self._wake_w >= 0:
            with contextlib.suppress(OSError):
                os.write(self._wake_w, b"w")

    @work(thread=True, exit_on_error=False, group="terminal")
    def _reader(self, cols: int, rows: int) -> None:
        try:
            self._run(cols, rows)
        except Exception as error:  # noqa: BLE001 - the app must outlive a bad byte stream
            self.ended = True
            self._post(self.Failed(self, f"the terminal stopped: {error!r}"))
        finally:
            if self._transport is not None:
                with contextlib.suppress(OSError):
                    self._transport.close()
            self._close_pipe()

    def _run(self, cols: int, rows: int) -> None:
        reconnects = 0
        while not self._stop.is_set():
            try:
                transport = self._connect(rows, cols)
            except Exception as error:  # noqa: BLE001 - shown to the user in one sentence
                self.ended = True
                if self._term is None:
                    self._post(self.Failed(self, str(error) or type(error).__name__))
                else:  # it went away while we were reconnecting
                    self._post(self.Ended(self, None))
                return
            self._transport = transport
            if self._term is None:
                cols, rows = self._wanted_size or (cols, rows)
                self._term = TerminalScreen(cols, rows, send=self._send_current,
                                            resize=self._resize_current)
            if self._wanted_size and self._wanted_size != self._term.size:
                self._term.resize(*self._wanted_size)
            width, height = self._term.size
            transport.resize(height, width)
            outcome = self._pump(transport, self._term)
            self._transport = None
            with contextlib.suppress(OSError):
                transport.close()
            if outcome == "dropped" and getattr(transport, "reconnectable", False) \
                    and reconnects < MAX_RECONNECTS and not self._stop.is_set():
                # The shim drops a client that fell far behind a flood: attach again, the
                # scrollback it replays repaints the screen.
                reconnects += 1
                self.reconnects = reconnects
                time.sleep(0.05)
                continue
            if outcome != "stopped":
                self.ended = True
                self._post(self.Ended(self, self.exit_record))
            return

    def _send_current(self, data: bytes) -> None:
        transport = self._transport
        if transport is not None:
            transport.send(data)

    def _resize_current(self, rows: int, cols: int) -> None:
        transport = self._transport
        if transport is not None:
            transport.resize(rows, cols)

    def _close_pipe(self) -> None:
        fds, self._wake_r, self._wake_w = (self._wake_r, self._wake_w), -1, -1
        for fd in fds:
            with contextlib.suppress(OSError):
                os.close(fd)

    def _pump(self, transport: Transport, term: TerminalScreen) -> str:
        """Relay until the program ends ("ended"), the link drops ("dropped") or the pane
        closes ("stopped")."""
        next_frame = 0.0
        dirty = True
        ready: list[int] = [transport.fileno()]  # first take what came with the greeting
        while not self._stop.is_set():
            if self._wake_r in ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(self._wake_r, 512)
                dirty = dirty or self._want_frame
                self._want_frame = False
            ended = False
            if transport.fileno() in ready:
                pumped = transport.pump()
                if pumped.data:
                    term.feed(pumped.data)
                    dirty = True
                if pumped.exit is not None:
                    self.exit_record = pumped.exit
                ended = pumped.closed or pumped.exit is not None
            now = time.monotonic()
            if dirty and (now >= next_frame or ended):
                self._publish(term)
                next_frame = now + FRAME_INTERVAL
                dirty = False
            if ended:
                return "ended" if self.exit_record is not None else "dropped"
            timeout = max(0.0, next_frame - time.monotonic()) if dirty else None
            ready, _, _ = select.select([transport.fileno(), self._wake_r], [], [], timeout)
        return "stopped"

    def _publish(self, term: TerminalScreen) -> None:
        strips = [Strip(row) for row in term.rows()]
        self._strips = strips
        self.frames += 1
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(self.refresh)

    def _repaint(self) -> None:
        """Draw the view now, on the event loop (scrolling works after the end too)."""
        if self._term is not None:
            self._strips = [Strip(row) for row in self._term.rows()]
            self.refresh()
        self._show_hint()

    def _show_hint(self) -> None:
        scrolled = self._term.scrolled if self._term is not None else 0
        if self.ended:
            return  # the screen says why it ended
        if scrolled:
            found = f" · {self.searching!r}" if self.searching else ""
            self.border_subtitle = (f"scrollback −{scrolled}{found} · / search · n next · "
                                    "esc live")
        else:
            self.border_subtitle = HINT

    def _post(self, message: Message) -> None:
        with contextlib.suppress(RuntimeError):
            self.app.call_from_thread(self.post_message, message)

    # -- display ---------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y < len(self._strips):
            return self._strips[y].crop_extend(0, width, None)
        return Strip([Segment(" " * width)], width)

    def on_resize(self, event: events.Resize) -> None:
        size = self.size  # the content area: the border is not the program's
        self._wanted_size = (size.width, size.height)
        if self._term is not None and not self.ended:
            self._term.resize(size.width, size.height)
            self._want_frame = True
            self._wake()

    def text(self) -> str:
        """What the emulated terminal shows, as plain text."""
        return self._term.text() if self._term else ""

    # -- input -----------------------------------------------------------------------
    @property
    def scrolled(self) -> int:
        """Rows the view sits above the live screen."""
        return self._term.scrolled if self._term is not None else 0

    def _is_ours(self, key: str) -> bool:
        return key in APP_KEYS or (key in SCROLLED_KEYS and self.scrolled > 0)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("search", "search_again"):
            return self.scrolled > 0
        if action == "live":
            return self.scrolled > 0 or None
        return True

    def check_consume_key(self, key: str, character: str | None) -> bool:
        # Every key is the program's (even ctrl+p, ctrl+q, tab), except the workbench's
        # few; once the program has ended, the keys are the app's again.
        return not self._is_ours(key) and not self.ended

    def send(self, data: bytes) -> None:
        """Type raw bytes into the program."""
        if self._transport is not None and not self.ended:
            self._transport.send(data)

    async def on_key(self, event: events.Key) -> None:
        if self._is_ours(event.key) or self._term is None or self.ended:
            return
        if self._term.key(event.key, event.character):
            if self._term.scrolled:
                self.action_live()  # typing shows where the typing goes
            event.stop()
            event.prevent_default()

    # -- scrollback ------------------------------------------------------------------
    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self.scroll_view(-WHEEL_ROWS)
        event.stop()

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self.scroll_view(WHEEL_ROWS)
        event.stop()

    def scroll_view(self, rows: int) -> None:
        """Move the view ``rows`` down (negative: back into the scrollback)."""
        if self._term is not None:
            self._term.scroll(rows)
            self._repaint()

    def action_page(self, pages: int) -> None:
        """Page through the scrollback (negative: back)."""
        if self._term is not None:
            self._term.page(pages)
            self._repaint()

    def action_live(self) -> None:
        """Jump back to the live screen."""
        if self._term is not None:
            self._term.to_live()
            self.searching = ""
            self._repaint()

    def action_search(self) -> None:
        """Ask for text and scroll to its newest line."""
        from bundlebench.tui.widgets.terminal_search import SearchDialog

        def answered(needle: str | None) -> None:
            if needle:
                self.search(needle)

        self.app.push_screen(SearchDialog(self.searching), answered)

    def action_search_again(self) -> None:
        """The next older line holding the text searched for."""
        if self.searching:
            self.search(self.searching, again=True)

    def search(self, needle: str, again: bool = False) -> bool:
        """Scroll to the newest (``again``: next older) line holding ``needle``."""
        if self._term is None:
            return False
        found = self._term.search(needle, again)
        self.searching = needle
        if not found:
            self.notify(f"{needle!r} is not in the scrollback"
                        + (" above this match" if again else ""), severity="warning")
        self._repaint()
        return found

    async def on_paste(self, event: events.Paste) -> None:
        if self._term is not None and not self.ended:
            event.stop()
            self._term.board.input_paste(event.text)

    def action_release(self) -> None:
        """Give the keys back to the app: focus the next widget (or none)."""
        self.screen.focus_next()
        if self.screen.focused is self:
            self.screen.set_focus(None)
