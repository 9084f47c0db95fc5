"""The help screen: every key of the current screen and of the app."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

INTRO = (
    "bundlebench works on one OCI bundle: its rootfs (1), its config.json (2) and its "
    "containers (3). "
    "Press ctrl+p for the command palette: every action is there, and the theme too."
)


def key_rows(bindings: list[tuple[str, str]]) -> Table:
    """A two-column table of key and description."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True)
    table.add_column()
    for key, description in bindings:
        table.add_row(key, description)
    return table


class HelpScreen(ModalScreen[None]):
    """Lists the bindings captured from the screen it was opened over."""

    BINDINGS = [Binding("escape,q,f1,question_mark", "close", "Close help")]

    def __init__(self, screen_keys: list[tuple[str, str]], app_keys: list[tuple[str, str]],
                 title: str, help_text: str | None = None) -> None:
        super().__init__()
        self.help_text = help_text
        self.screen_keys = screen_keys
        self.app_keys = app_keys
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="help-dialog", classes="dialog"):
            yield Static(Text("Help", style="bold"), classes="help-title")
            yield Static(INTRO, classes="help-intro")
            with Horizontal(id="help-columns"):
                with Vertical(classes="help-column"):
                    yield Static(Text(self.title_text, style="bold underline"))
                    yield Static(key_rows(self.screen_keys), id="help-screen-keys")
                with Vertical(classes="help-column"):
                    yield Static(Text("Everywhere", style="bold underline"))
                    yield Static(key_rows(self.app_keys), id="help-app-keys")
            if self.help_text:
                from rich.markdown import Markdown  # only here: it costs 80 ms to import

                with VerticalScroll(id="help-text-scroll"):
                    yield Static(Markdown(self.help_text), id="help-screen-text")
            yield Static(Text("esc closes this help", style="italic"))

    def action_close(self) -> None:
        self.dismiss(None)
