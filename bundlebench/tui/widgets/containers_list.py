"""The table of containers: this bundle's first (marked), then the rest of the root."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import DataTable

from bundlebench.containers.listing import ContainerRow
from bundlebench.untrusted import styled

STATUS_STYLES = {"running": "bold green", "created": "yellow", "paused": "cyan",
                 "stopped": "dim"}


class ContainersTable(DataTable):
    """Rows keyed by container id; ``update_rows`` keeps the cursor on the same id."""

    DEFAULT_CSS = """
    ContainersTable { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_by_id: dict[str, ContainerRow] = {}
        self._shown: list[ContainerRow] = []

    def on_mount(self) -> None:
        self.add_column("", key="mark", width=1)
        self.add_column("ID", key="id")
        self.add_column("STATUS", key="status")
        self.add_column("PID", key="pid")
        self.add_column("TIME", key="created")

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
        for row in rows:
            status = Text(row.status_text, style=STATUS_STYLES.get(row.status, ""))
            if row.edited:  # launched with unsaved edits: not what config.json says
                status.append(" ✎", style="italic")
            mark = Text("●", style="bold magenta") if row.this_bundle else Text(" ")
            self.add_row(mark, styled(row.id, 40), status, str(row.pid or ""),
                         row.created[11:] or row.created, key=row.id)
        if keep in self.rows_by_id:
            self.move_cursor(row=[r.id for r in rows].index(keep), animate=False)
