"""A lazy, virtual tree over a rootfs.

Textual's Tree builds one TreeNode per line and costs ~20 µs per node, so a 100k-entry
directory would freeze the screen. This widget keeps a flat list of visible rows and
renders only the lines on screen (the Line API). A directory is read when it is first
expanded, in a thread worker; the sorted children are spliced into the row list in one
step, so the event loop never does per-entry work.

A symlink to a directory inside the rootfs opens like one: its children are read from
the directory it resolves to (and carry that directory's paths). The tree can also show
another root (the filter's matches, see rootfs_filter) and a size column (rootfs_sizes).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from operator import attrgetter
from stat import S_ISDIR

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from bundlebench.bundle.link_walk import dir_link
from bundlebench.bundle.rootfs import Entry, Rootfs, RootfsError
from bundlebench.format import ancestors
from bundlebench.tui.breathe import Breather
from bundlebench.untrusted import segments

NAME_MAX = 160  # characters of a name or link target shown; longer ones are cut with …
STATUS_MAX = 240
PROGRESS_INTERVAL = 0.1  # seconds between "reading… N entries" updates


class Node:
    """One row of the tree: a rootfs entry, or a status line under a directory.

    No __slots__ on purpose: with class-level defaults a node costs three attribute
    stores, so building 100k of them takes ~0.1 s instead of ~0.3 s.
    """

    children: Sequence[Node] = ()  # replaced by a list once read, never mutated
    expanded = False
    loading = False
    loaded = False
    error: str | None = None
    status: str | None = None  # text of a status row (it has no entry)
    progress: str | None = None  # "reading… N entries" while a directory loads
    _done: asyncio.Event | None = None
    _path = "/"
    link_dir: str | None = None  # a symlink that opens: the directory it resolves to
    link_refused: str | None = None  # a symlink to a directory that may not be opened
    matched = False  # a match of the filter (the rows around it only lead to it)
    empty_text = "(empty)"

    def __init__(self, entry: Entry | None, depth: int, parent: Node | None) -> None:
        self.entry = entry
        self.depth = depth
        self.parent = parent

    @classmethod
    def status_row(cls, parent: Node, text: str) -> Node:
        """A line under ``parent`` saying it is being read, empty, or unreadable."""
        row = cls(None, parent.depth + 1, parent)
        row.status = text
        row._path = parent.path
        return row

    @property
    def path(self) -> str:
        return self.entry.path if self.entry is not None else self._path

    @property
    def name(self) -> str:
        if self.status is not None:
            return self.status
        return self.entry.name if self.entry is not None and self.parent else "/"

    @property
    def is_dir(self) -> bool:
        return self.entry is not None and self.entry.kind == "dir"

    @property
    def can_expand(self) -> bool:
        """A directory, or a symlink to one inside the rootfs (not a loop)."""
        return self.is_dir or self.link_dir is not None

    @property
    def list_path(self) -> str:
        """The directory whose entries are this node's children."""
        return self.link_dir or self.path

    def holders(self) -> list[str]:
        """The directories shown above this node's children (its own, up to /)."""
        chain: list[str] = []
        node: Node | None = self
        while node is not None:
            chain.append(node.list_path)
            node = node.parent
        return chain

    @property
    def hidden(self) -> bool:
        return self.name.startswith(".")

    def __repr__(self) -> str:
        return f"<Node {self.path}>"


def sort_entries(entries: list[Entry]) -> list[Entry]:
    """Directories first, then by name (C-level keys: the sort holds the GIL)."""
    by_name = attrgetter("name")
    dirs = sorted((e for e in entries if S_ISDIR(e.info.st_mode)), key=by_name)
    others = sorted((e for e in entries if not S_ISDIR(e.info.st_mode)), key=by_name)
    return dirs + others


