"""The lifecycle view: what the runtime did to set the container up, step by step.

Each row is one event of the runtime's trace.jsonl, in the order the steps began (the
runtime, its first child and the container's init work side by side: AT is when a step
began, PID who did it); the panel under the table explains the highlighted step in our
words (bundlebench.spec.steps) and links to the field of the config the container was
launched with (the runtime's record of it, which may be an edited config that was never
saved): choosing the link opens the config screen at that field. Above the table, the
container's transitions: created, started, paused, resumed, signals, and where it is now.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Static

from bundlebench.containers.story import (
    Lifecycle,
    launched_config,
    read_lifecycle,
    read_steps,
)
from bundlebench.spec.steps import ExplainedStep
from bundlebench.untrusted import styled

# The readers live in bundlebench.containers.story; they stay reachable here, where the
# view looks read_lifecycle up (tests replace it on this module).
__all__ = ["Lifecycle", "LifecycleView", "launched_config", "read_lifecycle", "read_steps"]


class LifecycleView(Vertical):
    """A timeline of one container's setup trace."""

    DEFAULT_CSS = """
    LifecycleView { height: 1fr; }
    LifecycleView DataTable { height: 2fr; }
    LifecycleView #lifecycle-detail { height: auto; max-height: 12; padding: 0 1;
        border-top: solid $panel-lighten-2; }
    LifecycleView #lifecycle-explanation { height: auto; }
    LifecycleView #lifecycle-link-row { height: auto; }
    LifecycleView #lifecycle-pointer { width: 1fr; height: auto; padding: 0 1;
        color: $text-accent; }
    LifecycleView #lifecycle-empty { color: $text-muted; padding: 1 2; }
    LifecycleView #lifecycle-transitions { height: auto; max-height: 6; padding: 0 1;
        border-bottom: solid $panel-lighten-2; }
    """
    BINDINGS = [Binding("g", "open_field", "Go to field", tooltip="Open the config field "
                        "that caused the highlighted step")]

    class OpenField(Message):
        """The user chose a step's config field."""

        def __init__(self, pointer: str) -> None:
            super().__init__()
            self.pointer = pointer

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.steps: list[ExplainedStep] = []
        self.transitions: list[tuple[str, str]] = []
        self.container_id: str | None = None
        self.status: str | None = None
        self._loads = 0  # loads started, and the newest one shown: an older one may
        self._shown_load = 0  # finish after a newer one

    def compose(self) -> ComposeResult:
        yield Static("Select a container to see how the runtime set it up.",
                     id="lifecycle-empty")
        yield Static(id="lifecycle-transitions")
        yield DataTable(id="lifecycle-table", cursor_type="row", zebra_stripes=True)
        with Vertical(id="lifecycle-detail"):
            yield Static(id="lifecycle-explanation")
            with Horizontal(id="lifecycle-link-row"):
                yield Static(id="lifecycle-pointer")
                yield Button("Go to field", id="lifecycle-go", compact=True)

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns("#", "AT ms", "PID", "STEP", "RESULT", "µs",
                                              "SYSCALL")
        self._set_empty(True)

    def _set_empty(self, empty: bool) -> None:
        self.query_one("#lifecycle-empty").display = empty and not self.transitions
        self.query_one("#lifecycle-transitions").display = bool(self.transitions)
        self.query_one(DataTable).display = not empty
        self.query_one("#lifecycle-detail").display = not empty

    def show(self, root: str, container_id: str | None, status: str | None = None) -> None:
        """Load the trace and transitions of ``container_id`` (None: clear)."""
        self.container_id = container_id
        self.status = status
        self._loads += 1
        if container_id is None:
            self._shown_load = self._loads
            self.show_lifecycle(Lifecycle())
            return
        self._load(root, container_id, status, self._loads)

    @work(thread=True, exclusive=True, group="lifecycle", exit_on_error=False)
    def _load(self, root: str, container_id: str, status: str | None, load: int) -> None:
        lifecycle = read_lifecycle(root, container_id, status)
        self.app.call_from_thread(self._loaded, load, container_id, lifecycle)

    def _loaded(self, load: int, container_id: str, lifecycle: Lifecycle) -> None:
        # A thread worker runs to its end even when a newer load replaced it: a reading
        # older than one shown would undo "paused" with a slow read of "running".
        if load >= self._shown_load and container_id == self.container_id:
            self._shown_load = load
            self.show_lifecycle(lifecycle)

    def show_lifecycle(self, lifecycle: Lifecycle) -> None:
        """Show the transitions, then the timeline (kept in place when it is the same)."""
        from bundlebench.containers.control import CREATED_WHY

        self.transitions = lifecycle.transitions
        text = Text()
        for index, (moment, what) in enumerate(lifecycle.transitions):
            if index:
                text.append(" → ", style="dim")
            text.append(f"{moment} ", style="dim")
            text.append(what, style="bold" if moment == "now" else "")
        if self.status == "created":
            text.append("\n" + CREATED_WHY, style="italic")
        self.query_one("#lifecycle-transitions", Static).update(text)
        if lifecycle.steps != self.steps or not lifecycle.steps:
            self.show_steps(lifecycle.steps)
        else:
            self._set_empty(False)

    def show_steps(self, steps: list[ExplainedStep]) -> None:
        """Fill the timeline."""
        self.steps = steps
        table = self.query_one(DataTable)
        table.clear()
        for number, step in enumerate(steps, 1):
            style = "green" if step.ok else "yellow" if step.result == "skipped" else "bold red"
            result = Text(step.result, style=style)
            # The syscall's text holds the config's values (paths, hostname): untrusted.
            at = "" if step.at_ms is None else f"{step.at_ms:.2f}"
            table.add_row(str(number), at, str(step.pid or ""), step.title, result,
                          str(step.micros), styled(step.syscall, 90))
        self._set_empty(not steps)
        if steps:
            self._describe(0)

    @on(DataTable.RowHighlighted, "#lifecycle-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._describe(event.cursor_row)

    def _describe(self, index: int) -> None:
        if not 0 <= index < len(self.steps):
            return
        step = self.steps[index]
        text = Text()
        text.append(f"{step.title}", style="bold")
        text.append("  ")
        text.append_text(styled(step.syscall, 400, style="dim"))
        text.append(f" → {step.result}, {step.micros} µs\n", style="dim")
        text.append(step.explanation)
        self.query_one("#lifecycle-explanation", Static).update(text)
        pointer = step.pointer or "(no config field)"
        shown = Text("caused by ")
        shown.append_text(styled(pointer, 200))  # a pointer may hold the config's own keys
        self.query_one("#lifecycle-pointer", Static).update(shown)
        self.query_one("#lifecycle-go", Button).disabled = not step.pointer

    @property
    def current(self) -> ExplainedStep | None:
        row = self.query_one(DataTable).cursor_row
        return self.steps[row] if 0 <= row < len(self.steps) else None

    @on(Button.Pressed, "#lifecycle-go")
    def _go_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_open_field()

    @on(DataTable.RowSelected, "#lifecycle-table")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_field()

    def action_open_field(self) -> None:
        """Ask the screen to open the highlighted step's config field."""
        step = self.current
        if step is not None and step.pointer:
            self.post_message(self.OpenField(step.pointer))
