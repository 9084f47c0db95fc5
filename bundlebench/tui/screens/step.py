"""The step view: a container's setup, stopped before each step like a debugger.

Pushed over the containers screen by "Step launch" (S). At each stop it shows the step
about to run (title, syscall, the config field behind it, what the kernel will do), which
process stopped, and that process as /proc shows it, the mounts changed since the last
stop marked. The stops come from a StepSource (bundlebench.containers.stepping); every
wait, answer and /proc read runs in a thread worker.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from bundlebench.containers.proc_view import ProcessView, mount_diff, read_process
from bundlebench.containers.stepping import StepSource, StopLike
from bundlebench.errors import BundlebenchError
from bundlebench.spec.steps import ExplainedStep, explain
from bundlebench.tui.widgets.step_text import pointer_text, process_text, stop_text
from bundlebench.untrusted import markup, styled

# A stop waits --step-timeout (300 s) for an answer, then (with --step-destroy) gives the
# container up: while the view shows a stop it answers `look` this often, which keeps the
# stop and its deadline fresh, and reads /proc again. An app that went away stops doing so.
KEEP_ALIVE_SECONDS = 30.0
# Actions that answer a stop.
AT_A_STOP = {"next", "continue", "run_to", "explain", "open_field"}


class StepScreen(Screen[str | None]):
    """One stepped container's stops; dismissed with a sentence for the containers screen."""

    CSS_PATH = str(Path(__file__).with_name("step.tcss"))
    HELP = """\
The container's setup stops before each step. n takes this step and stops before the
next, c takes every step from here without stopping, r runs to the next step of a
kind you pick (mount, pivot_root, seccomp...). The panel shows the process that stopped
as /proc sees it now: its namespaces (private, or the host's), its mounts (+ new since
the last stop, - gone), ids, cgroup, capabilities and limits. e explains the step and
its config field, g opens the field in the config screen. When create is done the init
waits for start: s starts it, and its last stops (seccomp, exec) follow. q abandons:
the setup fails here and the runtime removes everything of the container.
"""
    BINDINGS = [
        Binding("n", "next", "Next", id="step.next",
                tooltip="Take this step and stop before the next"),
        Binding("c", "continue", "Continue", id="step.continue",
                tooltip="Take every remaining step without stopping"),
        Binding("r", "run_to", "Run to…", id="step.run_to",
                tooltip="Stop next before a step of the kind you pick"),
        Binding("q", "abandon", "Abandon", id="step.abandon",
                tooltip="Fail the setup here: nothing of the container is left"),
        Binding("e", "explain", "Explain", id="step.explain",
                tooltip="The step and its config field explained"),
        Binding("g", "open_field", "Go to field", id="step.field",
                tooltip="Open the config field behind this step"),
        Binding("s", "start", "Start", id="step.start",
                tooltip="Start the created container: its last stops follow"),
    ]

    def __init__(self, source: StepSource,
                 reader: Callable[[int], ProcessView] = read_process,
                 open_field: Callable[[str], Awaitable[None]] | None = None) -> None:
        super().__init__()
        self.source = source
        self.reader = reader
        self.open_field = open_field
        self.stop: StopLike | None = None
        self.step: ExplainedStep | None = None
        self.created = False
        self.ending = False
        self.view: ProcessView | None = None
        self._last_mounts: list[str] | None = None  # the newest stop's, and the one
        self._before: ProcessView | None = None  # before it: what the diff is against
        self._base_mounts: list[str] | None = None
        self._base: ProcessView | None = None
        self._number: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="step-head"):
            yield Static("Waiting for the first stop…", id="step-stop")
            yield Static(id="step-pointer")
        with VerticalScroll(id="step-process"):
            yield Static(id="step-proc")
        yield Static(id="step-status")
        yield Footer()

    def on_mount(self) -> None:
        head = self.query_one("#step-head")
        head.border_title = f"Step launch · {markup(self.source.container_id, 40)}"
        self.query_one("#step-process").border_title = "The stopped process (/proc)"
        self._go(None, None)
        self.set_interval(KEEP_ALIVE_SECONDS, self._keep_alive)

    def _keep_alive(self) -> None:
        if self.stop is not None and not self.ending:
            stop, self.stop = self.stop, None
            self._go(stop, "look")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.ending:
            return action not in AT_A_STOP | {"start", "abandon"} or None
        if action in AT_A_STOP:
            if action == "open_field" and self.step is not None and not self.step.pointer:
                return None
            return self.stop is not None or None
        if action == "start":
            return self.created  # hidden until create is done
        return True

    # -- stops ----------------------------------------------------------------------------
    def say(self, message: str, style: str = "") -> None:
        self.query_one("#step-status", Static).update(styled(message, 400, style=style))

    @work(thread=True, exclusive=True, group="step-wait", exit_on_error=False)
    def _go(self, stop: StopLike | None, command: str | None) -> None:
        """Answer ``stop`` (when given) and wait for the next one."""
        try:
            if stop is not None and command:
                stop.send(command)
            result = self.source.wait()
        except BundlebenchError as error:
            self.app.call_from_thread(self.say, str(error), "bold red")
            return
        self.app.call_from_thread(self._arrived, result)

    def _answer(self, command: str) -> None:
        stop, self.stop = self.stop, None  # answered once: the keys wait for the next
        self.refresh_bindings()
        self.say(f"sent: {command}; waiting for the next stop…")
        self._go(stop, command)

    def _arrived(self, result: StopLike | str | None) -> None:
        if self.ending:
            return
        if result is None:
            self._end(f"{self.source.container_id}: no more stops; its process runs "
                      "(or it has ended).")
            return
        if isinstance(result, str):
            self.created = True
            self.refresh_bindings()
            self.say("Created: the init waits for start. s starts it; its last stops "
                     "(seccomp, exec) come after. q deletes it.", "bold")
            return
        if result.number != self._number:  # a new stop, not the same one looked at again
            self._number = result.number
            self._base_mounts, self._base = self._last_mounts, self._before
        self.stop = result
        event = {"step": result.step, "syscall": result.syscall, "pid": result.pid}
        self.step = explain([event], self.source.config)[0]
        self.query_one("#step-stop", Static).update(
            stop_text(result.number, result.stage, result.pid, self.step))
        self.query_one("#step-pointer", Static).update(pointer_text(self.step.pointer))
        self.say("")
        self.refresh_bindings()
        self._read(result.pid)

    @work(thread=True, exclusive=True, group="step-proc", exit_on_error=False)
    def _read(self, pid: int) -> None:
        view = self.reader(pid)
        self.app.call_from_thread(self._show_process, view)

    def _show_process(self, view: ProcessView) -> None:
        diff = mount_diff(self._base_mounts, view.mounts)
        self.query_one("#step-proc", Static).update(process_text(view, self._base, diff))
        self.view = view
        if not view.gone:
            self._last_mounts = view.mounts
            self._before = view

    def _end(self, message: str) -> None:
        self.ending = True
        self.refresh_bindings()
        self.dismiss(message)

    # -- keys -------------------------------------------------------------------------------
    def action_next(self) -> None:
        if self.stop is not None:
            self._answer("next")

    def action_continue(self) -> None:
        if self.stop is not None:
            self._answer("continue")

    def action_run_to(self) -> None:
        from bundlebench.tui.widgets.step_dialogs import StepKindPicker

        def chosen(kind: str | None) -> None:
            if kind and self.stop is not None:
                self._answer(f"to {kind}")

        self.app.push_screen(StepKindPicker(), chosen)

    def action_explain(self) -> None:
        from bundlebench.tui.widgets.step_dialogs import StepExplainScreen

        if self.step is not None:
            self.app.push_screen(StepExplainScreen(self.step))

    async def action_open_field(self) -> None:
        if self.step is None or not self.step.pointer:
            return
        app: Any = self.app
        if self.open_field is None or "config" not in getattr(app, "MODES", {}):
            self.say(f"Caused by the config field {self.step.pointer}.")
            return
        await self.open_field(self.step.pointer)

    def action_start(self) -> None:
        if self.created:
            self.created = False
            self.refresh_bindings()
            self.say("Starting…")
            self._start()

    @work(thread=True, exclusive=True, group="step-wait", exit_on_error=False)
    def _start(self) -> None:
        try:
            self.source.start()
            result = self.source.wait()
        except BundlebenchError as error:
            self.app.call_from_thread(self.say, str(error), "bold red")
            return
        self.app.call_from_thread(self._arrived, result)

    def action_abandon(self) -> None:
        held, self.stop = self.stop, None
        self.ending = True
        self.refresh_bindings()
        self.say("Abandoning: the setup fails here and the runtime cleans up…")
        self._abandon(held)

    @work(thread=True, exclusive=True, group="step-abandon", exit_on_error=False)
    def _abandon(self, held: StopLike | None) -> None:
        name = self.source.container_id
        try:
            self.source.abandon(held)
        except BundlebenchError as error:
            self.app.call_from_thread(self.dismiss, f"{name}: abandoning failed: {error}")
            return
        self.app.call_from_thread(self.dismiss, f"Abandoned {name}: the setup failed at "
                                  "your stop and nothing of it is left.")
