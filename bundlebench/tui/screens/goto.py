"""Ask for a container path to jump to."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class GotoScreen(ModalScreen[str | None]):
    """An input for a path inside the rootfs; dismisses with the text, or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, start: str = "/") -> None:
        super().__init__()
        self.start = start

    def compose(self) -> ComposeResult:
        with Vertical(id="goto-dialog", classes="dialog"):
            yield Static("Go to a path inside the rootfs (symlinks resolve inside it):")
            yield Input(self.start, id="goto-input", placeholder="/etc/passwd")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)