class RootfsTree(ScrollView, can_focus=True):
    """The rootfs as an expandable tree; reads one directory at a time, in a worker."""

    BINDINGS = [
        Binding("up", "cursor_up", "Up", show=False),
        Binding("down", "cursor_down", "Down", show=False),
        Binding("pageup", "page_up", "Page up", show=False),
        Binding("pagedown", "page_down", "Page down", show=False),
        Binding("home", "first", "First", show=False),
        Binding("end", "last", "Last", show=False),
        Binding("right", "expand", "Expand", show=False),
        Binding("left", "collapse", "Collapse / parent", show=False),
        Binding("enter", "toggle", "Open", tooltip="Open or close the selected directory"),
    ]

    COMPONENT_CLASSES = {
        "rootfs-tree--cursor",
        "rootfs-tree--blurred-cursor",
        "rootfs-tree--dir",
        "rootfs-tree--link",
        "rootfs-tree--bad-link",
        "rootfs-tree--exec",
        "rootfs-tree--special",
        "rootfs-tree--status",
        "rootfs-tree--error",
        "rootfs-tree--guide",
        "rootfs-tree--hidden",
        "rootfs-tree--match",
        "rootfs-tree--size",
    }

    cursor: reactive[int] = reactive(0, always_update=True)
    show_hidden: reactive[bool] = reactive(True)
    # Optional hooks (the Layers panel sets them): a label after a row's name, and a
    # predicate that hides rows; call refilter() after changing row_filter.
    row_mark: Callable[[Node], str] | None = None
    row_filter: Callable[[Node], bool] | None = None
    # The size column (rootfs_sizes.SizeColumn sets it): a row's size, right-aligned.
    size_text: Callable[[Node], str] | None = None
    SIZE_WIDTH = 11

    class Highlighted(Message):
        """The cursor moved to another row."""

        def __init__(self, tree: RootfsTree, node: Node) -> None:
            super().__init__()
            self.tree = tree
            self.node = node

    class RowsChanged(Message):
        """Rows were added or removed (the size column looks for new directories)."""

        def __init__(self, tree: RootfsTree) -> None:
            super().__init__()
            self.tree = tree

    class Loaded(Message):
        """A directory has been read (or failed to be read)."""

        def __init__(self, tree: RootfsTree, node: Node) -> None:
            super().__init__()
            self.tree = tree
            self.node = node

    def __init__(self, rootfs: Rootfs, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.rootfs = rootfs
        self.root = Node(self._safe_lstat("/"), 0, None)
        self.view_root = self.root  # what the rows show: the rootfs, or the filter's tree
        self._browse_cursor: Node | None = None  # the cursor while the filter shows
        self.rows: list[Node] = [self.root]
        self._last_highlighted: Node | None = None

    # -- public API ----------------------------------------------------------------
    @property
    def cursor_node(self) -> Node:
        """The node under the cursor."""
        return self.rows[min(self.cursor, len(self.rows) - 1)]

    def on_mount(self) -> None:
        self._update_virtual_size()
        self.expand(self.root)

    def show_view(self, root: Node | None) -> None:
        """Show the tree under ``root`` (the filter's) instead of the rootfs; None: back.

        Leaving a view puts the cursor back where it was before the view came.
        """
        if root is None:
            if self.view_root is self.root:
                return
            self.view_root = self.root
            cursor, self._browse_cursor = self._browse_cursor, None
        else:
            if self.view_root is self.root:
                self._browse_cursor = self.cursor_node
            self.view_root = root
            cursor = root
        self.rows = [self.view_root]
        self._rebuild()
        if cursor is not None:
            self.move_cursor_to(self._nearest_row(cursor))

    @property
    def filtering(self) -> bool:
        """Whether the rows show another root than the rootfs's."""
        return self.view_root is not self.root

    def expand(self, node: Node) -> None:
        """Expand a directory now; its entries appear when the worker has read them.

        Key and mouse handlers use this: awaiting the read there would hold up this
        widget's message queue, and with it every key press, until the read is done.
        """
        if not node.can_expand or node.expanded:
            return
        node.expanded = True
        self._splice_children(node)
        self._start_load(node)

    async def expand_node(self, node: Node) -> None:
        """Expand a directory and wait until its entries are shown."""
        self.expand(node)
        if node.can_expand:
            await self.load(node)

    def collapse_node(self, node: Node) -> None:
        """Hide the children of a directory."""
        if not node.expanded:
            return
        cursor_node = self.cursor_node
        index = self._index(node)
        end = self._subtree_end(index)
        del self.rows[index + 1 : end]
        node.expanded = False
        if index < self.cursor < end:
            self.cursor = index
        elif self.cursor >= end:
            self.cursor = self._index(cursor_node)
        self._update_virtual_size()
        self.refresh()

    async def load(self, node: Node) -> None:
        """Read a directory's entries in a thread worker (once) and wait for them."""
        if node.loaded:
            return
        self._start_load(node)
        assert node._done is not None
        await node._done.wait()

    def _start_load(self, node: Node) -> None:
        if node.loaded or node.loading:
            return
        node._done = asyncio.Event()
        node.loading = True
        self._refresh_subtree(node)
        self.run_worker(
            lambda: self._read_dir(node), thread=True, group="read-dir",
            name=f"read {node.list_path}", exit_on_error=False,
        )

    async def reveal(self, path: str) -> bool:
        """Expand the directories down to ``path`` and put the cursor on it.

        ``path`` is a lexical container path; returns False when it is not in the tree.
        """
        self.show_view(None)
        if path == "/":
            self.move_cursor_to(self.root)
            return True
        if not self.show_hidden and any(p.startswith(".") for p in path.split("/")):
            self.show_hidden = True
        node = self.root
        for directory in ancestors(path)[1:] + [path]:
            if not node.is_dir:
                return False
            await self.expand_node(node)
            name = directory.rsplit("/", 1)[-1]
            child = next((c for c in node.children if c.name == name), None)
            if child is None:
                return False
            node = child
        self.move_cursor_to(node)
        return True

    def move_cursor_to(self, node: Node) -> None:
        """Put the cursor on a visible node and scroll it into view."""
        try:
            self.cursor = self._index(node)
        except ValueError:
            return
        self.scroll_to_region(Region(0, self.cursor, 1, 1), animate=False, force=True,
                              center=True)

    async def reload(self, node: Node) -> None:
        """Read a directory again (after it changed on disk)."""
        if node.loading or not node.can_expand:
            return
        was_expanded = node.expanded
        if was_expanded:
            self.collapse_node(node)
        node.loaded = False
        node.children = []
        node.error = None
        node._done = None
        if was_expanded:
            await self.expand_node(node)

    # -- reading (thread) ----------------------------------------------------------
    def _read_dir(self, node: Node) -> None:
        worker = get_current_worker()
        entries: list[Entry] = []
        error: str | None = None
        last = time.monotonic()
        breathe = Breather()
        path = node.list_path
        try:
            for entry in self.rootfs.iter_dir(path):
                entries.append(entry)
                if len(entries) % 128 == 0:
                    breathe()
                if len(entries) % 1000 == 0:
                    if worker.is_cancelled:
                        return
                    now = time.monotonic()
                    if now - last > PROGRESS_INTERVAL:
                        last = now
                        self.app.call_from_thread(self._progress, node, len(entries))
            entries = sort_entries(entries)
        except RootfsError as exc:
            error = str(exc)
        except OSError as exc:
            error = f"{path} cannot be listed: {exc.strerror}"
        except Exception as exc:  # noqa: BLE001 - the row must say so, not spin forever
            error = f"{path} cannot be listed: {exc}"
        depth = node.depth + 1
        children = [Node(e, depth, node) for e in entries]
        self._resolve_links(node, children)
        if not worker.is_cancelled:
            self.app.call_from_thread(self._loaded, node, children, error)

    def _resolve_links(self, node: Node, children: list[Node]) -> None:
        """Find which symlinks among ``children`` open as directories (thread)."""
        holders: list[str] | None = None
        for child in children:
            entry = child.entry
            if entry is None or entry.link_status != "inside":
                continue
            if holders is None:
                holders = node.holders()
            link = dir_link(self.rootfs, entry, holders)
            if link is not None:
                if link.refused:
                    child.link_refused = link.refused
                else:
                    child.link_dir = link.target

    def _progress(self, node: Node, count: int) -> None:
        node.progress = f"reading… {count:,} entries"
        self._refresh_subtree(node)

    def _loaded(self, node: Node, children: list[Node], error: str | None) -> None:
        node.children = children
        node.error = error
        node.loading = False
        node.loaded = True
        node.progress = None
        if node._done is not None:
            node._done.set()
        self._refresh_subtree(node)
        self.post_message(self.Loaded(self, node))

    # -- rows ----------------------------------------------------------------------
    def refilter(self) -> None:
        """Lay the rows out again after ``row_filter`` changed."""
        if self.is_mounted:
            self._rebuild()

    def _visible_children(self, node: Node) -> list[Node]:
        children = node.children if self.show_hidden else [
            child for child in node.children if not child.hidden]
        if self.row_filter is not None:
            children = [child for child in children if self.row_filter(child)]
        return children

    def _subtree_rows(self, node: Node) -> list[Node]:
        """The rows shown under an expanded node (not the node itself)."""
        if node.loading or node.error or (node.loaded and not node.children):
            if node.loading:
                text = node.progress or "reading…"
            elif node.error:
                text = node.error
            else:
                text = node.empty_text
            return [Node.status_row(node, text)]
        rows: list[Node] = []
        for child in self._visible_children(node):
            rows.append(child)
            if child.expanded:
                rows.extend(self._subtree_rows(child))
        return rows

    def _splice_children(self, node: Node) -> None:
        index = self._index(node)
        end = self._subtree_end(index)
        self.rows[index + 1 : end] = self._subtree_rows(node)
        self._update_virtual_size()
        self.refresh()
        self.post_message(self.RowsChanged(self))

    def _refresh_subtree(self, node: Node) -> None:
        if node.expanded and self._is_visible(node):
            cursor_node = self.cursor_node
            self._splice_children(node)
            self._restore_cursor(cursor_node)

    def _is_visible(self, node: Node) -> bool:
        chain = self._chain(node)
        if chain[-1] is not self.view_root:  # a node of the view not shown now
            return False
        if not all(parent.expanded for parent in chain[1:]):
            return False
        return self.show_hidden or not any(n.hidden for n in chain[:-1])

    @staticmethod
    def _chain(node: Node) -> list[Node]:
        chain = []
        current: Node | None = node
        while current is not None:
            chain.append(current)
            current = current.parent
        return chain

    def _restore_cursor(self, node: Node) -> None:
        if node.status is not None and node.parent is not None:
            node = node.parent
        try:
            self.cursor = self._index(node)
        except ValueError:
            self.cursor = min(self.cursor, len(self.rows) - 1)

    def _index(self, node: Node) -> int:
        return self.rows.index(node)

    def _subtree_end(self, index: int) -> int:
        depth = self.rows[index].depth
        end = index + 1
        rows = self.rows
        while end < len(rows) and rows[end].depth > depth:
            end += 1
        return end

    def _rebuild(self) -> None:
        cursor_node = self.cursor_node
        root = self.view_root
        self.rows = [root, *self._subtree_rows(root)] if root.expanded else [root]
        self.cursor = self._index(self._nearest_row(cursor_node))
        self._update_virtual_size()
        self.refresh()
        self.post_message(self.RowsChanged(self))

    def _nearest_row(self, node: Node) -> Node:
        """``node`` when it is a row, else its closest ancestor that is, else the root."""
        shown = set(map(id, self.rows))
        current: Node | None = node
        while current is not None and id(current) not in shown:
            current = current.parent
        return current or self.view_root

    def watch_show_hidden(self) -> None:
        if self.is_mounted:
            self._rebuild()

    def _update_virtual_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows))

    def on_resize(self) -> None:
        self._update_virtual_size()

    # -- cursor --------------------------------------------------------------------
    def validate_cursor(self, value: int) -> int:
        return max(0, min(value, len(self.rows) - 1))

    def watch_cursor(self, old: int, new: int) -> None:
        self.refresh()
        self.scroll_to_region(Region(0, new, 1, 1), animate=False)
        node = self.cursor_node
        if node is not self._last_highlighted:
            self._last_highlighted = node
            self.post_message(self.Highlighted(self, node))

    def action_cursor_up(self) -> None:
        self.cursor -= 1

    def action_cursor_down(self) -> None:
        self.cursor += 1

    def action_page_up(self) -> None:
        self.cursor -= max(1, self.scrollable_content_region.height - 1)

    def action_page_down(self) -> None:
        self.cursor += max(1, self.scrollable_content_region.height - 1)

    def action_first(self) -> None:
        self.cursor = 0

    def action_last(self) -> None:
        self.cursor = len(self.rows) - 1

    def action_expand(self) -> None:
        node = self.cursor_node
        if node.can_expand and not node.expanded:
            self.expand(node)
        elif node.expanded and len(self.rows) > self.cursor + 1:
            self.cursor += 1

    def action_collapse(self) -> None:
        node = self.cursor_node
        if node.expanded:
            self.collapse_node(node)
        elif node.parent is not None:
            self.move_cursor_to(node.parent)

    def action_toggle(self) -> None:
        node = self.cursor_node
        if node.expanded:
            self.collapse_node(node)
        elif node.can_expand:
            self.expand(node)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None:
            return
        index = offset.y + round(self.scroll_offset.y)
        if not 0 <= index < len(self.rows):
            return
        node = self.rows[index]
        arrow_x = node.depth * 2 + (self.SIZE_WIDTH if self.size_text else 0)
        was_cursor = index == self.cursor
        self.cursor = index
        if node.can_expand and (was_cursor or arrow_x <= offset.x + round(self.scroll_x) <= arrow_x
                            + 1 or event.chain > 1):
            self.action_toggle()

    # -- rendering -----------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        index = round(self.scroll_offset.y) + y
        width = self.scrollable_content_region.width
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        node = self.rows[index]
        segments = self._row_segments(node)
        strip = Strip(segments)
        if index == self.cursor:
            cursor = self.get_component_rich_style("rootfs-tree--cursor")
            if not self.has_focus:
                cursor = Style(bgcolor=self.get_component_rich_style(
                    "rootfs-tree--blurred-cursor").bgcolor)
            # Component styles carry the widget background: the cursor must go on top.
            padded = strip.extend_cell_length(width)
            strip = Strip(Segment.apply_style(list(padded), post_style=cursor))
        strip = strip.crop_extend(round(self.scroll_x), round(self.scroll_x) + width,
                                  self.rich_style)
        return strip.apply_style(self.rich_style)

    def _row_segments(self, node: Node) -> list[Segment]:
        row = self._name_segments(node)
        if self.size_text is not None:
            text = self.size_text(node) if node.entry is not None else ""
            size = Segment(f"{text:>{self.SIZE_WIDTH - 1}} ",
                           self.get_component_rich_style("rootfs-tree--size"))
            row.insert(0, size)
        return row

    def _name_segments(self, node: Node) -> list[Segment]:
        style: Callable[[str], Style] = self.get_component_rich_style
        guide = style("rootfs-tree--guide")
        indent = "  " * node.depth
        if node.status is not None:
            kind = "rootfs-tree--error" if node.parent and node.parent.error else (
                "rootfs-tree--status")
            return [Segment(indent + "  ", guide), *segments(node.status, style(kind), STATUS_MAX)]
        entry = node.entry
        top = node.parent is None
        arrow = ("▼ " if node.expanded else "▶ ") if node.can_expand else "  "
        name = node.name if not top else "/"
        row = [Segment(indent, guide), Segment(arrow, guide)]
        if entry is None:
            return [*row, *segments(name, style("rootfs-tree--error"), NAME_MAX)]
        kind = entry.kind
        if kind == "dir":
            name_style = style("rootfs-tree--dir")
        elif kind == "symlink":
            bad = entry.link_status in ("dangling", "escapes", "loop")
            name_style = style("rootfs-tree--bad-link" if bad else "rootfs-tree--link")
        elif kind == "file":
            name_style = style("rootfs-tree--exec") if entry.is_executable else Style()
        else:
            name_style = style("rootfs-tree--special")
        if node.hidden and not top:
            name_style += style("rootfs-tree--hidden")
        if node.matched:
            name_style += style("rootfs-tree--match")
        # Names and link targets come from the rootfs: never raw to the terminal.
        slash = "/" if kind == "dir" and not top else ""
        row += segments(name + slash, name_style, NAME_MAX)
        if kind == "symlink":
            row.append(Segment(" → ", guide))
            row += segments(entry.link_target or "", name_style, NAME_MAX)
            if entry.link_status in ("dangling", "escapes", "loop"):
                row.append(Segment(f" ({entry.link_status})", style("rootfs-tree--bad-link")))
            elif node.link_refused:
                row.append(Segment(" (", style("rootfs-tree--bad-link")))
                row += segments(node.link_refused, style("rootfs-tree--bad-link"), NAME_MAX)
                row.append(Segment(")", style("rootfs-tree--bad-link")))
        elif kind not in ("dir", "file"):
            row.append(Segment(f"  {kind}", style("rootfs-tree--status")))
        if self.row_mark is not None and (mark := self.row_mark(node)):
            row += segments(f"  {mark}", style("rootfs-tree--status"), STATUS_MAX)
        return row

    def _safe_lstat(self, path: str) -> Entry | None:
        try:
            return self.rootfs.lstat(path)
        except RootfsError:
            return None
