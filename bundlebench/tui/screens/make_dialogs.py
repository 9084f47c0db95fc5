"""Dialogs for making bundles: ask for paths, then run the job with a progress bar."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, ProgressBar, Static

from bundlebench.bundle.make import Cancelled, Job
from bundlebench.errors import BundlebenchError
from bundlebench.tui.paths import PathSuggester
from bundlebench.untrusted import styled

CSS = Path(__file__).with_name("make_dialogs.tcss")


@dataclass(frozen=True)
class PathField:
    """One path to ask for."""

    key: str
    label: str
    value: str = ""
    placeholder: str = ""
    directories_only: bool = False


class PathsDialog(ModalScreen[dict[str, Any] | None]):
    """Ask for one or more host paths (tab completes them); dismiss with
    {key: text, "rootless": bool} or None."""

    CSS_PATH = CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="paths.cancel",
                        tooltip="Close without doing anything")]

    def __init__(self, title: str, note: str, fields: list[PathField], *, action: str,
                 rootless: bool | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.note = note
        self.fields = fields
        self.action = action
        self.rootless = rootless

    def compose(self) -> ComposeResult:
        with Vertical(id="paths-dialog", classes="dialog"):
            yield Static(Text(self.title_text, style="bold"), id="paths-title")
            yield Static(self.note, id="paths-note")
            for field in self.fields:
                yield Label(field.label)
                yield Input(field.value, id=f"path-{field.key}", placeholder=field.placeholder,
                            suggester=PathSuggester(directories_only=field.directories_only))
            if self.rootless is not None:
                yield Checkbox("Rootless config (runs as a plain user)", self.rootless,
                               id="paths-rootless")
            yield Static(id="paths-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.action, variant="primary", id="paths-ok")
                yield Button("Cancel", id="paths-cancel")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def values(self) -> dict[str, Any]:
        """What the dialog would answer now."""
        answer: dict[str, Any] = {field.key: self.query_one(f"#path-{field.key}", Input)
                                  .value.strip() for field in self.fields}
        if self.rootless is not None:
            answer["rootless"] = self.query_one("#paths-rootless", Checkbox).value
        return answer

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self._ok()

    @on(Button.Pressed, "#paths-ok")
    def _ok(self) -> None:
        answer = self.values()
        empty = [field.label for field in self.fields if not answer[field.key]]
        if empty:
            self.query_one("#paths-error", Static).update(
                Text(f"Fill in: {empty[0]}", style="bold red"))
            return
        self.dismiss(answer)

    @on(Button.Pressed, "#paths-cancel")
    def action_cancel(self) -> None:
        """Close without doing anything."""
        self.dismiss(None)


class JobScreen(ModalScreen[Path | None]):
    """Run one job in a thread with a progress bar; Cancel stops it for real.

    Dismisses with the job's result, or None after a failure (told in one sentence,
    kept on screen until closed) or a cancel (the job removed what it had made).
    """

    CSS_PATH = CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="job.cancel",
                        tooltip="Stop the work (nothing is left behind)")]

    def __init__(self, title: str, work: Callable[[Job], Path]) -> None:
        super().__init__()
        self.title_text = title
        self.work = work
        self.cancel = threading.Event()
        self.error: str | None = None
        self.finished = False

    def compose(self) -> ComposeResult:
        with Vertical(id="job-dialog", classes="dialog"):
            yield Static(self.title_text, id="job-title")  # markup: callers escape names
            yield Static("starting…", id="job-status")
            yield ProgressBar(id="job-progress", show_eta=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", variant="error", id="job-cancel")

    def on_mount(self) -> None:
        self.query_one("#job-cancel", Button).focus()
        self._run()

    def on_unmount(self) -> None:
        self.cancel.set()  # the app is closing: the worker cleans up and ends

    @work(thread=True, exclusive=True, group="make", exit_on_error=False)
    def _run(self) -> None:
        job = Job(self._report_from_thread, self.cancel)
        try:
            result: Path | None = self.work(job)
            error = None
        except Cancelled:
            result, error = None, None
        except BundlebenchError as failure:
            result, error = None, str(failure)
        except Exception as failure:  # noqa: BLE001 - a bug is told, never a dead dialog
            result, error = None, f"the job failed unexpectedly: {failure!r}"
        self.app.call_from_thread(self._done, result, error)

    def _report_from_thread(self, what: str, done: int, total: int) -> None:
        self.app.call_from_thread(self._report, what, done, total)

    def _report(self, what: str, done: int, total: int) -> None:
        self.query_one("#job-status", Static).update(styled(what, 70))
        bar = self.query_one("#job-progress", ProgressBar)
        bar.update(total=total or None, progress=done)

    def _done(self, result: Path | None, error: str | None) -> None:
        self.finished = True
        if error is None:
            self.dismiss(result)
            return
        self.error = error
        self.query_one("#job-status", Static).update(
            Text.assemble(("✖ ", "bold red"), styled(error), " Nothing was left behind."))
        button = self.query_one("#job-cancel", Button)
        button.label = "Close"
        button.variant = "primary"

    @on(Button.Pressed, "#job-cancel")
    def action_cancel(self) -> None:
        """Stop the work; once it failed, close the dialog."""
        if self.finished:
            self.dismiss(None)
            return
        self.cancel.set()
        self.query_one("#job-status", Static).update("cancelling… (removing what was made)")
        self.query_one("#job-cancel", Button).disabled = True
