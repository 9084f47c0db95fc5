"""Stands in for a screen whose module is not installed yet."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from bundlebench.tui.widgets.bundle_header import BundleHeader


class MissingScreen(Screen[None]):
    """Says which screen is missing; the header and keys still work."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode

    def compose(self) -> ComposeResult:
        yield BundleHeader(self.mode)
        yield Static(f"The {self.mode} screen is not part of this installation.",
                     classes="placeholder-note")
        yield Footer(compact=True)
