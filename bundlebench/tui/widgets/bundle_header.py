"""The header: bundle path, config validity and unsaved changes, kept up to date."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from bundlebench.format import problem_summary
from bundlebench.untrusted import styled

MODES = (("rootfs", "1 Rootfs"), ("config", "2 Config"), ("containers", "3 Containers"),
         ("lessons", "4 Lessons"))
# Below this width the other screens' tabs show their key only, so that the bundle's path
# keeps some room; their tooltips still name them.
FULL_TABS_WIDTH = 110


class BundleHeader(Horizontal):
    """One line at the top of every screen; watches the app's reactives.

    ``mode`` names the screen it sits on; the mode tabs switch screens on click.
    """

    def __init__(self, mode: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = mode

    def compose(self) -> ComposeResult:
        yield Static(Text("bundlebench", style="bold"), id="header-app")
        for mode, label in MODES:
            tab = Static(label, id=f"header-tab-{mode}", classes="header-tab")
            tab.set_class(mode == self.mode, "-active")
            tab.tooltip = f"Switch to the {mode} screen"
            yield tab
        yield Static(id="header-path")
        yield Static(id="header-validity")
        yield Static(id="header-dirty")

    def on_mount(self) -> None:
        app = self.app
        self.query_one("#header-path", Static).update(styled(app.bundle.path, 120))
        self.watch(app, "problems", self._show_validity)
        self.watch(app, "validating", self._show_validity)
        self.watch(app, "dirty", self._show_dirty)

    def _show_validity(self) -> None:
        app = self.app
        widget = self.query_one("#header-validity", Static)
        widget.remove_class("-valid", "-errors", "-warnings", "-checking")
        if app.problems is None:
            widget.update("config.json: checking…")
            widget.add_class("-checking")
            return
        errors = sum(p.severity == "error" for p in app.problems)
        warnings = len(app.problems) - errors
        mark = "✔" if not app.problems else "✖" if errors else "⚠"
        widget.update(f"{mark} config.json {problem_summary(errors, warnings)}")
        widget.add_class("-errors" if errors else "-warnings" if warnings else "-valid")
        widget.tooltip = "Open the config screen (2) to see the problems"

    def _show_dirty(self) -> None:
        widget = self.query_one("#header-dirty", Static)
        widget.update("● unsaved changes" if self.app.dirty else "")
        widget.set_class(self.app.dirty, "-dirty")

    def on_resize(self, event: events.Resize) -> None:
        compact = event.size.width < FULL_TABS_WIDTH
        for mode, label in MODES:
            tab = self.query_one(f"#header-tab-{mode}", Static)
            tab.update(label.split()[0] if compact and mode != self.mode else label)

    async def on_click(self, event: events.Click) -> None:
        widget_id = event.widget.id if event.widget is not None else None
        if widget_id == "header-validity":
            await self.app.run_action("switch_to('config')")
        elif widget_id and widget_id.startswith("header-tab-"):
            await self.app.run_action(f"switch_to({widget_id.removeprefix('header-tab-')!r})")
