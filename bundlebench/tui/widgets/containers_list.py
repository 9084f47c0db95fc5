"""The table of containers: this bundle's first (marked), then the rest of the root."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.geometry import Size
from textual.widgets import DataTable

from bundlebench.containers.listing import ContainerRow
from bundlebench.untrusted import styled

STATUS_STYLES = {"running": "bold green", "created": "yellow", "paused": "cyan",
                 "stopped": "dim"}
HEADERS = {"mark": "", "id": "ID", "status": "STATUS", "pid": "PID", "created": "TIME"}
ID_MIN = 8  # a narrower id column says nothing


def _cells(row: ContainerRow) -> dict[str, Text]:
    """The row's cells but the id (its width depends on the room)."""
    status = Text(row.status_text, style=STATUS_STYLES.get(row.status, ""))
    if row.edited:  # launched with unsaved edits: not what config.json says
        status.append(" ✎", style="italic")
    mark = Text("●", style="bold magenta") if row.this_bundle else Text(" ")
    return {"mark": mark, "status": status, "pid": Text(str(row.pid or "")),
            "created": Text(row.created[11:] or row.created)}


class ContainersTable(DataTable):
    """Rows keyed by container id; ``update_rows`` keeps the cursor on the same id.

    Its natural width is its content's (``width: auto`` in CSS, bounded there); the id
    column takes what the other columns leave, long ids cut in the middle.
    """

    DEFAULT_CSS = """
    ContainersTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_by_id: dict[str, ContainerRow] = {}
        self._shown: list[ContainerRow] = []
        self._id_width = ID_MIN

    def on_mount(self) -> None:
        for key, label in HEADERS.items():
            self.add_column(label, key=key, width=1 if key == "mark" else None)
        self.columns[self._id_key].auto_width = False

    @property
    def _id_key(self):
        return next(key for key in self.columns if key.value == "id")

    @property
    def selected(self) -> ContainerRow | None:
        """The container under the cursor."""
        if not self._shown or not 0 <= self.cursor_row < len(self._shown):
            return None
        return self._shown[self.cursor_row]

    def select_id(self, container_id: str) -> None:
        """Put the cursor on a container."""
        ids = [row.id for row in self._shown]
        if container_id in ids:
            self.move_cursor(row=ids.index(container_id), animate=False)

    def update_rows(self, rows: list[ContainerRow]) -> None:
        """Show ``rows``; nothing is redrawn when nothing changed."""
        if rows == self._shown:
            return
        keep = self.selected.id if self.selected else None
        self.rows_by_id = {row.id: row for row in rows}
        self._shown = list(rows)
        self.clear()
        for key in self.columns:  # clear() keeps the widths of rows gone
            if key.value not in ("mark", "id"):
                self.columns[key].content_width = len(HEADERS[key.value])
        for row in rows:
            cells = _cells(row)
            self.add_row(cells["mark"], styled(row.id, self._id_width), cells["status"],
                         cells["pid"], cells["created"], key=row.id)
        self._fit()
        if keep in self.rows_by_id:
            self.move_cursor(row=[r.id for r in rows].index(keep), animate=False)

    # -- width ----------------------------------------------------------------------------
    def _natural_widths(self) -> dict[str, int]:
        widths = {key: len(label) for key, label in HEADERS.items()}
        widths["mark"] = 1
        for row in self._shown:
            widths["id"] = max(widths["id"], styled(row.id).cell_len)
            for key, cell in _cells(row).items():
                widths[key] = max(widths[key], cell.cell_len)
        return widths

    def get_content_width(self, container: Size, viewport: Size) -> int:
        """Every column as wide as its widest cell (the id column's is set by ``_fit``)."""
        widths = self._natural_widths()
        return sum(widths.values()) + 2 * self.cell_padding * len(widths)

    def _on_resize(self, event: events.Resize) -> None:
        super()._on_resize(event)
        self._fit()

    def _fit(self) -> None:
        """Give the id column the room the other columns leave."""
        if not self.columns:
            return
        others = sum(column.get_render_width(self) for key, column in self.columns.items()
                     if key.value != "id")
        natural = self._natural_widths()
        for key, column in self.columns.items():  # the auto widths may lag behind
            if key.value not in ("mark", "id"):
                others += max(0, natural[key.value] - column.content_width)
        room = self.scrollable_content_region.width - others - 2 * self.cell_padding
        width = max(ID_MIN, room)
        if width == self._id_width and self.columns[self._id_key].width == width:
            return
        self._id_width = width
        self.columns[self._id_key].width = width
        for row in self._shown:
            self.update_cell(row.id, "id", styled(row.id, width))
        self._require_update_dimensions = True
        self.refresh()
