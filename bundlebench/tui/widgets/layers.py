"""The Layers panel: an image's layers with size, files, wasted bytes and command.

Only for bundles made by `bundlebench unpack` (they keep a provenance index). Choosing
a row filters the rootfs tree to what that layer brought; a, c and r filter by
added, changed and removed; x shows everything again.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static

from bundlebench.format import human_size
from bundlebench.image.provenance import Provenance, load_provenance
from bundlebench.tui.widgets.rootfs_tree import RootfsTree
from bundlebench.untrusted import styled

ALL = "all"


def _size(count: int) -> str:
    return human_size(count, decimal=True)


def short_command(command: str | None) -> str:
    """A history command without the shell prefix every RUN line carries."""
    return (command or "").removeprefix("/bin/sh -c ").strip()


class LayersPanel(Vertical):
    """The layers of the image the bundle was unpacked from, as a filter for the tree."""

    DEFAULT_CSS = """
    LayersPanel {
        height: 40%;
        border: round $accent;
        border-title-color: $text-accent;
    }
    LayersPanel.-hidden {
        display: none;
    }
    LayersPanel #layers-status {
        height: 1;
        color: $text-muted;
        padding: 0 1;
    }
    LayersPanel #layers-table {
        height: 1fr;
    }
    """
    BINDINGS = [
        Binding("a", "status('added')", "Added"),
        Binding("c", "status('changed')", "Changed"),
        Binding("r", "status('removed')", "Removed"),
        Binding("x", "clear", "All"),
    ]

    class FilterChanged(Message):
        """The user chose a layer and/or a status (None: no filter on it)."""

        def __init__(self, layer: int | None, status: str | None) -> None:
            super().__init__()
            self.layer = layer
            self.status = status

    def __init__(self, provenance: Provenance, *, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.provenance = provenance
        self.chosen_layer: int | None = None
        self.chosen_status: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="layers-status")
        yield DataTable(id="layers-table", cursor_type="row")

    def on_mount(self) -> None:
        self.border_title = "Layers"
        self.border_subtitle = "enter layer · a c r status · x all"
        table = self.query_one(DataTable)
        table.add_column("#", key="index")
        table.add_column("size", key="size")
        table.add_column("files", key="files")
        table.add_column("wasted", key="wasted")
        table.add_column("command", key="command")
        prov = self.provenance
        table.add_row("", _size(sum(x.size for x in prov.layers)),
                      str(sum(x.files for x in prov.layers)), _size(prov.wasted_bytes),
                      Text("all layers", style="italic"), key=ALL)
        for layer in prov.layers:
            table.add_row(str(layer.index + 1), _size(layer.size), str(layer.files),
                          _size(layer.wasted) if layer.wasted else "",
                          # The image's history: its author wrote it.
                          _command_cell(layer.command),
                          key=str(layer.index))
        self._show_status()

    def focus_table(self) -> None:
        self.query_one(DataTable).focus()

    def describe(self) -> str:
        """The current filter in words."""
        if self.chosen_layer is None and self.chosen_status is None:
            return "all layers, all changes"
        chosen = self.chosen_layer
        layer = f"layer {chosen + 1}" if chosen is not None else "all layers"
        return f"{layer}, {self.chosen_status or 'all changes'}"

    @on(DataTable.RowSelected, "#layers-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        key = event.row_key.value
        self.chosen_layer = None if key in (None, ALL) else int(key)
        self._changed()

    def action_status(self, status: str) -> None:
        """Filter by added, changed or removed (the same key again drops it)."""
        self.chosen_status = None if self.chosen_status == status else status
        self._changed()

    def action_clear(self) -> None:
        """Show every layer and every change again."""
        self.chosen_layer = self.chosen_status = None
        self._changed()

    def _changed(self) -> None:
        self._show_status()
        self.post_message(self.FilterChanged(self.chosen_layer, self.chosen_status))

    def _show_status(self) -> None:
        text = f"showing {self.describe()}"
        if self.chosen_status == "removed":
            count = len(self.provenance.paths(layer=self.chosen_layer, status="removed"))
            text = f"{count} removed path(s) (not in the rootfs; their directories are shown)"
        self.query_one("#layers-status", Static).update(text)


def _command_cell(command: str) -> Text:
    """The layer's command (the image's history: its author wrote it), on one line."""
    cell = styled(short_command(command), 200)
    cell.no_wrap, cell.overflow = True, "ellipsis"
    return cell


# -- the hooks the rootfs screen calls --------------------------------------------------
def layers_panel(screen: Screen) -> Iterator[LayersPanel]:
    """A hidden Layers panel for the screen's bundle, when it keeps provenance."""
    provenance = load_provenance(screen.app.bundle.path)  # type: ignore[attr-defined]
    if provenance is not None:
        yield LayersPanel(provenance, id="layers-panel", classes="-hidden")


def _panel(screen: Screen) -> LayersPanel | None:
    panels = screen.query(LayersPanel)
    return panels.first() if panels else None


def mark_layers(screen: Screen) -> None:
    """Label every tree row with the layer that brought it (L2+ added, L3~ changed)."""
    panel = _panel(screen)
    if panel is None:
        return
    provenance = panel.provenance
    tree = screen.query_one(RootfsTree)
    tree.row_mark = lambda node: provenance.mark_of(node.path) if node.entry else ""
    tree.refresh()


def toggle_layers(screen: Screen) -> None:
    """Show the panel (focused) or hide it (the tree gets the focus back)."""
    panel = _panel(screen)
    if panel is None:
        screen.notify("This bundle keeps no layer provenance: only bundles made by "
                      "`bundlebench unpack` have one.", severity="warning")
        return
    if panel.has_class("-hidden"):
        panel.remove_class("-hidden")
        panel.focus_table()
    else:
        panel.add_class("-hidden")
        screen.query_one(RootfsTree).focus()


def filter_by_layers(screen: Screen, event: LayersPanel.FilterChanged) -> None:
    """Show only the rows the chosen layer and status touched (and their directories)."""
    panel = _panel(screen)
    if panel is None:
        return
    shown = panel.provenance.visible_paths(layer=event.layer, status=event.status)
    tree = screen.query_one(RootfsTree)
    tree.row_filter = None if shown is None else (lambda node: node.path in shown)
    tree.refilter()
    screen.notify(f"Showing {panel.describe()}.")
