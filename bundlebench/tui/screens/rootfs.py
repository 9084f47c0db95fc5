"""The rootfs screen: a lazy tree, the selected entry's details, a preview, a filter."""

from __future__ import annotations

import asyncio
import posixpath
import threading
import time

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, Input
from textual.worker import get_current_worker

from bundlebench.bundle.filter_walk import Match, filter_walk
from bundlebench.bundle.model import RootfsTrouble
from bundlebench.bundle.preview import preview_file
from bundlebench.bundle.rootfs import Rootfs, RootfsError
from bundlebench.bundle.walk import SizeProgress, directory_size
from bundlebench.format import normalize_path, plural
from bundlebench.tui.breathe import BreathingEvent
from bundlebench.tui.make_flow import make_rootfs
from bundlebench.tui.read_only import refused
from bundlebench.tui.screens.goto import GotoScreen
from bundlebench.tui.widgets.bundle_header import BundleHeader
from bundlebench.tui.widgets.entry_details import EntryDetails
from bundlebench.tui.widgets.layers import (
    LayersPanel,
    filter_by_layers,
    layers_panel,
    mark_layers,
    toggle_layers,
)
from bundlebench.tui.widgets.preview import PreviewPane, highlight, render_preview
from bundlebench.tui.widgets.rootfs_filter import FilterView
from bundlebench.tui.widgets.rootfs_repair import RootfsRepair
from bundlebench.tui.widgets.rootfs_sizes import SizeColumn
from bundlebench.tui.widgets.rootfs_tree import Node, RootfsTree
from bundlebench.tui.widgets.search_panel import SearchPanel
from bundlebench.untrusted import styled

SIZE_UPDATE_SECONDS = 0.1
FILTER_DEBOUNCE = 0.1  # seconds: keys closer than this are one burst, one walk
FILTER_BATCH_SECONDS = 0.05  # the first match shows at once, then batches this often
FILTER_LIMIT = 2000  # matches shown at most; the walk stops there


