"""The Logs tab: what a container wrote, read from the shim's console log, running or
stopped, attached or not.

The log is read in a thread worker (``bundlebench.containers.logs``, as `bundlebench
logs` reads it) and followed while the container runs. Its lines are untrusted output:
colours show, every other control is a visible escape (``log_text``). F pauses the view
(new output is held back, and counted) and follows again; / finds, n and N go to the
next and the previous match; ctrl+s saves the lines held, as shown, to a file.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static
from textual.worker import get_current_worker

from bundlebench.tui.read_only import dimmed
from bundlebench.tui.widgets.log_lines import MAX_LINES, LogLines
from bundlebench.untrusted import styled, visible

CARRY_LIMIT = 64 * 1024  # output this long without a line break is shown as a line


class LogsView(Vertical):
    """The console log of one container: a status line over the lines."""

    BINDINGS = [
        Binding("F", "toggle_follow", "Follow/pause", id="logs.follow",
                tooltip="Pause the view (new output is held back) or follow it again"),
        Binding("slash", "search", "Find…", id="logs.search",
                tooltip="Find text in the log (case-insensitive)"),
        Binding("n", "search_again(True)", "Next match", id="logs.next",
                tooltip="The next match of the last search"),
        Binding("N", "search_again(False)", "Previous match", id="logs.previous",
                tooltip="The previous match of the last search"),
        Binding("ctrl+s", "save", "Save log…", id="logs.save",
                tooltip="Write the lines shown to a file"),
    ]

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's name
        super().__init__(id=id)
        self.container_id: str | None = None
        self.following = True
        self.ended = False
        self.trouble: str | None = None  # why there is no log to show
        self._key: tuple[str, str] | None = None  # (root, id) being read
        self._carry = b""  # output after the last line break
        self._held: deque[str] = deque(maxlen=MAX_LINES)  # complete lines not shown yet
        self._held_dropped = 0
        self._cut = False  # the log held more than the lines read from it
        self._search = ""

    def compose(self) -> ComposeResult:
        yield Static(id="logs-status")
        yield LogLines(id="logs-lines")

    @property
    def lines(self) -> LogLines:
        return self.query_one(LogLines)

    def on_mount(self) -> None:
        self._update_status()

    def focus_lines(self) -> None:
        self.lines.focus()

    # -- reading ------------------------------------------------------------------------
    def show(self, root: str, container_id: str | None, *, reload: bool = False) -> None:
        """Read ``container_id``'s log (nothing with None); the same one again only with
        ``reload``."""
        key = (root, container_id) if container_id is not None else None
        if key == self._key and not reload:
            return
        self._key, self.container_id = key, container_id
        self.following, self.ended, self.trouble = True, False, None
        self._carry, self._cut, self._held_dropped = b"", False, 0
        self._held.clear()
        self.lines.clear()
        if key is None:
            self.workers.cancel_group(self, "logs-read")
        else:
            self._read(key)
        self._update_status()

    @work(thread=True, exclusive=True, group="logs-read", exit_on_error=False)
    def _read(self, key: tuple[str, str]) -> None:
        from bundlebench.containers.logs import follow, log_path, read_tail
        from bundlebench.errors import BundlebenchError

        worker = get_current_worker()

        def deliver(method: object, *args: object) -> bool:
            if worker.is_cancelled:
                return False
            try:
                self.app.call_from_thread(method, key, *args)  # type: ignore[arg-type]
            except RuntimeError:  # the app is closing
                return False
            return True

        try:
            path = log_path(*key)
            data, start = read_tail(path, MAX_LINES)
        except (BundlebenchError, OSError) as error:
            deliver(self._no_log, str(error) if isinstance(error, BundlebenchError)
                    else f"cannot read the log of {key[1]}: {error.strerror}")
            return
        if not deliver(self._received, data, start > 0):
            return
        for chunk in follow(path, start + len(data), lambda: worker.is_cancelled):
            if not deliver(self._received, chunk, False):
                return
        deliver(self._finished, os.path.exists(path))

    def _no_log(self, key: tuple[str, str], why: str) -> None:
        if key == self._key:
            self.trouble = why
            self._update_status()

    def _received(self, key: tuple[str, str], data: bytes, cut: bool) -> None:
        if key != self._key:
            return
        self._cut = self._cut or cut
        *complete, self._carry = (self._carry + data).split(b"\n")
        if len(self._carry) > CARRY_LIMIT:
            complete.append(self._carry)
            self._carry = b""
        overflow = max(0, len(self._held) + len(complete) - MAX_LINES)
        self._held.extend(line.decode("utf-8", "surrogateescape") for line in complete)
        self._held_dropped += overflow
        if self.following:
            self._release()
        self._update_status()

    def _release(self) -> None:
        """Show the output held back, and the unfinished line."""
        lines = self.lines
        lines.dropped += self._held_dropped
        self._held_dropped = 0
        complete = list(self._held)
        self._held.clear()
        partial = self._carry.decode("utf-8", "surrogateescape") or None
        lines.add(complete, partial, follow=True)

    def _finished(self, key: tuple[str, str], still_there: bool) -> None:
        if key == self._key:
            self.ended = True
            if not still_there:
                self.trouble = f"the log of {key[1]} is gone: the container was deleted"
            self._update_status()

    # -- keys ---------------------------------------------------------------------------
    def action_toggle_follow(self) -> None:
        self.following = not self.following
        if self.following:
            self._release()
        self._update_status()

    def action_search(self) -> None:
        from bundlebench.tui.widgets.logs_prompt import LogPrompt

        def answered(text: str | None) -> None:
            if text:
                self._search = text
                self._find(text, forward=True, again=False)

        self.app.push_screen(LogPrompt("Find in the log:", self._search, "text"), answered)

    def action_search_again(self, forward: bool) -> None:
        if not self._search:
            self.action_search()
            return
        self._find(self._search, forward=forward, again=True)

    def _find(self, text: str, *, forward: bool, again: bool) -> None:
        if self.lines.find(text, forward=forward, again=again) and self.following:
            self.following = False  # new output would scroll the match away
        self._update_status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if dimmed(self, action) else True

    def action_save(self) -> None:
        from bundlebench.tui.widgets.logs_prompt import LogPrompt

        if self.container_id is None or not self.lines.shown():
            self.notify("There is no output to save.", severity="warning", markup=False)
            return
        default = os.path.join(os.getcwd(), f"{self.container_id}.log")
        self.app.push_screen(LogPrompt(f"Save the lines of {self.container_id} shown "
                                       "(terminal controls as visible escapes) to:",
                                       default), self._save_answered)

    def _save_answered(self, answer: str | None) -> None:
        from bundlebench.tui.screens.confirm import ConfirmScreen

        if not answer:
            return
        path = Path(answer).expanduser()
        path = path if path.is_absolute() else Path.cwd() / path
        if path.is_dir():
            self.notify(visible(f"{path} is a directory: give a file name"),
                        severity="error", markup=False)
            return
        if not path.exists() and not path.is_symlink():
            self.save_to(path)
            return

        def replace(yes: bool | None) -> None:
            if yes:
                self.save_to(path)

        self.app.push_screen(ConfirmScreen(visible(f"{path} exists. Replace it?"),
                                           yes="Replace", no="Keep it"), replace)

    def save_to(self, path: Path) -> bool:
        """Write the lines shown to ``path`` atomically; a notification says where."""
        from bundlebench.bundle.atomic import write_atomic

        text = self.lines.plain()
        existed = path.exists()
        try:
            write_atomic(path, text.encode("utf-8", "surrogateescape"),
                         mode=None if existed else 0o600)
        except OSError as error:
            self.notify(visible(f"could not save to {path}: {error.strerror}"),
                        severity="error", markup=False)
            return False
        count = text.count("\n")
        self.notify(visible(f"Saved {count} line{'s' * (count != 1)} of "
                            f"{self.container_id} to {path}"), markup=False)
        return True

    # -- status -------------------------------------------------------------------------
    def _update_status(self) -> None:
        self.query_one("#logs-status", Static).update(self.status_text())

    def status_text(self) -> Text:
        """One line: whose log, how many lines, following or paused, ended, cut, search."""
        if self.container_id is None:
            return Text("Choose a container to read what it wrote.", style="dim")
        if self.trouble and not self.lines.shown():
            return styled(self.trouble, 400, style="yellow")
        lines = self.lines
        count = len(lines.lines) + (lines.partial is not None)
        parts = [visible(self.container_id, 60), f"{count:,} line{'s' * (count != 1)}"]
        if count == 0 and not self._held:
            parts[1] = "no output yet" if not self.ended else "it wrote nothing"
        if self.following:
            parts.append("following (F pauses)")
        else:
            held = len(self._held) + self._held_dropped
            parts.append(f"paused, {held:,} new line{'s' * (held != 1)} held back (F follows)"
                         if held else "paused (F follows)")
        if self.ended:
            parts.append("the container has ended: this is all of its output")
        if lines.dropped or self._cut:
            parts.append(f"earlier output cut: the last {MAX_LINES:,} lines are kept")
        if self.trouble:
            parts.append(self.trouble)
        if self._search:
            found = lines.match_count()
            parts.append(f"/{visible(self._search, 40)}: {found:,} match"
                         f"{'es' * (found != 1)}" if found else
                         f"/{visible(self._search, 40)}: no match")
        return Text(" · ".join(parts))
