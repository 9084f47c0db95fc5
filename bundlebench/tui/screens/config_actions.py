"""The config screen's file and quick actions: save, changed on disk, rootless, …"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bundlebench.bundle.config import ConfigChangedOnDisk, ConfigError
from bundlebench.edit import ActionError, EditSession, PointerError, actions
from bundlebench.tui.screens.config_validation import LiveValidation
from bundlebench.tui.widgets.config_dialogs import ChangedOnDiskDialog, MountDialog, PromptDialog

if TYPE_CHECKING:
    from bundlebench.lessons.model import Lesson


class ConfigActions(LiveValidation):
    """Save (asking when the file changed on disk) and the palette's quick actions.

    Each quick action is one undo step of the EditSession (bundlebench.edit.actions).
    """

    _problem_index = -1

    # Provided by ConfigScreen, which owns the widgets these actions refresh.
    def _blocked(self) -> bool:
        raise NotImplementedError

    async def _refresh_all(self, target: str | None = None) -> None:
        raise NotImplementedError

    async def go_to(self, pointer: str, *, focus_value: bool = False) -> None:
        raise NotImplementedError

    def action_save(self) -> None:
        """Save config.json; if it changed on disk, ask what to do."""
        if self._blocked():
            return
        session = self._session()
        try:
            session.save()
        except ConfigChangedOnDisk:
            self.app.push_screen(
                ChangedOnDiskDialog(str(session.document.path), session.disk_text(),
                                    session.render()),
                self._changed_on_disk_answer,
            )
            return
        except ConfigError as error:
            self.notify(str(error), title="Not saved", severity="error")
            return
        self._publish()
        errors = sum(p.is_error for p in self.problems)
        note = f" with {errors} error{'s' if errors != 1 else ''} (F8 shows them)" if errors else ""
        self.notify(f"Saved {session.document.path}{note}")

    async def _changed_on_disk_answer(self, answer: str | None) -> None:
        session = self._session()
        try:
            if answer == "reload":
                session.reload()
                self.notify("Reloaded config.json from disk (ctrl+z brings your edits back).")
            elif answer == "overwrite":
                session.save(force=True)
                self.notify(f"Saved {session.document.path} over the other change")
            else:
                return
        except ConfigError as error:
            self.notify(str(error), title="Not done", severity="error")
            return
        await self._refresh_all()
        self._publish()

    def action_next_problem(self) -> None:
        """Jump to the field of the next problem."""
        if not self.problems:
            self.notify("config.json has no problems.")
            return
        self._problem_index = (self._problem_index + 1) % len(self.problems)
        self.panel.highlighted = self._problem_index
        self.call_next(self.go_to, self.problems[self._problem_index].pointer, focus_value=True)

    def namespace_types(self) -> list[str]:
        """The namespace types the config lists (for the palette)."""
        return actions.namespace_types(self._session())

    async def _quick(self, action: Any, *args: Any, done: str = "",
                     target: str | None = None) -> Any:
        if self._blocked():
            return None
        try:
            result = action(self._session(), *args)
        except (ActionError, PointerError) as error:
            self.notify(str(error), title="Not changed", severity="error")
            return None
        if isinstance(result, str) and result.startswith("/"):
            target = result
        await self._refresh_all(target)
        if done:
            self.notify(done + " (ctrl+z undoes it)")
        return result

    async def action_make_rootless(self) -> None:
        """Make the config rootless, as `runc spec --rootless` does."""
        await self._quick(actions.make_rootless, done="Made the config rootless",
                          target="/linux/namespaces")

    async def action_add_namespace(self, name: str) -> None:
        """Add a namespace to linux.namespaces."""
        await self._quick(actions.add_namespace, name, done=f"Added the {name} namespace")

    async def action_remove_namespace(self, name: str) -> None:
        """Remove a namespace from linux.namespaces."""
        await self._quick(actions.remove_namespace, name, done=f"Removed the {name} namespace",
                          target="/linux/namespaces")

    async def action_toggle_readonly_root(self) -> None:
        """Flip root.readonly."""
        await self._quick(actions.toggle_readonly_root, target="/root/readonly",
                          done="Toggled root.readonly")

    def action_set_command(self) -> None:
        """Ask for a command line and set process.args from it."""
        if self._blocked():
            return

        async def answered(text: str | None) -> None:
            if text is not None:
                await self._quick(actions.set_command, text, target="/process/args",
                                  done="Set process.args")

        self.app.push_screen(
            PromptDialog("Set the command", "The program and its arguments, as in a shell: "
                         "quotes group words (sh -c 'echo hi').",
                         actions.command_text(self._session()), "sh -l"),
            answered,
        )

    def action_add_mount(self) -> None:
        """Ask for a mount and append it to mounts."""
        if self._blocked():
            return

        async def answered(fields: dict[str, str] | None) -> None:
            if fields is None:
                return
            options_text = fields["options"].strip()
            options = ([o.strip() for o in options_text.split(",") if o.strip()]
                       if options_text else None)
            await self._quick(actions.add_mount, fields["destination"], fields["source"].strip(),
                              fields["type"].strip(), options, done="Added the mount")

        self.app.push_screen(MountDialog(), answered)

    async def begin_lesson(self, lesson: Lesson) -> bool:
        """Turn the config into ``lesson``'s starting point, as one undoable edit that is
        not saved; show the lesson's field. False when the config cannot be edited."""

        if self._blocked():
            return False
        started = lesson.begin(self._session().data)
        if started == self._session().data:
            await self.go_to(lesson.field)
            self.notify(f"Lesson {lesson.name} begun: the config is already at its starting "
                        "point; now make the edit")
            return True

        def begin(session: EditSession) -> str:
            session.replace_all(started, label=f"Begin lesson {lesson.name}")
            return lesson.field

        done = (f"Lesson {lesson.name} begun: its starting point is in the editor, not saved; "
                "now make the edit")
        return await self._quick(begin, done=done) is not None
