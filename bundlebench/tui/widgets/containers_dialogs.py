"""Dialogs of the containers screen: the signal picker, and the launch problems."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from bundlebench.untrusted import styled

if TYPE_CHECKING:
    from bundlebench.containers.launch import LaunchRefused

SIGNALS = (
    ("TERM", "ask it to end (the default of kill)"),
    ("INT", "as ctrl+c in its terminal"),
    ("HUP", "its terminal hung up; many daemons reload"),
    ("QUIT", "end with a core dump"),
    ("KILL", "end now; cannot be caught"),
    ("USR1", "user-defined 1"),
    ("USR2", "user-defined 2"),
    ("STOP", "pause; cannot be caught"),
    ("CONT", "resume after STOP"),
    ("WINCH", "its terminal changed size"),
)


class SignalPicker(ModalScreen[str | None]):
    """Pick the signal to send to a container's init; dismiss with its name or None."""

    DEFAULT_CSS = """
    SignalPicker { align: center middle; }
    SignalPicker > Vertical { width: 60; height: auto; border: round $primary;
        background: $surface; padding: 0 1; }
    SignalPicker OptionList { height: auto; max-height: 14; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="signal.cancel")]

    def __init__(self, container_id: str) -> None:
        super().__init__()
        self.container_id = container_id

    def compose(self) -> ComposeResult:
        with Vertical():
            title = Text("Send a signal to ")
            title.append_text(styled(self.container_id, 60, style="bold"))
            yield Static(title)
            yield OptionList(*(Option(f"SIG{name:<6} {what}", id=name) for name, what in SIGNALS),
                             id="signal-list")

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def problems_text(refusal: LaunchRefused) -> str:
    """The launch refusal as lines: one per error, its field first."""
    lines = [f"Not launched: config.json has {len(refusal.problems)} error(s). Fix them first:"]
    lines += [f"  {line}" for line in refusal.error_lines()]
    return "\n".join(lines)
