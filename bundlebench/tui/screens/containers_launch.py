"""The dialogs before a launch: what to do with unsaved edits, and how to launch.

LaunchDialog asks for the container id (checked as you type against the runtime's id
rules and the containers on the root), an args override, attach or detach, remove on
exit, terminal on or off, root or rootless; it dismisses with LaunchOptions and the
Choices to remember, or None. UnsavedEditsDialog dismisses with "save", "edited" or
"cancel".
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, RadioButton, RadioSet, Static

from bundlebench.containers.choices import Choices
from bundlebench.containers.launch import LaunchOptions
from bundlebench.untrusted import styled

CSS = str(Path(__file__).with_name("containers_launch.tcss"))


@dataclass
class LaunchRequest:
    """What the launch dialog was opened for."""

    bundle: Path
    suggested_id: str
    config_args: list[str]
    choices: Choices
    start: bool = True  # False: create only; the container waits in `created`
    edited: bool = False  # the config has unsaved edits that go with this launch


@dataclass
class LaunchAnswer:
    options: LaunchOptions
    choices: Choices


class LaunchDialog(ModalScreen[LaunchAnswer | None]):
    """How to launch the bundle; every field starts at the bundle's last choices."""

    CSS_PATH = CSS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="launch.cancel"),
        Binding("ctrl+s", "submit", "Launch", id="launch.submit",
                tooltip="Launch with these choices"),
    ]

    def __init__(self, request: LaunchRequest, check_id: Callable[[str], str | None]) -> None:
        super().__init__()
        self.request = request
        self.check_id = check_id

    # -- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        request, choices = self.request, self.request.choices
        verb = "Launch" if request.start else "Create"
        with Vertical(id="launch-dialog"):
            title = Text(f"{verb} ", style="bold")
            title.append_text(styled(request.bundle.name or str(request.bundle), 60,
                                     style="bold"))
            yield Label(title, id="launch-title")
            if not request.start:
                yield Static("It stays created, set up and waiting before execve, "
                             "until you start it (r).", classes="launch-note")
            if request.edited:
                yield Static("With your unsaved edits; config.json stays as it is.",
                             classes="launch-note", id="launch-edited")
            with Horizontal(classes="launch-row"):
                yield Label("Id", classes="launch-label")
                yield Input(request.suggested_id, id="launch-id", compact=True,
                            max_length=1024)
            yield Static(id="launch-id-check")
            with Horizontal(classes="launch-row"):
                yield Label("Args", classes="launch-label")
                yield Input(choices.args, id="launch-args", compact=True,
                            placeholder=shlex.join(request.config_args) or "process.args")
            yield Static(id="launch-args-check")
            with Horizontal(classes="launch-row"):
                with Vertical(classes="launch-column"):
                    yield Checkbox("Attach the terminal pane", choices.attach,
                                   id="launch-attach", compact=True)
                    yield Checkbox("Remove when it exits", choices.remove_on_exit,
                                   id="launch-rm", compact=True)
                    yield Checkbox("Terminal (process.terminal)", choices.terminal,
                                   id="launch-terminal", compact=True)
                with RadioSet(id="launch-user", compact=True):
                    yield RadioButton("as root (the config as it is)",
                                      not choices.rootless, id="launch-root", compact=True)
                    yield RadioButton("rootless (user namespace)", choices.rootless,
                                      id="launch-rootless", compact=True)
            with Horizontal(id="launch-buttons"):
                yield Button(verb, variant="primary", id="launch-go", compact=True)
                yield Button("Cancel", id="launch-cancel", compact=True)

    def on_mount(self) -> None:
        self._check()
        self.query_one("#launch-id", Input).focus()

    # -- checks -------------------------------------------------------------------------
    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self._check()

    def _check(self) -> bool:
        """Show what is wrong with the id and args; True when both are usable."""
        problem = self.check_id(self.container_id)
        id_check = self.query_one("#launch-id-check", Static)
        id_check.update(styled(problem, 200) if problem else Text("✓ a new id", style="green"))
        id_check.set_class(bool(problem), "launch-bad")
        args_problem = None
        try:
            self.args  # noqa: B018 - parsing is the check
        except ValueError as error:
            args_problem = f"args: {error} (quote as in a shell)"
        args_check = self.query_one("#launch-args-check", Static)
        args_check.update(args_problem or "empty: process.args of the config")
        args_check.set_class(bool(args_problem), "launch-bad")
        ok = problem is None and args_problem is None
        self.query_one("#launch-go", Button).disabled = not ok
        return ok

    @property
    def container_id(self) -> str:
        return self.query_one("#launch-id", Input).value.strip()

    @property
    def args(self) -> list[str]:
        """The args override as words (ValueError: unbalanced quotes)."""
        return shlex.split(self.query_one("#launch-args", Input).value)

    # -- answers ------------------------------------------------------------------------
    def _checked(self, widget_id: str) -> bool:
        return self.query_one(f"#{widget_id}", Checkbox).value

    def answer(self) -> LaunchAnswer:
        """The choices as they stand (call only when ``_check()`` holds)."""
        rootless = self.query_one("#launch-rootless", RadioButton).value
        choices = Choices(args=self.query_one("#launch-args", Input).value.strip(),
                          attach=self._checked("launch-attach"),
                          remove_on_exit=self._checked("launch-rm"),
                          terminal=self._checked("launch-terminal"), rootless=rootless)
        options = LaunchOptions(container_id=self.container_id, args=self.args or None,
                                terminal=choices.terminal, rootless=rootless,
                                start=self.request.start, attach=choices.attach,
                                remove_on_exit=choices.remove_on_exit)
        return LaunchAnswer(options, choices)

    def action_submit(self) -> None:
        if self._check():
            self.dismiss(self.answer())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "launch-go":
            self.action_submit()
        else:
            self.action_cancel()


class UnsavedEditsDialog(ModalScreen[str]):
    """config.json has unsaved edits: save and launch, launch them unsaved, or cancel."""

    CSS_PATH = CSS
    BINDINGS = [
        Binding("s", "dismiss('save')", "Save and launch", id="unsaved.save"),
        Binding("e", "dismiss('edited')", "Launch unsaved", id="unsaved.edited"),
        Binding("escape,c", "dismiss('cancel')", "Cancel", id="unsaved.cancel"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="unsaved-dialog"):
            yield Label(Text("config.json has unsaved edits", style="bold"))
            yield Static("Save them first, or launch this edited version without saving: "
                         "the edited config goes with the container, the bundle's files "
                         "stay as they are.")
            with Horizontal(id="unsaved-buttons"):
                yield Button("Save and launch", variant="primary", id="save", compact=True)
                yield Button("Launch unsaved", variant="warning", id="edited", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#save", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id or "cancel")
