"""The config screen: config.json as a tree, a form per field, live validation."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Button, ContentSwitcher, Footer, Static, Tree

from bundlebench.bundle.make import default_rootless, write_default_config
from bundlebench.bundle.model import Bundle, ConfigTrouble
from bundlebench.edit import EditSession
from bundlebench.edit.pointer import child, nearest_existing, parent, typed_tokens
from bundlebench.edit.values import default_value, summary
from bundlebench.errors import BundlebenchError
from bundlebench.spec.fields import field_schema
from bundlebench.spec.validate import field_label
from bundlebench.tui.read_only import dimmed, refused
from bundlebench.tui.screens.config_actions import ConfigActions
from bundlebench.tui.screens.confirm import ConfirmScreen
from bundlebench.tui.troubles import config_trouble_problem
from bundlebench.tui.widgets.bundle_header import BundleHeader
from bundlebench.tui.widgets.config_commands import ConfigCommands
from bundlebench.tui.widgets.config_docs import FieldDocs
from bundlebench.tui.widgets.config_form import FieldForm
from bundlebench.tui.widgets.config_messages import EditRequest, NavigateRequest
from bundlebench.tui.widgets.config_missing import ConfigMissing
from bundlebench.tui.widgets.config_problems import ProblemsPanel
from bundlebench.tui.widgets.config_raw import RawJsonView
from bundlebench.tui.widgets.config_tree import ConfigTree, problem_marks
from bundlebench.untrusted import markup

HIGHLIGHT_SETTLE_SECONDS = 0.05


class ConfigScreen(ConfigActions):
    """Edit config.json field by field or as raw JSON; every edit is validated at once.

    The screen is a view over an EditSession: it turns widget messages into session
    edits, then shows the new document and the validator's problems. It publishes
    ``app.problems`` and ``app.dirty`` for the header and the quit confirmation.
    """

    CSS_PATH = "config.tcss"
    HELP = """\
