"""The lifecycle view: what the runtime did to set the container up, step by step.

Each row is one event of the runtime's trace.jsonl, in the order the steps began (the
runtime, its first child and the container's init work side by side: AT is when a step
began, PID who did it); the panel under the table explains the highlighted step in our
words (bundlebench.spec.steps) and links to the config field that caused it: choosing
the link opens the config screen at that field.
"""

from __future__ import annotations

import json
import os
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Static

from bundlebench.spec.steps import ExplainedStep, explain


def read_steps(root: str, container_id: str, bundle_dir: str | None) -> list[ExplainedStep]:
    """The explained trace of a container, its fields resolved against the bundle's
    config.json (blocking: call from a thread)."""
    from runtime.api import Runtime

    return explain(Runtime(root).trace(container_id), _config(bundle_dir))


def _config(bundle_dir: str | None) -> dict[str, Any] | None:
    if not bundle_dir:
        return None
    try:
        with open(os.path.join(bundle_dir, "config.json"), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


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
        self.container_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Static("Select a container to see how the runtime set it up.",
                     id="lifecycle-empty")
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
        self.query_one("#lifecycle-empty").display = empty
        self.query_one(DataTable).display = not empty
        self.query_one("#lifecycle-detail").display = not empty

    def show(self, root: str, container_id: str | None, bundle_dir: str | None) -> None:
        """Load the trace of ``container_id`` (None: clear)."""
        self.container_id = container_id
        if container_id is None:
            self.show_steps([])
            return
        self._load(root, container_id, bundle_dir)

    @work(thread=True, exclusive=True, group="lifecycle", exit_on_error=False)
    def _load(self, root: str, container_id: str, bundle_dir: str | None) -> None:
        steps = read_steps(root, container_id, bundle_dir)
        self.app.call_from_thread(self.show_steps, steps)

    def show_steps(self, steps: list[ExplainedStep]) -> None:
        """Fill the timeline."""
        self.steps = steps
        table = self.query_one(DataTable)
        table.clear()
        for number, step in enumerate(steps, 1):
            style = "green" if step.ok else "yellow" if step.result == "skipped" else "bold red"
            result = Text(step.result, style=style)
            syscall = step.syscall if len(step.syscall) <= 90 else step.syscall[:89] + "…"
            at = "" if step.at_ms is None else f"{step.at_ms:.2f}"
            table.add_row(str(number), at, str(step.pid or ""), step.title, result,
                          str(step.micros), syscall)
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
        text.append(f"  {step.syscall} → {step.result}, {step.micros} µs\n", style="dim")
        text.append(step.explanation)
        self.query_one("#lifecycle-explanation", Static).update(text)
        pointer = step.pointer or "(no config field)"
        self.query_one("#lifecycle-pointer", Static).update(f"caused by {pointer}")
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
