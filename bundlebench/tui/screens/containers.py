"""The containers screen: launch the bundle, work in its terminal, inspect and trace it.

Left: the containers of this bundle (marked) and of the whole runtime root, polled
every second. Right: the terminal pane attached to the chosen container (plus one tab
per exec'd shell), the inspector, and the lifecycle view. The app never forks
namespaces itself: launches go through the shim, execs through a runtime process.
"""

from __future__ import annotations

import os
from collections import deque
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from bundlebench.containers.launch import runtime_root
from bundlebench.containers.listing import ContainerRow, list_containers
from bundlebench.containers.transports import AttachTransport, PtyTransport, exec_argv
from bundlebench.tui.read_only import refused
from bundlebench.tui.screens.containers_actions import ContainersActions
from bundlebench.tui.widgets.containers_list import ContainersTable
from bundlebench.tui.widgets.inspector import Inspector
from bundlebench.tui.widgets.lifecycle import LifecycleView
from bundlebench.tui.widgets.logs_view import LogsView
from bundlebench.tui.widgets.terminal_pane import TerminalPane
from bundlebench.untrusted import markup, styled, visible
from shim.protocol import ATTACH_SOCKET

POLL_SECONDS = 1.0
MESSAGES_SHOWN = 3


def describe_exit(container_id: str, record: dict[str, Any] | None) -> str:
    """'web exited with code 0' / '... killed by SIGKILL (code 137)' / '... ended'."""
    if not record:
        return f"{container_id} ended (exit status unknown)"
    if record.get("error"):
        return f"{container_id} did not start: {record['error']}"
    code, signal = record.get("exit_code"), record.get("signal")
    if signal:
        return f"{container_id} was killed by {signal} (code {code})"
    return f"{container_id} exited with code {code}"


