"""Dialogs of the config screen: changed on disk, a command line, a new mount."""

from __future__ import annotations

import difflib
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, Static


def unified_diff(disk: str, ours: str, name: str = "config.json") -> Text:
    """A colored unified diff from the file on disk to the edited document."""
    lines = difflib.unified_diff(
        disk.splitlines(keepends=True), ours.splitlines(keepends=True),
        f"{name} (on disk)", f"{name} (your edits)",
    )
    text = Text()
    for line in lines:
        style = ("bold" if line.startswith(("---", "+++")) else
                 "green" if line.startswith("+") else
                 "red" if line.startswith("-") else
                 "cyan" if line.startswith("@@") else "")
        text.append(line if line.endswith("\n") else line + "\n", style=style)
    return text or Text("The file on disk holds exactly your edits.")


class ChangedOnDiskDialog(ModalScreen[str]):
    """config.json changed since it was loaded: reload, overwrite, or look at the diff.

    Dismisses with "reload", "overwrite" or "cancel".
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss('cancel')", "Cancel"),
        Binding("r", "dismiss('reload')", "Reload"),
        Binding("o", "dismiss('overwrite')", "Overwrite"),
        Binding("d", "toggle_diff", "Diff"),
    ]

    def __init__(self, path: str, disk: str, ours: str) -> None:
        super().__init__(classes="config-dialog")
        self.path = path
        self.disk = disk
        self.ours = ours

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(f"{self.path} changed on disk", style="bold"), id="dialog-title")
            yield Static(
                "Someone else changed the file since it was loaded. Reload it (your edits "
                "stay in the undo history), overwrite it with your edits, or look at the "
                "difference first."
            )
            with VerticalScroll(id="diff-view"):
                yield Static(id="diff-text")
            with Horizontal(classes="button-row"):
                yield Button("Reload", id="reload", variant="warning")
                yield Button("Overwrite", id="overwrite", variant="error")
                yield Button("Diff", id="diff")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#diff-view").display = False

    def action_toggle_diff(self) -> None:
        view = self.query_one("#diff-view", VerticalScroll)
        if not view.display:
            self.query_one("#diff-text", Static).update(unified_diff(self.disk, self.ours))
        view.display = not view.display
        if view.display:
            view.focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "diff":
            self.action_toggle_diff()
        else:
            self.dismiss(event.button.id or "cancel")


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text; dismisses with it, or None on escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]

    def __init__(self, title: str, explanation: str, value: str = "",
                 placeholder: str = "") -> None:
        super().__init__(classes="config-dialog")
        self.title_text = title
        self.explanation = explanation
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text(self.title_text, style="bold"), id="dialog-title")
            yield Static(self.explanation)
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            with Horizontal(classes="button-row"):
                yield Button("OK", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "ok":
            self.dismiss(self.query_one("#prompt-input", Input).value)
        else:
            self.dismiss(None)


class MountDialog(ModalScreen[dict[str, str] | None]):
    """Ask for a new mount's destination, source, type and options."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "Cancel")]
    FIELDS = (
        ("destination", "Destination (inside the container)", "/data"),
        ("source", "Source (host path, or the filesystem's name)", "/srv/data"),
        ("type", "Type", "bind"),
        ("options", "Options, comma separated (empty: rbind,ro for a bind mount)", "rbind,ro"),
    )

    def __init__(self) -> None:
        super().__init__(classes="config-dialog")

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(Text("Add a mount", style="bold"), id="dialog-title")
            for name, label, example in self.FIELDS:
                yield Label(label)
                yield Input("bind" if name == "type" else "", placeholder=example,
                            id=f"mount-{name}")
            with Horizontal(classes="button-row"):
                yield Button("Add", id="ok", variant="primary")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def _result(self) -> dict[str, str]:
        return {name: self.query_one(f"#mount-{name}", Input).value for name, _, _ in
                self.FIELDS}

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(self._result())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(self._result() if event.button.id == "ok" else None)
