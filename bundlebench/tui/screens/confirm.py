"""Questions before something is lost: a yes/no one, and quitting with unsaved changes."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static


class ConfirmScreen(ModalScreen[bool]):
    """Ask one question; dismiss with True (yes) or False (no)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    # Subclasses change these, not the handlers: Textual calls the handlers of every
    # class in the MRO.
    FIRST_FOCUS = "#confirm-no"  # the answer that loses nothing
    ANSWERS: dict[str, object] = {"confirm-yes": True, "confirm-no": False}

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.yes, variant="error", id="confirm-yes")
                yield Button(self.no, variant="primary", id="confirm-no")

    def on_mount(self) -> None:
        self.query_one(self.FIRST_FOCUS, Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.ANSWERS.get(event.button.id or "", False))  # type: ignore[arg-type]

    def action_answer(self, answer: object) -> None:
        self.dismiss(answer)  # type: ignore[arg-type]


class QuitScreen(ConfirmScreen):
    """Quitting with unsaved changes: dismiss with "save" (save, then quit), "quit"
    (quit without saving) or "stay". A ConfirmScreen whose y and n keep their meaning,
    plus s."""

    BINDINGS = [
        Binding("s", "answer('save')", "Save and quit"),
        Binding("y", "answer('quit')", "Quit without saving"),
        Binding("n,escape", "answer('stay')", "Stay"),
    ]

    FIRST_FOCUS = "#quit-save"
    ANSWERS: dict[str, object] = {"quit-save": "save", "quit-quit": "quit", "quit-stay": "stay"}

    def __init__(self, question: str) -> None:
        super().__init__(question, yes="Quit without saving", no="Stay")

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-dialog", classes="dialog"):
            yield Static(self.question, id="confirm-question")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save and quit", variant="success", id="quit-save")
                yield Button("Quit without saving", variant="error", id="quit-quit")
                yield Button("Stay", variant="primary", id="quit-stay")
