"""The terminal pane's search prompt: one line of text to find in the scrollback."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class SearchDialog(ModalScreen[str | None]):
    """Asks for the text; enter answers it, escape answers None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="terminal_search.cancel")]
    CSS_PATH = str(Path(__file__).with_name("terminal_search.tcss"))

    def __init__(self, last: str = "") -> None:
        super().__init__()
        self.last = last

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Find in the scrollback (newest first):")
            yield Input(self.last, placeholder="text", id="terminal-search-input")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