class ContainersScreen(ContainersActions):
    """Containers of the bundle: launch or create, start, pause, resume, kill, stop,
    delete; terminal, exec, inspect and trace."""

    CSS_PATH = str(Path(__file__).with_name("containers.tcss"))  # subclasses live elsewhere
    HELP = """\
Launch the bundle with l, or create it with c: a dialog asks for the id, an args
override, attach or detach, remove on exit, terminal, root or rootless (and remembers
them per bundle). With unsaved edits you choose: save and launch, or launch the edited
version (config.json stays as it is). The config is validated first; its errors are
listed instead of launching. A created container waits, set up, before execve: r
starts it. S (shift+s) is a step launch: the setup stops before every step, shows
what it will do and what /proc says, and goes on when you say (n, c, r), q abandons it.
p pauses, u resumes, k sends a signal, s stops (TERM, then KILL), d deletes
(a live one is killed, after asking). Enter attaches the terminal pane: ctrl+] gives
the keys back, F1 is this help, the wheel and shift+PgUp/PgDn page through its
scrollback, / searches it, n finds the next match, escape returns to live output. f
hands over the whole terminal (the keys come back where they were), e opens a second
shell. Inspect shows
processes, namespaces, capabilities and mounts; Lifecycle shows each setup step, the
field of the launched config behind it, and the transitions since. Logs (o) shows what
the chosen container wrote, running or stopped, attached or not: F pauses and follows
again, / finds, n and N go to the next and previous match, ctrl+s saves it to a file.
"""
    # The layout changes at these widths: see containers.tcss.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide"), (200, "-wider")]
    BINDINGS = [
        Binding("l", "launch", "Launch…", id="containers.launch",
                tooltip="Validate the config and launch it (asks how)"),
        Binding("c", "create", "Create…", id="containers.create",
                tooltip="Create without starting: it waits in `created` until r"),
        Binding("r", "start", "Start", id="containers.start",
                tooltip="Start a created container"),
        Binding("p", "pause", "Pause", id="containers.pause",
                tooltip="Freeze every process of the container"),
        Binding("u", "resume", "Resume", id="containers.resume",
                tooltip="Thaw a paused container"),
        Binding("k", "kill", "Kill…", id="containers.kill",
                tooltip="Send a signal to the container"),
        Binding("s", "stop", "Stop", id="containers.stop",
                tooltip="SIGTERM, then SIGKILL after a timeout"),
        Binding("d", "delete", "Delete", id="containers.delete",
                tooltip="Delete the container (a live one is killed, after asking)"),
        Binding("a", "attach", "Attach", id="containers.attach",
                tooltip="Attach the terminal pane to the container"),
        Binding("f", "fullscreen", "Full screen", id="containers.fullscreen",
                tooltip="Attach in the whole terminal; ctrl+p ctrl+q comes back"),
        Binding("e", "exec_shell", "Exec shell", id="containers.exec",
                tooltip="A second shell in a new tab"),
        Binding("i", "show_tab('tab-inspect')", "Inspect", id="containers.inspect",
                tooltip="The inspector tab"),
        Binding("t", "show_tab('tab-lifecycle')", "Lifecycle", id="containers.lifecycle",
                tooltip="The setup trace and the transitions"),
        Binding("o", "show_logs", "Logs", id="containers.logs",
                tooltip="What the container wrote: follow, find, save"),
        # Last: at 80 columns the footer keeps the everyday keys; help and palette list it.
        Binding("S", "step_launch", "Step launch", id="containers.step_launch",
                tooltip="Create the bundle stopping before every setup step, and watch "
                "each one in /proc"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.attached_id: str | None = None
        self._select_next: str | None = None
        self._execs = 0
        self._polls = 0  # listings started, and the newest one shown: an older one may
        self._shown_poll = 0  # finish after a newer one
        self._messages: deque[Text] = deque(maxlen=MESSAGES_SHOWN)

    # -- where things are ---------------------------------------------------------------
    @property
    def root(self) -> str:
        return runtime_root(getattr(self.app, "runtime_root", None))

    @property
    def bundle_path(self) -> Path:
        return Path(self.app.bundle.path)

    def list_containers(self) -> list[ContainerRow]:
        """The rows to show (blocking; tests replace it with a fixed list)."""
        return list_containers(self.root, self.bundle_path)

    @property
    def table(self) -> ContainersTable:
        return self.query_one(ContainersTable)

    @property
    def selected(self) -> ContainerRow | None:
        return self.table.selected

    # -- layout -------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="containers-main"):
            with Vertical(id="containers-left"):
                yield ContainersTable(id="containers-table")
                yield Static(id="containers-message")
            with TabbedContent(id="containers-tabs", initial="tab-terminal"):
                with TabPane("Terminal", id="tab-terminal"):
                    yield Static("Launch the bundle (l), or choose a container and press "
                                 "enter to attach.", id="terminal-empty")
                    yield Vertical(id="terminal-holder")
                with TabPane("Inspect", id="tab-inspect"):
                    yield Inspector(id="inspector")
                with TabPane("Lifecycle", id="tab-lifecycle"):
                    yield LifecycleView(id="lifecycle")
                with TabPane("Logs", id="tab-logs"):
                    yield LogsView(id="logs")
        yield Footer()

    def on_mount(self) -> None:
        self.table.border_title = "Containers"
        self.table.border_subtitle = "● this bundle"
        self.poll()
        self.set_interval(POLL_SECONDS, self.poll)

    # -- live status --------------------------------------------------------------------
    async def follow_bundle(self) -> None:
        """The app opened another bundle (or the same one again): list for it now."""
        self.poll()

    async def on_screen_resume(self) -> None:
        self.poll()

    def poll(self) -> None:
        """Read the container list again, off the event loop."""
        self._polls += 1
        self._poll(self._polls)

    @work(thread=True, exclusive=True, group="containers-poll", exit_on_error=False)
    def _poll(self, poll: int) -> None:
        try:
            rows = self.list_containers()
        except Exception as error:  # noqa: BLE001 - one sentence, the screen goes on
            self.app.call_from_thread(self.say, f"cannot list containers: {error}", "error")
            return
        self.app.call_from_thread(self._listed, rows, poll)

    def _listed(self, rows: list[ContainerRow], poll: int | None = None) -> None:
        # A thread worker runs to its end even when a newer poll replaced it: a listing
        # older than one shown would show a paused container running again.
        if poll is not None:
            if poll < self._shown_poll:
                return
            self._shown_poll = poll
        before = self.selected
        self.table.update_rows(rows)
        if self.attached_id and self.attached_id not in self.table.rows_by_id:
            self.call_later(self._attached_gone, self.attached_id)
        if self._select_next in self.table.rows_by_id:
            self.table.select_id(self._select_next)
            self._select_next = None
        after = self.selected
        if after != before:
            self._follow(after)

    @on(DataTable.RowHighlighted, "#containers-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._follow(self.selected)

    def _follow(self, row: ContainerRow | None) -> None:
        """Point the inspector and the lifecycle view at ``row`` (again when its status
        changed: each transition shows there)."""
        self.refresh_bindings()
        self.query_one(Inspector).show_row(row)
        lifecycle = self.query_one(LifecycleView)
        if row is None:
            lifecycle.show(self.root, None)
        elif (lifecycle.container_id, lifecycle.status) != (row.id, row.status_text):
            lifecycle.show(self.root, row.id, row.status_text)
        self._show_logs(row)

    def _show_logs(self, row: ContainerRow | None) -> None:
        """Read ``row``'s log while the Logs tab is shown (not for every row passed)."""
        if self.query_one(TabbedContent).active == "tab-logs":
            self.query_one(LogsView).show(self.root, row.id if row else None)

    @on(TabbedContent.TabActivated, "#containers-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._show_logs(self.selected)

    def reload_lifecycle(self) -> None:
        """Read the shown container's transitions again (one was just noted)."""
        lifecycle = self.query_one(LifecycleView)
        if lifecycle.container_id is not None:
            lifecycle.show(self.root, lifecycle.container_id, lifecycle.status)

    def say(self, message: str, severity: str = "information") -> None:
        """Show a message under the list, below the few before it (actions and their
        outcomes arrive in any order), and as a notification for errors.

        Messages carry ids, paths and the runtime's words about them: every line is
        shown as untrusted text, never as markup.
        """
        style = {"error": "bold red", "warning": "yellow"}.get(severity, "")
        lines = message.split("\n")
        self._messages.append(Text("\n").join(styled(line, 400, style=style)
                                               for line in lines))
        shown = [Text(str(old), style="dim") for old in list(self._messages)[:-1]]
        shown.append(self._messages[-1])
        self.query_one("#containers-message", Static).update(Text("\n").join(shown))
        if severity != "information":
            self.notify("\n".join(markup(line, 400) for line in lines),
                        severity=severity)  # type: ignore[arg-type]

    # -- terminal -----------------------------------------------------------------------
    def state_dir(self, container_id: str) -> str:
        return os.path.join(self.root, container_id)

    def _attachable(self, row: ContainerRow | None) -> bool:
        # The listing may predate the shim's socket by a poll (right after a launch): a
        # stat now settles it.
        return row is not None and (row.attachable or os.path.exists(
            os.path.join(self.state_dir(row.id), ATTACH_SOCKET)))

    async def attach(self, container_id: str, *, focus: bool = True) -> TerminalPane:
        """Attach the terminal pane to a container and (with ``focus``) give it the keys."""
        holder = self.query_one("#terminal-holder")
        await holder.remove_children()
        state_dir = self.state_dir(container_id)
        pane = TerminalPane(lambda rows, cols: AttachTransport(state_dir), id="terminal-pane")
        pane.border_title = markup(container_id, 60)
        self.attached_id = container_id
        self.query_one("#terminal-empty").display = False
        await holder.mount(pane)
        self.query_one(TabbedContent).active = "tab-terminal"
        if focus:
            pane.focus()
        return pane

    async def action_attach(self) -> None:
        if refused(self, "attach"):  # enter on a row comes here without run_action
            return
        row = self.selected
        if not self._attachable(row):
            self.say("Choose a running container that was launched by bundlebench.",
                     "warning")
            return
        await self.attach(row.id)

    @on(DataTable.RowSelected, "#containers-table")
    async def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        await self.action_attach()

    async def _attached_gone(self, container_id: str) -> None:
        """The attached container was deleted: the pane goes, a line says what it was."""
        if self.attached_id != container_id:
            return
        pane = next(iter(self.query("#terminal-pane")), None)
        record = pane.exit_record if isinstance(pane, TerminalPane) else None
        await self.query_one("#terminal-holder").remove_children()
        self.attached_id = None
        ended = describe_exit(container_id, record) if record else f"{container_id} ended"
        empty = self.query_one("#terminal-empty", Static)
        empty.update(styled(f"{ended}; it is gone (deleted). Launch the bundle (l), or "
                            "choose a container and press enter to attach.", 400))
        empty.display = True
        if self.focused is None:
            self.table.focus()

    @on(TerminalPane.Ended)
    def _pane_ended(self, event: TerminalPane.Ended) -> None:
        pane = event.pane
        if pane.id == "terminal-pane" and self.attached_id:
            ended = describe_exit(self.attached_id, event.record)
            pane.border_subtitle = markup(f"{ended} · the container is gone", 120)
            pane.add_class("-ended")
            self.say(ended)
            self.poll()
        elif pane.has_class("exec-pane"):
            code = (event.record or {}).get("exit_code")
            self.say(f"{pane.name} ended with code {code}")

    @on(TerminalPane.Failed)
    def _pane_failed(self, event: TerminalPane.Failed) -> None:
        self.say(f"cannot connect: {event.message}", "error")

    async def action_fullscreen(self) -> None:
        """Hand the whole terminal to the container until ctrl+p ctrl+q."""
        from textual.app import SuspendNotSupported

        from bundlebench.containers.attach import attach_terminal
        from bundlebench.errors import BundlebenchError

        row = self.selected
        if not self._attachable(row):
            self.say("Choose a running container that was launched by bundlebench.",
                     "warning")
            return
        was_attached = self.attached_id == row.id
        focused = self.focused
        pane_had_focus = isinstance(focused, TerminalPane) and focused.id == "terminal-pane"
        await self.query_one("#terminal-holder").remove_children()
        try:
            with self.app.suspend():
                outcome = attach_terminal(self.state_dir(row.id), row.id)
        except SuspendNotSupported:
            self.say("This terminal cannot be handed over (no real terminal).", "warning")
            outcome = None
        except BundlebenchError as error:
            self.say(str(error), "error")
            outcome = None
        if outcome is not None:
            self.say(f"Detached from {row.id}." if outcome.detached
                     else describe_exit(row.id, {"exit_code": outcome.exit_code}))
        self.poll()
        if was_attached or (outcome is not None and outcome.detached):
            await self.attach(row.id, focus=pane_had_focus)
            if pane_had_focus:
                return
        # The keys go back where they were (the list, most often): never to the shell.
        if focused is not None and focused.is_attached and not isinstance(focused,
                                                                          TerminalPane):
            focused.focus()
        else:
            self.table.focus()

    async def action_exec_shell(self) -> None:
        """A second shell in the container, in a new tab."""
        row = self.selected
        if row is None or row.status != "running":
            self.say("Choose a running container to exec a shell in.", "warning")
            return
        self._execs += 1
        argv = exec_argv(self.root, row.id, ["sh"])
        name = f"exec {self._execs} · {visible(row.id, 60)}"
        pane = TerminalPane(lambda rows, cols: PtyTransport(argv, rows, cols),
                            name=name, classes="exec-pane")
        tab_id = f"tab-exec-{self._execs}"
        tabs = self.query_one(TabbedContent)
        await tabs.add_pane(TabPane(f"exec {self._execs}", pane, id=tab_id))
        tabs.active = tab_id
        pane.focus()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def action_show_logs(self) -> None:
        """The Logs tab, reading the chosen container's log, with the keys."""
        self.query_one(TabbedContent).active = "tab-logs"
        self._show_logs(self.selected)
        self.query_one(LogsView).focus_lines()

    # -- lifecycle links ----------------------------------------------------------------
    @on(LifecycleView.OpenField)
    async def _open_field(self, event: LifecycleView.OpenField) -> None:
        await self.open_config_field(event.pointer)

    async def open_config_field(self, pointer: str) -> None:
        """Show ``pointer`` on the config screen when the app has one."""
        app = self.app
        if "config" not in getattr(app, "MODES", {}):
            self.say(f"Caused by the config field {pointer}.")
            return
        switch = getattr(app, "action_switch_to", None)
        if switch is not None:
            await switch("config")
        else:
            await app.switch_mode("config")
        go_to = getattr(app.screen, "go_to", None)
        if go_to is not None:
            await go_to(pointer, focus_value=False)
