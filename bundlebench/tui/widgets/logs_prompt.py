"""The Logs tab's one-line questions: the text to find, the file to save to."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label

from bundlebench.tui.widgets.safe_lines import SafeInput
from bundlebench.untrusted import styled


class LogPrompt(ModalScreen[str | None]):
    """Asks for one line; enter answers it, escape answers None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="logs_prompt.cancel")]
    CSS_PATH = str(Path(__file__).with_name("logs_prompt.tcss"))

    def __init__(self, question: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(styled(self.question, 400))
            yield SafeInput(self.value, placeholder=self.placeholder, id="logs-prompt-input")

    def on_input_submitted(self, event: SafeInput.Submitted) -> None:
        event.stop()
        self.dismiss(event.value or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