class RootfsScreen(Screen[None]):
    """Browse the bundle's root filesystem; nothing here can read a host file."""

    CSS_PATH = "rootfs.tcss"
    HELP = """\
**In the tree:** ↑ ↓ move, → or enter opens a directory, ← closes it or goes to the
parent, pgup/pgdn and home/end jump; click a row to select it, click again (or on its
arrow) to open it. Symlinks are shown with their target and marked when they dangle,
loop or climb out of the rootfs; they are always resolved inside it. A link to a
directory inside the rootfs opens like one (its entries are the target's); a link back
to a directory that holds it is refused as a loop.

**Filter:** `/`, type a name (substring) or a glob such as `*.conf`: the tree shows the
matches as you type, under the directories that lead to them; enter jumps to the first.
`esc` stops a running size, else clears the filter (the cursor stays on the match it
was on).

**Sizes:** `S` shows a size column; directory totals are computed in the background
(`…` until known), `s` gives the selected directory's full count.
"""
    BINDINGS = [
        Binding("slash", "filter", "Filter",
                tooltip="Filter the tree by name (substring or glob) as you type"),
        Binding("g", "goto", "Go to", tooltip="Jump to a typed path inside the rootfs"),
        Binding("full_stop", "toggle_hidden", "Hidden", tooltip="Show or hide dot files"),
        Binding("s", "size", "Size", tooltip="Total size of the selected directory"),
        Binding("S", "size_column", "Sizes", id="rootfs.size_column",
                tooltip="Show or hide a size column (directory totals computed lazily)"),
        Binding("R", "reload", "Reload", tooltip="Read the selected directory again"),
        Binding("l", "layers", "Layers",
                tooltip="The image's layers: mark and filter the tree by layer"),
        Binding("escape", "cancel", "Cancel",
                tooltip="Stop a size; clear and close the filter"),
    ]

    # What needs a rootfs to browse; the keys are hidden while it is broken.
    BROWSING_ACTIONS = frozenset({"filter", "goto", "toggle_hidden", "size", "reload",
                                  "layers", "cancel", "size_column"})

    def __init__(self) -> None:
        super().__init__()
        self.trouble: RootfsTrouble | None = None
        self._shown: tuple[int, RootfsTrouble | None] | None = None
        self.sizes: dict[str, SizeProgress] = {}
        self._size_cancel: threading.Event | None = None
        self._search_cancel: threading.Event | None = None
        self._selected: Node | None = None
        self._filter: FilterView | None = None
        self._filter_timer: Timer | None = None
        self._jump_on_results = False
        self._last_key = 0.0
        self.size_column: SizeColumn | None = None

    @property
    def rootfs(self) -> Rootfs:
        return self.app.rootfs

    @property
    def tree(self) -> RootfsTree:
        return self.query_one(RootfsTree)

    def compose(self) -> ComposeResult:
        bundle = self.app.bundle  # type: ignore[attr-defined]
        self.trouble = bundle.rootfs_trouble
        self._shown = (id(bundle), self.trouble)
        yield BundleHeader("rootfs")
        if self.trouble is not None:
            yield RootfsRepair(self.trouble, id="rootfs-repair")
            yield Footer(compact=True)
            return
        with Horizontal(id="rootfs-main"):
            with Vertical(id="rootfs-left"):
                yield RootfsTree(self.rootfs, id="rootfs-tree")
                yield SearchPanel(id="search-panel", classes="-hidden")
                yield from layers_panel(self)
            with Vertical(id="rootfs-right"):
                yield EntryDetails(id="entry-details")
                yield PreviewPane(id="preview")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)
        self._start()

    def _start(self) -> None:
        if self.trouble is not None:
            buttons = self.query(Button)
            if buttons:
                buttons.first().focus()
            return
        self.tree.focus()
        self.size_column = SizeColumn(self.tree)
        mark_layers(self)

    async def on_screen_resume(self) -> None:
        await self.follow_bundle()

    async def follow_bundle(self) -> None:
        """Show the app's bundle's rootfs again when it, or what is wrong with it, changed
        (a rootfs was made, root.path was fixed, another bundle was opened)."""
        bundle = self.app.bundle  # type: ignore[attr-defined]
        if self._shown == (id(bundle), bundle.rootfs_trouble):
            return
        self.on_unmount()  # a size or search of the old rootfs stops
        self._selected = None
        self._filter = None
        self.size_column = None
        self.sizes.clear()
        await self.recompose()
        self._start()

    @on(RootfsRepair.Make)
    def _make_rootfs(self, event: RootfsRepair.Make) -> None:
        event.stop()
        if refused(self, "make_rootfs"):
            return
        if self.trouble is not None and self.trouble.path is not None:
            make_rootfs(self.app, self.trouble.path, event.source)

    def _theme_changed(self) -> None:
        # syntax colours follow dark or light
        if self._selected is not None and self.trouble is None:
            self._load_preview(self._selected)

    def on_unmount(self) -> None:
        # Thread workers run in the default executor, which Python joins at exit:
        # a walk left running would keep the process alive after the app closed.
        for cancel in (self._size_cancel, self._search_cancel):
            if cancel is not None:
                cancel.set()
        if self.size_column is not None:
            self.size_column.stop()

    # -- image layers (bundles made by `bundlebench unpack`) -----------------------
    def action_layers(self) -> None:
        """Show or hide the Layers panel (the image's layers, as a tree filter)."""
        toggle_layers(self)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.trouble is not None:
            return action not in self.BROWSING_ACTIONS
        # The Layers key exists only for bundles that keep layer provenance.
        return action != "layers" or bool(self.query(LayersPanel))

    @on(LayersPanel.FilterChanged)
    def _layers_filter(self, event: LayersPanel.FilterChanged) -> None:
        filter_by_layers(self, event)

    # -- selection -----------------------------------------------------------------
    @on(RootfsTree.Highlighted)
    def _highlighted(self, event: RootfsTree.Highlighted) -> None:
        self._selected = event.node
        self._show_details()
        self._load_preview(event.node)

    @on(RootfsTree.Loaded)
    def _dir_loaded(self, event: RootfsTree.Loaded) -> None:
        if event.node is self._selected:
            self._load_preview(event.node)

    def _show_details(self) -> None:
        node = self._selected
        details = self.query_one(EntryDetails)
        if node is None or node.entry is None:
            details.show_entry(None, note=node.status or "" if node else "")
            return
        note = ""
        if node.link_dir is not None:
            note = f"a directory link: opens {node.link_dir}"
        elif node.link_refused:
            note = f"not opened: {node.link_refused}"
        details.show_entry(node.entry, self.sizes.get(node.path), note=note)

    def _load_preview(self, node: Node) -> None:
        pane = self.query_one(PreviewPane)
        if node.entry is None:
            pane.show(styled(node.status or "", style="italic"))
            return
        if node.can_expand:
            if self.tree.filtering and node.loaded and not node.matched and self._filter:
                text = (f"Leads to matches of {self._filter.pattern!r}; "
                        "esc shows the whole tree.")
            elif node.loaded and not node.error:
                text = f"A directory with {plural(len(node.children), 'entry', 'entries')}."
            elif node.error:
                text = node.error
            else:
                text = "A directory; enter or → opens it."
            if node.is_dir:
                text += "  s computes its total size."
            pane.show(styled(text, style="italic"))
            return
        pane.show(Text("loading…", style="italic"))
        self._preview_worker(node)

    @work(thread=True, exclusive=True, group="preview", exit_on_error=False)
    def _preview_worker(self, node: Node) -> None:
        # Opening never blocks (regular files only, O_NONBLOCK), but reading a large
        # file from a slow disk and highlighting it both take time: keep it off the loop.
        preview = preview_file(self.rootfs, node.path)
        dark = self.app.current_theme.dark
        highlighted = highlight(preview, dark=dark) if preview.kind == "text" else None
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self._show_preview, node, render_preview(preview, highlighted))

    def _show_preview(self, node: Node, renderable: object) -> None:
        if node is self._selected:
            self.query_one(PreviewPane).show(renderable)  # type: ignore[arg-type]

    # -- directory size ------------------------------------------------------------
    def action_size(self) -> None:
        """Compute the total size of the selected directory (or the one holding it)."""
        node = self._selected or self.tree.cursor_node
        if not node.is_dir:
            node = node.parent or self.tree.root
        if self._size_cancel is not None:
            self._size_cancel.set()
        cancel = BreathingEvent()
        self._size_cancel = cancel
        self.sizes[node.path] = SizeProgress()
        self.tree.move_cursor_to(node)
        self._show_details()
        self._size_worker(node.path, cancel)

    @work(thread=True, exclusive=True, group="size", exit_on_error=False)
    def _size_worker(self, path: str, cancel: threading.Event) -> None:
        last = 0.0
        for progress in directory_size(self.rootfs, path, cancel):
            now = time.monotonic()
            if progress.done or now - last > SIZE_UPDATE_SECONDS:
                last = now
                snapshot = SizeProgress(**vars(progress))
                self.app.call_from_thread(self._size_progress, path, snapshot)
        if cancel.is_set():
            self.app.call_from_thread(self._size_cancelled, path)

    def _size_progress(self, path: str, progress: SizeProgress) -> None:
        self.sizes[path] = progress
        if progress.done:
            self._size_cancel = None
        if self._selected is not None and self._selected.path == path:
            self._show_details()

    def _size_cancelled(self, path: str) -> None:
        self.sizes.pop(path, None)
        if self._selected is not None and self._selected.path == path:
            self._show_details()
        self.notify(f"Size of {path} cancelled.")

    # -- filter by name --------------------------------------------------------------
    @property
    def search_panel(self) -> SearchPanel:
        return self.query_one(SearchPanel)

    def action_filter(self) -> None:
        """Show the name filter and put the cursor in it."""
        self.search_panel.remove_class("-hidden")
        self.query_one("#filter-input", Input).focus()

    @on(Input.Changed, "#filter-input")
    def _filter_typed(self, event: Input.Changed) -> None:
        # Debounced on both edges: a key after a pause filters at once; the keys of a
        # burst that follow it make one more walk, FILTER_DEBOUNCE after the last one.
        now = time.monotonic()
        quiet = now - self._last_key > FILTER_DEBOUNCE
        self._last_key = now
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        elif quiet:
            self.start_search(event.value)
            return
        value = event.value
        self._filter_timer = self.set_timer(FILTER_DEBOUNCE, lambda: self.start_search(value))

    @on(Input.Submitted, "#filter-input")
    def _search_submitted(self, event: Input.Submitted) -> None:
        view = self._filter
        if view is not None and view.pattern == event.value.strip() and view.matches:
            self._jump_to_first(view)
            return
        self._jump_on_results = True
        self.start_search(event.value)

    def start_search(self, pattern: str) -> None:
        """Filter the tree by ``pattern`` now (the walk of the last one stops)."""
        if self._filter_timer is not None:
            self._filter_timer.stop()
            self._filter_timer = None
        pattern = pattern.strip()
        if self._filter is not None and self._filter.pattern == pattern:
            return  # the same walk runs, or has run, already
        self._stop_search()
        if not pattern:
            self._clear_filter()
            return
        panel = self.search_panel
        panel.remove_class("-hidden")
        view = FilterView(pattern, self.tree.root.entry)
        self._filter = view
        cancel = BreathingEvent()
        self._search_cancel = cancel
        panel.set_status(f"filtering for {pattern!r}…")
        self._search_worker(view, cancel)

    # Not exclusive=True: Textual would mark the old worker cancelled while its thread
    # still runs; the cancel event stops it (start_search sets it) and it ends cleanly.
    @work(thread=True, group="search", exit_on_error=False)
    def _search_worker(self, view: FilterView, cancel: threading.Event) -> None:
        batch: list[Match] = []
        last = 0.0  # the first match goes out at once
        count = 0
        walk = filter_walk(self.rootfs, view.pattern, cancel)
        try:
            for match in walk:
                batch.append(match)
                count += 1
                now = time.monotonic()
                if now - last > FILTER_BATCH_SECONDS:
                    last = now
                    self.app.call_from_thread(self._search_batch, view, batch)
                    batch = []
                if count >= FILTER_LIMIT:
                    break
        finally:
            walk.close()
        if cancel.is_set():
            return
        if batch:
            self.app.call_from_thread(self._search_batch, view, batch)
        self.app.call_from_thread(self._search_done, view, count >= FILTER_LIMIT)

    def _search_batch(self, view: FilterView, batch: list[Match]) -> None:
        if view is not self._filter:
            return
        for match in batch:
            view.add(match)
        view.flush()
        self._show_filter(view)
        self.search_panel.set_status(
            f"{plural(len(view.matches), 'match', 'matches')} so far… (esc clears)")
        if self._jump_on_results:
            self._jump_to_first(view)

    def _search_done(self, view: FilterView, limited: bool) -> None:
        if view is not self._filter:
            return
        self._search_cancel = None
        view.finish(stopped=False)
        self._show_filter(view)
        count = plural(len(view.matches), "match", "matches")
        if limited:
            count = f"the first {count} (type more to narrow)"
        self.search_panel.set_status(f"{count} for {view.pattern!r}")
        if self._jump_on_results:
            self._jump_to_first(view)

    def _show_filter(self, view: FilterView) -> None:
        tree = self.tree
        if tree.view_root is view.root:
            tree.refilter()
        else:
            tree.show_view(view.root)

    def _jump_to_first(self, view: FilterView) -> None:
        self._jump_on_results = False
        first = view.first_match()
        if first is not None:
            self.tree.move_cursor_to(first)
            self.tree.focus()

    def _stop_search(self) -> bool:
        if self._search_cancel is not None:
            self._search_cancel.set()
            self._search_cancel = None
            return True
        return False

    def _clear_filter(self) -> None:
        """Show the whole rootfs again; the cursor stays on the match it was on."""
        self._stop_search()
        self._filter = None
        self._jump_on_results = False
        tree = self.tree
        keep = tree.cursor_node if tree.filtering and tree.cursor_node.matched else None
        tree.show_view(None)
        if keep is not None:
            self.run_worker(self._reveal(keep.path, focus=False), group="reveal",
                            exclusive=True)

    # -- go to a path ----------------------------------------------------------------
    def action_goto(self) -> None:
        """Ask for a path and jump to it."""
        start = self._selected.path if self._selected is not None else "/"
        self.app.push_screen(GotoScreen(start), self._goto_answer)

    def _goto_answer(self, text: str | None) -> None:
        if text:
            self.goto(text)

    def goto(self, text: str) -> None:
        """Jump to a typed path (relative ones start at the selected directory)."""
        node = self._selected
        cwd = "/"
        if node is not None:
            cwd = node.path if node.is_dir else posixpath.dirname(node.path)
        self.run_worker(self._goto(normalize_path(text, cwd)), group="reveal", exclusive=True)

    async def _goto(self, path: str) -> None:
        try:
            resolved = await asyncio.to_thread(self._resolve_parent, path)
        except RootfsError as error:
            self.notify(str(error), severity="error")
            return
        await self._reveal(resolved, focus=True)

    def _resolve_parent(self, path: str) -> str:
        """Resolve symlinks in the parent (inside the rootfs) but keep the last name."""
        if path == "/":
            return path
        parent, name = posixpath.split(path)
        real_parent = self.rootfs.realpath(parent)
        full = posixpath.join(real_parent, name)
        self.rootfs.lstat(full)  # raises a sentence when it does not exist
        return full

    async def _reveal(self, path: str, focus: bool) -> None:
        # The tree leaves the filter's view to show the path: the filter ends with it.
        self._stop_search()
        self._filter = None
        found = await self.tree.reveal(path)
        if not found:
            self.notify(f"{path} is not in the rootfs", severity="warning")
        elif focus:
            self.tree.focus()

    # -- other actions -------------------------------------------------------------
    def action_toggle_hidden(self) -> None:
        """Show or hide names that start with a dot."""
        tree = self.tree
        tree.show_hidden = not tree.show_hidden
        self.notify("Hidden files shown." if tree.show_hidden else "Hidden files hidden.")

    def action_reload(self) -> None:
        """Read the selected directory again."""
        node = self._selected or self.tree.root
        if not node.can_expand:
            node = node.parent or self.tree.root
        if self.size_column is not None:
            self.size_column.forget(node.list_path)
        self.run_worker(self.tree.reload(node), group="reload")

    def action_size_column(self) -> None:
        """Show or hide the size column."""
        if self.size_column is not None:
            shown = self.size_column.toggle()
            self.notify("Sizes shown; directories are summed in the background." if shown
                        else "Sizes hidden.")

    @on(RootfsTree.RowsChanged)
    def _rows_changed(self, event: RootfsTree.RowsChanged) -> None:
        if self.size_column is not None:
            self.size_column.schedule()

    def action_cancel(self) -> None:
        """Stop a running size; else clear the filter and close it."""
        if self._size_cancel is not None:
            self._size_cancel.set()
            self._size_cancel = None
            return
        panel = self.search_panel
        if self._filter is not None or self.tree.filtering or not panel.has_class("-hidden"):
            if self._filter_timer is not None:
                self._filter_timer.stop()
                self._filter_timer = None
            self._clear_filter()
            with panel.input.prevent(Input.Changed):
                panel.input.value = ""
            panel.set_status("")
            panel.add_class("-hidden")
            self.tree.focus()
