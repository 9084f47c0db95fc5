"""The name filter's input and its one-line status; the matches show in the tree."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from bundlebench.untrusted import styled


class SearchPanel(Vertical):
    """Type a name or glob: the tree shows the matches as you type; enter jumps to one."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="name or glob, e.g. *.conf", id="filter-input", compact=True)
        yield Static("", id="filter-status")

    @property
    def input(self) -> Input:
        return self.query_one("#filter-input", Input)

    def set_status(self, text: str) -> None:
        # The status quotes the typed pattern, which may hold anything: never markup.
        self.query_one("#filter-status", Static).update(styled(text, 240))