In the tree, ← collapses a section (or goes up to its parent) and → expands it (or goes
down to its first child). a adds, x or delete removes (removing a whole section says what
went; ctrl+z brings it back), alt+↑ and alt+↓ reorder an array. ctrl+s saves atomically,
ctrl+z and ctrl+y undo and redo, ctrl+r switches to the raw JSON and back (the view is
remembered for the next run), F8 jumps to the next problem's field.
"""
    COMMANDS: ClassVar[set[Any]] = {ConfigCommands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", tooltip="Save config.json atomically (keeps a .bak)"),
        Binding("ctrl+z", "undo", "Undo", tooltip="Undo the last edit"),
        Binding("ctrl+y,ctrl+shift+z", "redo", "Redo", tooltip="Redo the last undone edit"),
        Binding("ctrl+r", "toggle_raw", "Raw JSON", tooltip="Fields or raw JSON text"),
        Binding("f8", "next_problem", "Next problem", tooltip="Jump to the next problem's field"),
    ]

    DOCUMENT_ACTIONS = frozenset({"save", "undo", "redo", "toggle_raw", "next_problem"})

    def __init__(self) -> None:
        super().__init__()
        self.session: EditSession | None = None
        self._tree_state = -1
        self._raw_state = -1
        self._form_key: tuple[str, int] | None = None
        self._show_lock = asyncio.Lock()
        self._highlight_timer: Timer | None = None
        self._bundle: Bundle | None = None

    # -- layout -----------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield BundleHeader("config")
        with ContentSwitcher(initial="config-fields", id="config-switcher"):
            with Horizontal(id="config-fields"):
                yield ConfigTree(id="config-tree")
                with Vertical(id="config-side"):
                    yield Static(id="config-banner")
                    yield FieldForm(id="field-form")
                    yield FieldDocs(id="field-docs")
            yield RawJsonView(id="config-raw")
            yield ConfigMissing(id="config-missing")
        yield ProblemsPanel(id="problems")
        yield Footer()

    @property
    def tree(self) -> ConfigTree:
        return self.query_one("#config-tree", ConfigTree)

    @property
    def form(self) -> FieldForm:
        return self.query_one("#field-form", FieldForm)

    @property
    def raw(self) -> RawJsonView:
        return self.query_one("#config-raw", RawJsonView)

    @property
    def panel(self) -> ProblemsPanel:
        return self.query_one("#problems", ProblemsPanel)

    @property
    def showing_raw(self) -> bool:
        return self.query_one(ContentSwitcher).current == "config-raw"

    async def on_mount(self) -> None:
        self.watch_app_problems()
        await self.follow_bundle()

    async def on_screen_resume(self) -> None:
        await self.follow_bundle()

    async def follow_bundle(self) -> None:
        """Show the app's bundle (again, when the app opened another or reloaded it)."""
        bundle = self.app.bundle  # type: ignore[attr-defined]
        if bundle is self._bundle:
            return
        self._bundle = bundle
        self.session = EditSession(bundle.config)
        self._tree_state = self._raw_state = -1
        self._form_key = None
        self.query_one("#config-banner").display = False
        self.form.disabled = self.tree.disabled = False
        trouble = bundle.config_trouble
        self._load_tree("")
        await self.show_field("")
        switcher = self.query_one(ContentSwitcher)
        if trouble is None:
            self.raw.load(self._session().render())
            switcher.current = "config-fields"
            self._validate()
            self.tree.focus()
            if getattr(self.app, "settings", {}).get("config_view") == "raw":
                await self.action_toggle_raw()  # the view chosen last time
            return
        self._show_problems([config_trouble_problem(trouble)])
        if trouble.kind == "missing":
            missing = self.query_one(ConfigMissing)
            missing.show(trouble.message, rootless=default_rootless())
            switcher.current = "config-missing"
            missing.query_one(Button).focus()
            return
        self.raw.show_broken(trouble.text, trouble.reason, trouble.line, trouble.column)
        self._raw_invalid(self.raw.error)  # type: ignore[arg-type]
        self.tree.disabled = True
        switcher.current = "config-raw"
        self.raw.text_area.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if dimmed(self, action):
            return None
        # Without a config.json there is nothing to save, undo or show as text yet.
        trouble = self.config_trouble
        if trouble is not None and trouble.kind == "missing":
            return action not in self.DOCUMENT_ACTIONS
        return True

    @property
    def config_trouble(self) -> ConfigTrouble | None:
        return self.app.bundle.config_trouble  # type: ignore[attr-defined]

    @on(ConfigMissing.WriteDefault)
    def _write_default(self, event: ConfigMissing.WriteDefault) -> None:
        event.stop()
        if refused(self, "write_default_config"):
            return
        rootless = default_rootless()
        path = self.app.bundle.path  # type: ignore[attr-defined]

        async def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                write_default_config(path, rootless=rootless)
            except BundlebenchError as error:
                self.notify(markup(error), title="Not written", severity="error")
                return
            self.notify("Wrote the default config.json" + (" (rootless)" if rootless else ""))
            await self.app.open_bundle()  # type: ignore[attr-defined]
            self.refresh_bindings()

        kind = "rootless " if rootless else ""
        self.app.push_screen(ConfirmScreen(
            f"Write the default {kind}config.json into {markup(path)}?",
            yes="Write it", no="Not now"), answered)

    # -- showing ----------------------------------------------------------------------

    def _load_tree(self, cursor: str | None = None) -> None:
        session = self._session()
        self.tree.load(session.data, problem_marks(self.problems), cursor)
        self._tree_state = session.state

    async def show_field(self, pointer: str, *, force: bool = False) -> None:
        """Show the form and documentation of ``pointer``."""
        # Key bindings, messages and tests may all ask at once: one rebuild at a time.
        async with self._show_lock:
            session = self._session()
            if not session.exists(pointer):
                pointer = nearest_existing(session.data, pointer)
            key = (pointer, session.state)
            if key == self._form_key and not force:
                return
            if self._form_key is None or self._form_key[0] != pointer:
                session.seal()
            self._form_key = key
            value = session.get(pointer)
            schema = field_schema(pointer)
            in_array = bool(pointer) and isinstance(session.get(parent(pointer)), list)
            tokens = typed_tokens(session.data, pointer)
            await self.form.show(pointer, value, schema, self.problems_for(pointer),
                                 in_array=in_array,
                                 label=field_label(tokens) if tokens else "config.json")
            self.query_one(FieldDocs).show(pointer, schema, value)
            self.form.disabled = self.raw.error is not None

    @on(Tree.NodeHighlighted, "#config-tree")
    def _node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node is not self.tree.cursor_node:
            return  # the cursor moved on; a later message shows where it is now
        # Rebuilding the form takes a few frames: while the cursor keeps moving
        # (a held arrow key), wait until it rests.
        if self._highlight_timer is not None:
            self._highlight_timer.stop()
        self._highlight_timer = self.set_timer(HIGHLIGHT_SETTLE_SECONDS, self._show_cursor)

    async def _show_cursor(self) -> None:
        self._highlight_timer = None
        pointer = self.tree.cursor_pointer
        if self.session is not None and self.session.exists(pointer):
            await self.show_field(pointer)

    async def _refresh_all(self, target: str | None = None) -> None:
        """Show the document after an edit that changed its shape."""
        session = self._session()
        target = self.form.pointer if target is None else target
        target = nearest_existing(session.data, target)
        self._validate()
        if self.showing_raw:
            self._sync_raw()
        self._load_tree(target)
        await self.show_field(target, force=True)

    def _sync_raw(self) -> None:
        session = self._session()
        if self._raw_state != session.state and self.raw.error is None:
            self.raw.load(session.render())
            self._raw_state = session.state

    @on(NavigateRequest)
    async def _navigate(self, event: NavigateRequest) -> None:
        event.stop()
        await self.go_to(event.pointer, focus_value=event.focus_value)

    async def go_to(self, pointer: str, *, focus_value: bool = False) -> None:
        """Select the field at ``pointer`` (or its closest existing parent)."""
        if self.showing_raw:
            await self.action_toggle_raw()
        target = self.tree.select_pointer(nearest_existing(self._session().data, pointer))
        await self.show_field(target)
        if focus_value:
            self.form.focus_value()

    # -- edits ------------------------------------------------------------------------

    def _blocked(self) -> bool:
        trouble = self.config_trouble
        if trouble is not None and trouble.kind == "missing":
            self.notify("There is no config.json yet: write the default one first.",
                        title="No config.json", severity="warning")
            return True
        error = self.raw.error
        if error is None:
            return False
        self.notify(
            f"The raw JSON has an error at line {error.line}, column {error.column}: fix it "
            "there first (ctrl+r), or undo it in the text.",
            title="Raw JSON is invalid", severity="warning",
        )
        return True

    @on(EditRequest)
    async def _edit_request(self, event: EditRequest) -> None:
        event.stop()
        await self.apply_edit(event.action, event.pointer, event.value, merge=event.merge)

    async def apply_edit(self, action: str, pointer: str, value: Any = None, *,
                         merge: bool = False) -> None:
        """Apply one field edit from the form or the tree, then show its effect."""
        if self._blocked():
            return
        session = self._session()
        target: str | None = None
        tree_fresh = self._tree_state == session.state
        try:
            if action == "set":
                existed = session.exists(pointer)
                old = session.get(pointer) if existed else None
                if existed and _same(old, value):
                    return
                session.set(pointer, value, merge=merge)
                scalar = not isinstance(old, dict | list) and not isinstance(value, dict | list)
                if existed and scalar and tree_fresh and self.tree.update_value(pointer, value):
                    self._after_light_edit()
                    return
            elif action == "add":
                added = session.add(pointer, value)
                stay = isinstance(session.get(parent(added)), list) and not isinstance(
                    value, dict | list)
                target = None if stay else added
            elif action == "remove":
                if self.form.pointer == pointer:
                    target = parent(pointer)
                removed = session.get(pointer) if session.exists(pointer) else None
                name = field_label(typed_tokens(session.data, pointer))
                session.remove(pointer)
                if isinstance(removed, dict | list):
                    # A whole section goes at one key: say what went and how to get it back.
                    self.notify(f"Removed {name} {summary(removed)}: ctrl+z brings it back.",
                                title="Removed", markup=False)
            elif action == "move":
                if self.form.pointer == pointer:
                    target = value
                session.move(pointer, value)
        except BundlebenchError as error:
            self.notify(str(error), title="Not changed", severity="error")
            return
        await self._refresh_all(target)
        if action == "add" and target is not None:
            self.form.focus_value()  # a new field is there to be filled in

    def _after_light_edit(self) -> None:
        """A scalar changed in place: relabel, revalidate, no rebuild (typing stays fast)."""
        session = self._session()
        self._tree_state = session.state
        self._form_key = (self.form.pointer, session.state)
        # A namespace's type picks its what-if: the panel follows the value.
        if session.exists(self.form.pointer):
            self.query_one(FieldDocs).value_changed(session.get(self.form.pointer))
        self._validate()
        if self.showing_raw:
            self._sync_raw()

    @on(ConfigTree.Request)
    async def _tree_request(self, event: ConfigTree.Request) -> None:
        event.stop()
        session = self._session()
        pointer = event.pointer
        value = session.get(pointer)
        container = session.get(parent(pointer)) if pointer else None
        if event.action == "add":
            if isinstance(value, list):
                schema = field_schema(child(pointer, "*"))
                await self.apply_edit("add", child(pointer, "-"), default_value(schema, value))
            elif isinstance(value, dict):
                await self.show_field(pointer)
                self.form.focus_value()
            else:
                self.notify("Select an array or an object to add to.", severity="warning")
        elif event.action == "remove" and pointer:
            await self.apply_edit("remove", pointer)
        elif event.action in ("up", "down") and isinstance(container, list):
            index = int(pointer.rsplit("/", 1)[1])
            new = index - 1 if event.action == "up" else index + 1
            if 0 <= new < len(container):
                await self.apply_edit("move", pointer, child(parent(pointer), new))
            else:
                self.app.bell()
        else:
            self.app.bell()

    # -- raw JSON ---------------------------------------------------------------------

    @on(RawJsonView.Parsed)
    def _raw_parsed(self, event: RawJsonView.Parsed) -> None:
        event.stop()
        session = self._session()
        self.query_one("#config-banner").display = False
        self.form.disabled = self.tree.disabled = False
        if self.config_trouble is not None:  # the broken file parses now: fields come back
            self.app.bundle.config_repaired()  # type: ignore[attr-defined]
        session.replace_all(event.data, label="Edit the raw JSON", merge=True)
        self._raw_state = session.state
        self._validate()

    @on(RawJsonView.Invalid)
    def _raw_invalid(self, event: RawJsonView.Invalid) -> None:
        event.stop()
        banner = self.query_one("#config-banner", Static)
        after = ("config.json did not parse when it was opened: the fields wait until the "
                 "text parses (ctrl+r shows it)" if self.raw.never_parsed else
                 "The fields show the last valid config and are read-only until it is fixed "
                 "(ctrl+r shows the text)")
        banner.update(Text(
            f"✖ The raw JSON has an error at line {event.line}, column {event.column}: "
            f"{event.message}. {after}."))
        banner.display = True
        self.form.disabled = True

    async def action_toggle_raw(self) -> None:
        """Switch between the fields and the raw JSON text."""
        if self._blocked_by_missing():
            return
        switcher = self.query_one(ContentSwitcher)
        self._session().seal()  # typing on the other side is a new undo step
        if self.showing_raw:
            switcher.current = "config-fields"
            if self._tree_state != self._session().state:
                await self._refresh_all()
            self.tree.focus()
        else:
            self._sync_raw()
            switcher.current = "config-raw"
            self.raw.text_area.focus()
        remember = getattr(self.app, "remember", None)
        if remember is not None:
            remember("config_view", "raw" if self.showing_raw else "fields")

    def _blocked_by_missing(self) -> bool:
        trouble = self.config_trouble
        return trouble is not None and trouble.kind == "missing" and self._blocked()

    # -- undo, redo -------------------------------------------------------------------

    async def action_undo(self) -> None:
        """Undo the last edit."""
        if self._blocked():
            return
        label = self._session().undo()
        if label is None:
            self.notify("Nothing to undo.")
            return
        self.notify(f"Undone: {label}")
        await self._refresh_keeping_focus()

    async def action_redo(self) -> None:
        """Redo the last undone edit."""
        if self._blocked():
            return
        label = self._session().redo()
        if label is None:
            self.notify("Nothing to redo.")
            return
        self.notify(f"Redone: {label}")
        await self._refresh_keeping_focus()

    async def _refresh_keeping_focus(self) -> None:
        in_form = self.focused is not None and self.form in self.focused.ancestors_with_self
        await self._refresh_all()
        if in_form:
            self.form.focus_value()


def _same(old: Any, new: Any) -> bool:
    return type(old) is type(new) and old == new
