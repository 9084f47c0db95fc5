"""The bundlebench Textual app: two screens (rootfs, config) over one bundle."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.actions import parse as parse_action
from textual.app import App
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen

from bundlebench import untrusted
from bundlebench.bundle.model import Bundle
from bundlebench.bundle.rootfs import Rootfs
from bundlebench.errors import BundlebenchError
from bundlebench.format import problem_summary
from bundlebench.spec.problems import Problem
from bundlebench.tui.read_only import refused
from bundlebench.tui.screens.confirm import QuitScreen
from bundlebench.tui.screens.help import HelpScreen
from bundlebench.tui.screens.rootfs import RootfsScreen
from bundlebench.tui.troubles import config_trouble_problem
from bundlebench.tui.widgets.bundle_header import BundleHeader
from bundlebench.untrusted import markup

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.notifications import SeverityLevel

Validator = Callable[[dict[str, Any], Path], list[Problem]]


def default_validator(config: dict[str, Any], bundle_dir: Path) -> list[Problem]:
    """The spec validator (imported on first use: it loads the schema)."""
    from bundlebench.spec.validate import validate

    return validate(config, bundle_dir)


def bundlebench_commands() -> type[Provider]:
    """The palette provider, imported when the palette first opens (it costs 50 ms)."""
    from bundlebench.tui.commands import BundlebenchCommands

    return BundlebenchCommands


def optional_screen(mode: str, module: str, name: str) -> Screen[Any]:
    """The screen class ``name`` of ``module``, or a note while it is not installed."""
    import importlib

    try:
        screen_class = getattr(importlib.import_module(module), name)
    except ModuleNotFoundError as error:
        if error.name != module:
            raise  # the screen is there but broken: show the real error
        from bundlebench.tui.screens.missing import MissingScreen

        return MissingScreen(mode)
    return screen_class()


def config_screen() -> Screen[Any]:
    """Edit config.json field by field, with live validation."""
    return optional_screen("config", "bundlebench.tui.screens.config", "ConfigScreen")


def containers_screen() -> Screen[Any]:
    """Launch the bundle, attach to its terminal, inspect and trace it."""
    return optional_screen("containers", "bundlebench.tui.screens.containers",
                           "ContainersScreen")


def lessons_screen() -> Screen[Any]:
    """Guided lessons: an edit in the editor, a check in a container."""
    return optional_screen("lessons", "bundlebench.tui.screens.lessons", "LessonsScreen")


class BundlebenchApp(App[None]):
    """Browse a bundle's rootfs and edit its config.json.

    Screens talk to the app through three reactives: ``problems`` (None while the
    validator runs), ``dirty`` (the config screen sets it when an edit is not saved)
    and ``validating``; call ``refresh_validation()`` after changing the config.
    With ``read_only`` (classroom mode) nothing is launched, written or typed into a
    container (see bundlebench.tui.read_only).
    """

    TITLE = "bundlebench"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute: subclasses live elsewhere
    MODES = {"rootfs": RootfsScreen, "config": config_screen, "containers": containers_screen,
             "lessons": lessons_screen}
    DEFAULT_MODE = "rootfs"
    COMMANDS = App.COMMANDS | {bundlebench_commands}
    BINDINGS = [
        # The header's tabs show these keys; the footer keeps its room for the screen's.
        Binding("1", "switch_to('rootfs')", "Rootfs", tooltip="Browse the root filesystem",
                show=False),
        Binding("2", "switch_to('config')", "Config", tooltip="Edit config.json", show=False),
        Binding("3", "switch_to('containers')", "Containers",
                tooltip="Launch the bundle, attach, inspect", show=False),
        Binding("4", "switch_to('lessons')", "Lessons",
                tooltip="Guided lessons on what the runtime sets up", show=False),
        Binding("f1", "help", "Help", tooltip="List every key"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+t", "change_theme", "Theme", tooltip="Pick a colour theme"),
        Binding("q", "quit", "Quit", tooltip="Quit (asks first when there are unsaved edits)"),
    ]

    problems: reactive[list[Problem] | None] = reactive(None, always_update=True)
    dirty: reactive[bool] = reactive(False)
    validating: reactive[bool] = reactive(False)

    def __init__(self, bundle: Path | str | Bundle, *, validator: Validator | None = None,
                 read_only: bool = False) -> None:
        self.read_only = read_only
        self.bundle = bundle if isinstance(bundle, Bundle) else Bundle.open(bundle)
        self.validator = validator or default_validator
        self._rootfs: Rootfs | None = None
        if self.bundle.config_trouble is not None:
            self.DEFAULT_MODE = "config"  # open where the repair starts
        super().__init__()
        self.sub_title = self._sub_title(str(self.bundle.path))
        from bundlebench.tui.settings import load_settings

        self.settings, self._settings_notice = load_settings()
        self._settings_applied = False

    @property
    def rootfs(self) -> Rootfs:
        """Safe access to the bundle's rootfs, opened once (BundleError while it is broken:
        ``bundle.rootfs_trouble`` says why)."""
        if self._rootfs is None:
            self._rootfs = self.bundle.rootfs()
        return self._rootfs

    async def open_bundle(self, path: Path | None = None) -> None:
        """Open the bundle at ``path`` (default: this one again, after a repair); the
        screens follow when they are shown."""
        try:
            bundle = Bundle.open(path or self.bundle.path)
        except BundlebenchError as error:
            self.notify(markup(error), title="Not opened", severity="error")
            return
        if self._rootfs is not None:
            self._rootfs.close()
        self.bundle, self._rootfs = bundle, None
        self.sub_title = self._sub_title(str(bundle.path))
        self.dirty = False
        self.refresh_validation()
        follow = getattr(self.screen, "follow_bundle", None)
        if follow is not None:
            await follow()

    def on_mount(self) -> None:
        self._apply_settings()
        # Importing the validator (jsonschema) in a thread holds the GIL for a while:
        # start it once the first screen is painted.
        self.call_after_refresh(self.refresh_validation)

    # -- remembered choices --------------------------------------------------------
    def _apply_settings(self) -> None:
        """Use the theme remembered from the last run; say so when the file was ignored."""
        theme = self.settings.get("theme")
        if theme in self.available_themes:
            self.theme = theme
        self._settings_applied = True
        if self._settings_notice:
            self.notify(self._settings_notice, title="Settings", severity="warning")

    def watch_theme(self, theme: str) -> None:
        if self._settings_applied:
            self.remember("theme", theme)

    def remember(self, key: str, value: Any) -> None:
        """Keep a choice for the next run (in the user's XDG config dir)."""
        from bundlebench.tui.settings import save_setting

        self.settings[key] = value
        trouble = save_setting(key, value)
        if trouble:
            self.notify(trouble, title="Settings", severity="warning")

    # -- validation ----------------------------------------------------------------
    def refresh_validation(self, data: dict[str, Any] | None = None) -> None:
        """Validate the config (``data``, or the bundle's document) in a worker."""
        if data is None and self.bundle.config_trouble is not None:
            self.problems = [config_trouble_problem(self.bundle.config_trouble)]
            return
        snapshot = copy.deepcopy(self.bundle.config.data if data is None else data)
        self.validating = True
        self._validate(snapshot)

    @work(thread=True, exclusive=True, group="validate", exit_on_error=False)
    def _validate(self, data: dict[str, Any]) -> None:
        try:
            problems = self.validator(data, self.bundle.path)
        except Exception as error:  # noqa: BLE001 - a validator bug must not end the app
            problems = [Problem("", "error", f"the validator failed: {error}",
                                "report this as a bug in bundlebench")]
        self.call_from_thread(self._validated, problems)

    def _validated(self, problems: list[Problem]) -> None:
        self.validating = False
        self.problems = problems

    def watch_problems(self, problems: list[Problem] | None) -> None:
        if problems is None:
            return
        errors = sum(p.severity == "error" for p in problems)
        summary = problem_summary(errors, len(problems) - errors)
        self.sub_title = self._sub_title(f"{self.bundle.path} · config.json {summary}")

    def _sub_title(self, text: str) -> str:
        return f"{text} · read-only" if self.read_only else text

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = True) -> None:
        """Every notification is plain text: they quote file names, paths and errors from
        the rootfs or an image, which must be shown and never obeyed (as markup or as
        terminal controls)."""
        super().notify(untrusted.markup(message), title=untrusted.markup(title),
                       severity=severity, timeout=timeout, markup=True)

    async def run_action(self, action: str | Any, default_namespace: Any = None,
                         namespaces: Any = None) -> bool:
        """Run an action; in read-only mode the refused ones are said, not run (every
        key binding and palette command comes through here)."""
        name = parse_action(action)[1] if isinstance(action, str) else action[1]
        if refused(self, name):
            return True
        return await super().run_action(action, default_namespace, namespaces)

    # -- screens -------------------------------------------------------------------
    async def action_switch_to(self, mode: str) -> None:
        """Show one of the screens (rootfs, config, containers, lessons)."""
        if isinstance(self.screen, ModalScreen):
            return
        await self.switch_mode(mode)
        screen = self.screen
        if not screen.query(BundleHeader) and not screen.query("Header"):
            await screen.mount(BundleHeader(mode), before=0)

    # -- making bundles (the palette's commands) ------------------------------------
    def action_new_bundle(self) -> None:
        """Make a new bundle from a rootfs tarball."""
        from bundlebench.tui import make_flow

        make_flow.new_bundle_from_tarball(self)

    def action_unpack_image(self) -> None:
        """Make a new bundle from an OCI image or a docker archive."""
        from bundlebench.tui import make_flow

        make_flow.unpack_image(self)

    def action_write_default_config(self) -> None:
        """Write the default config.json into a bundle directory."""
        from bundlebench.tui import make_flow

        make_flow.write_default_config(self)

    def action_help(self) -> None:
        """Show every key of the current screen and of the app."""
        if isinstance(self.screen, ModalScreen):
            return
        screen_keys: list[tuple[str, str]] = []
        app_keys: list[tuple[str, str]] = []
        seen: set[tuple[str, str]] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.description or not (binding.show or active.node is self):
                continue
            row = (self.get_key_display(binding), binding.description)
            if row in seen:
                continue
            seen.add(row)
            (app_keys if active.node is self else screen_keys).append(row)
        title = f"The {self.current_mode} screen"
        help_text = getattr(self.screen, "HELP", None)
        self.push_screen(HelpScreen(screen_keys, app_keys, title, help_text))

    async def action_quit(self) -> None:
        """Quit; with unsaved config changes, ask first: save and quit, quit, or stay."""
        if not self.dirty:
            self.exit()
            return
        if isinstance(self.screen, QuitScreen):
            return

        def answered(answer: str | None) -> None:
            if answer == "quit" or (answer == "save" and self.save_config()):
                self.exit()

        self.push_screen(QuitScreen("config.json has unsaved changes. Save them before "
                                    "quitting?"), answered)

    def save_config(self) -> bool:
        """Save config.json through the config screen's own save (atomic; it asks when the
        file changed on disk); True when nothing is left unsaved."""
        if refused(self, "save"):
            return False
        try:
            stack = self.get_screen_stack("config")
        except KeyError:  # the config screen was never shown
            stack = []
        saver = next((s for s in stack if hasattr(s, "action_save")), None)
        if saver is not None:
            saver.action_save()
        else:
            try:
                self.bundle.config.save()
                self.dirty = False
            except BundlebenchError as error:
                self.notify(str(error), title="Not saved", severity="error")
        if self.dirty:
            self.notify("config.json was not saved, so bundlebench stays open.",
                        severity="warning")
        return not self.dirty
