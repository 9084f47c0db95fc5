"""The name filter: a pattern input and the streaming list of matching paths."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from bundlebench.untrusted import styled

MAX_RESULTS = 5000


class SearchPanel(Vertical):
    """Type a name or glob, press enter; matches stream in, choose one to jump to it."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="name or glob (e.g. *.conf), enter to search",
                    id="filter-input")
        yield Static("", id="filter-status")
        yield OptionList(id="filter-results")

    @property
    def results(self) -> OptionList:
        return self.query_one("#filter-results", OptionList)

    def clear(self) -> None:
        """Forget the previous results."""
        self.results.clear_options()
        self.set_status("")

    def add_paths(self, paths: list[str]) -> bool:
        """Append matches; False once MAX_RESULTS are shown (the search should stop)."""
        results = self.results
        room = MAX_RESULTS - results.option_count
        # Paths from the rootfs: shown through untrusted.styled, never parsed as markup.
        results.add_options([Option(styled(path, 1024), id=path) for path in paths[:room]])
        return results.option_count < MAX_RESULTS

    def set_status(self, text: str) -> None:
        self.query_one("#filter-status", Static).update(styled(text))
