"""The containers screen's lifecycle keys: launch or create (asking first), start, pause,
resume, kill with a signal, stop, delete.

Every runtime call runs in a thread worker (bundlebench.containers.control); the screen
hears the outcome in one sentence and polls the list at once, so each transition shows
in the status column and the lifecycle view.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import work
from textual.screen import Screen

from bundlebench.containers import control
from bundlebench.containers.choices import Choices, load_choices, save_choices
from bundlebench.containers.launch import Launched, LaunchOptions, new_container_id
from bundlebench.containers.listing import ContainerRow
from bundlebench.errors import BundlebenchError
from bundlebench.tui.read_only import dimmed, refused
from bundlebench.tui.screens.containers_launch import (
    LaunchAnswer,
    LaunchDialog,
    LaunchRequest,
    UnsavedEditsDialog,
)
from bundlebench.tui.widgets.containers_dialogs import SignalPicker, problems_text
from bundlebench.untrusted import markup

LIVE = ("running", "created", "paused")
# The transitions offered only where they apply: the footer shows what can be done now.
ONLY_WHEN = {"start": "created", "pause": "running", "resume": "paused"}


class ContainersActions(Screen[None]):
    """What the keys do; ContainersScreen provides the list, the panes and ``say``."""

    stop_timeout = 10.0
    root: str
    bundle_path: Path
    _select_next: str | None

    # Provided by ContainersScreen.
    @property
    def selected(self) -> ContainerRow | None:
        raise NotImplementedError

    def say(self, message: str, severity: str = "information") -> None:
        raise NotImplementedError

    def poll(self) -> None:
        raise NotImplementedError

    def reload_lifecycle(self) -> None:
        raise NotImplementedError

    async def attach(self, container_id: str) -> Any:
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if dimmed(self, action):
            return None
        if action in ONLY_WHEN:
            row = self.selected
            return row is not None and row.status == ONLY_WHEN[action]
        return True

    # -- launch and create --------------------------------------------------------------
    def action_launch(self) -> None:
        """Launch the bundle (asking how); with unsaved edits, ask about them first."""
        self._begin(start=True)

    def action_create(self) -> None:
        """Create the container without starting it: it waits in `created`."""
        self._begin(start=False)

    def _begin(self, start: bool) -> None:
        if refused(self, "launch"):
            return
        app: Any = self.app
        if not getattr(app, "dirty", False):
            self._ask_how(start, None)
            return
        edited = copy.deepcopy(app.bundle.config.data)  # what you see is what you launch

        def answered(answer: str | None) -> None:
            if answer == "edited":
                self._ask_how(start, edited)
            elif answer == "save" and self._save_config():
                self._ask_how(start, None)

        self.app.push_screen(UnsavedEditsDialog(), answered)

    def _save_config(self) -> bool:
        """Save through the config screen's own save (atomic, asks if changed on disk)."""
        app: Any = self.app
        saver = next((s for s in app.get_screen_stack("config") if hasattr(s, "action_save")),
                     None) if "config" in getattr(app, "MODES", {}) else None
        if saver is not None:
            saver.action_save()
        else:
            try:
                app.bundle.config.save()
                app.dirty = False
            except BundlebenchError as error:
                self.say(f"Not saved: {error}", "error")
                return False
        if getattr(app, "dirty", False):
            self.say("config.json was not saved, so nothing was launched: answer the "
                     "config screen's question, then launch again.", "warning")
            return False
        return True

    def _ask_how(self, start: bool, edited: dict[str, Any] | None) -> None:
        app: Any = self.app
        config = edited if edited is not None else app.bundle.config.data
        process = config.get("process") if isinstance(config.get("process"), dict) else {}
        args = process.get("args") if isinstance(process.get("args"), list) else []
        choices = load_choices(self.bundle_path) or Choices(
            terminal=bool(process.get("terminal", True)))
        request = LaunchRequest(self.bundle_path, self._suggest_id(),
                                [str(a) for a in args], choices, start=start,
                                edited=edited is not None)

        def answered(answer: LaunchAnswer | None) -> None:
            if answer is not None:
                save_choices(self.bundle_path, answer.choices)
                self.say(("Launching " if start else "Creating ")
                         + answer.options.container_id + "…")
                self._launch(self.bundle_path, self.root, edited, answer.options)

        self.app.push_screen(LaunchDialog(request, self.check_id), answered)

    def check_id(self, container_id: str) -> str | None:
        """Why an id cannot be used for a new container here, or None."""
        return control.check_new_id(self.root, container_id)

    def _suggest_id(self) -> str:
        for _ in range(20):
            candidate = new_container_id(self.bundle_path)
            if self.check_id(candidate) is None:
                return candidate
        return candidate

    @work(thread=True, exclusive=True, group="containers-launch", exit_on_error=False)
    def _launch(self, bundle: Path, root: str, config: dict[str, Any] | None,
                options: LaunchOptions) -> None:
        from bundlebench.containers.launch import launch_bundle

        self._launch_then(lambda: launch_bundle(bundle, root=root, config=config,
                                                options=options),
                          lambda launched: self._launched(launched, options))

    def _launch_then(self, launch: Callable[[], Any], then: Callable[[Any], Any]) -> None:
        """In a launch worker: launch(), then then(result) on the event loop; a refusal
        or failure is said instead."""
        from bundlebench.containers.launch import LaunchRefused

        try:
            result = launch()
        except LaunchRefused as refused:
            self.app.call_from_thread(self.say, problems_text(refused), "error")
            return
        except BundlebenchError as error:
            self.app.call_from_thread(self.say, str(error), "error")
            return
        self.app.call_from_thread(then, result)

    async def _launched(self, launched: Launched, options: LaunchOptions) -> None:
        edited = " with the edited config" if launched.edited else ""
        if options.start:
            self.say(f"Launched {launched.id}{edited} (pid {launched.init_pid}).")
        else:
            self.say(f"Created {launched.id}{edited} (pid {launched.init_pid}): it waits "
                     "before execve; r starts it, a gives the terminal pane the keys.")
        self._select_next = launched.id
        self.poll()
        if options.attach:
            # A created container has nothing to type to yet: the keys stay with the list
            # (r, k, d...), and the pane shows what the process writes once it starts.
            await self.attach(launched.id, focus=options.start)

    # -- step launch ----------------------------------------------------------------------
    def action_step_launch(self) -> None:
        """`create --step` of the bundle, watched stop by stop in the step view; with
        unsaved edits, the edited document (config.json stays as it is), as we say."""
        app: Any = self.app
        edited = copy.deepcopy(app.bundle.config.data) if getattr(app, "dirty", False) else None
        self.say("Step launch" + (" of the edited config (config.json stays as it is)"
                                  if edited is not None else "") + "…")
        self._step_launch(self.bundle_path, self.root, edited)

    @work(thread=True, exclusive=True, group="containers-launch", exit_on_error=False)
    def _step_launch(self, bundle: Path, root: str, config: dict[str, Any] | None) -> None:
        from bundlebench.containers.stepping import step_create

        self._launch_then(lambda: step_create(bundle, root, config=config,
                                              container_id=self._suggest_id()),
                          self._show_steps)

    def _show_steps(self, source: Any) -> None:
        """Push the step view; what it ends with is said here."""
        from bundlebench.tui.screens.step import StepScreen

        def ended(message: str | None) -> None:
            if message:
                self.say(message)
            self.poll()

        self._select_next = source.container_id
        self.poll()
        self.app.push_screen(StepScreen(source, open_field=self.open_config_field), ended)

    async def open_config_field(self, pointer: str) -> None:
        raise NotImplementedError

    # -- start, pause, resume, kill, stop -----------------------------------------------
    def _row(self, statuses: tuple[str, ...], what: str) -> ContainerRow | None:
        row = self.selected
        if row is None or row.status not in statuses:
            self.say(f"Choose a {' or '.join(statuses)} container to {what}.", "warning")
            return None
        return row

    def action_start(self) -> None:
        """Start a created container: its init goes on to execve."""
        if row := self._row(("created",), "start"):
            self._act(lambda: control.start(self.root, row.id), f"Started {row.id}.")

    def action_pause(self) -> None:
        """Freeze every process of a running container."""
        if row := self._row(("running",), "pause"):
            self._act(lambda: control.pause(self.root, row.id), f"Paused {row.id}.")

    def action_resume(self) -> None:
        """Thaw a paused container."""
        if row := self._row(("paused",), "resume"):
            self._act(lambda: control.resume(self.root, row.id), f"Resumed {row.id}.")

    def action_kill(self) -> None:
        """Send a signal, picked from a list, to the container's init."""
        row = self._row(LIVE, "send a signal to")
        if row is None:
            return

        def chosen(signal: str | None) -> None:
            if signal:
                self._act(lambda: control.kill(self.root, row.id, signal),
                          f"Sent SIG{signal} to {row.id}.")

        self.app.push_screen(SignalPicker(row.id), chosen)

    def action_stop(self) -> None:
        """SIGTERM, then SIGKILL when it is still there after a timeout."""
        if row := self._row(LIVE, "stop"):
            self.say(f"Stopping {row.id}…")
            root, timeout = self.root, self.stop_timeout
            self._act(lambda: f"Stopped {row.id} with SIG{control.stop(root, row.id, timeout)}.",
                      None)

    # -- delete -------------------------------------------------------------------------
    def action_delete(self) -> None:
        """Delete a container; one that is still alive is killed, after asking."""
        from bundlebench.tui.screens.confirm import ConfirmScreen

        row = self.selected
        if row is None:
            return
        if row.status == "stopped":
            self.delete(row.id)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete(row.id)

        question = (f"Delete {markup(row.id, 80)}? It is {row.status}: it will be killed "
                    "(delete --force).")
        self.app.push_screen(ConfirmScreen(question, yes="Kill and delete", no="Keep"),
                             answered)

    def delete(self, container_id: str) -> None:
        """Delete a container (killing it first), without asking."""
        self._act(lambda: control.delete(self.root, container_id),
                  f"Deleted {container_id}.")

    # -- running them ---------------------------------------------------------------------
    @work(thread=True, group="containers-act", exit_on_error=False)
    def _act(self, action: Callable[[], str | None], done: str | None) -> None:
        try:
            said = action()
        except BundlebenchError as error:
            self.app.call_from_thread(self.say, str(error), "error")
        else:
            self.app.call_from_thread(self.say, said or done or "Done.")
        self.app.call_from_thread(self.poll)
        # The transition is noted after the runtime call returns, when the status may
        # already have changed (a KILL ends it at once): show the note either way.
        self.app.call_from_thread(self.reload_lifecycle)
