"""The details panel: what the selected rootfs entry is, without opening it."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from bundlebench.bundle.rootfs import Entry
from bundlebench.bundle.walk import SizeProgress
from bundlebench.format import format_mtime, human_size, plural
from bundlebench.untrusted import styled

PATH_MAX = 1024  # characters of a path shown (PATH_MAX is 4096 bytes)

LINK_MARKS = {
    "inside": ("", ""),
    "dangling": ("dangling: the target does not exist in the rootfs", "bold red"),
    "escapes": ("escapes: the target climbs out of the rootfs (resolved inside it)", "bold red"),
    "loop": ("loop: the link never reaches a file", "bold red"),
}


def describe_owner(name: str | None, number: int) -> Text:
    """``root (0)``, or just the number when the rootfs does not name it (the name comes
    from the rootfs's passwd or group file: shown, never obeyed)."""
    if not name:
        return Text(f"{number} (not in the rootfs's files)")
    text = styled(name, 64)
    text.append(f" ({number})")
    return text


def size_text(progress: SizeProgress) -> Text:
    """The directory-size line: running while it walks, final when done."""
    text = Text()
    text.append(human_size(progress.bytes), style="bold")
    text.append(f"  in {plural(progress.files, 'file')}, {plural(progress.dirs, 'dir')}")
    text.append(f"; {human_size(progress.disk_bytes)} on disk")
    if progress.errors:
        unreadable = plural(progress.errors, "unreadable entry", "unreadable entries")
        text.append(f"; {unreadable}", style="yellow")
    if not progress.done:
        text.append("  computing… (esc cancels)", style="italic")
    return text


class EntryDetails(Static):
    """Kind, mode, owner, size, mtime, links and link target of one entry."""

    def show_entry(self, entry: Entry | None, size: SizeProgress | None = None,
                   note: str = "") -> None:
        """Describe ``entry`` (None: nothing selected, ``note`` says why)."""
        if entry is None:
            self.update(styled(note or "Nothing selected.", style="italic"))
            return
        grid = Table.grid(padding=(0, 2))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_row("Path", styled(entry.path, PATH_MAX))
        grid.add_row("Kind", entry.kind)
        grid.add_row("Mode", f"{entry.mode_string}  ({entry.mode & 0o7777:04o})")
        grid.add_row("Owner", describe_owner(entry.owner, entry.uid))
        grid.add_row("Group", describe_owner(entry.group, entry.gid))
        if entry.kind in ("chardev", "blockdev") and entry.device_numbers:
            major, minor = entry.device_numbers
            grid.add_row("Device", f"{major}:{minor}")
        elif entry.kind != "dir":
            grid.add_row("Size", f"{human_size(entry.size)}  ({entry.size:,} bytes)")
        if entry.kind == "dir":
            if size is not None:
                grid.add_row("Total size", size_text(size))
            else:
                grid.add_row("Total size", Text("press s to compute", style="italic"))
        grid.add_row("Modified", format_mtime(entry.mtime))
        grid.add_row("Links", str(entry.nlink))
        if entry.kind == "symlink":
            target = styled(entry.link_target or "", PATH_MAX)
            mark, style = LINK_MARKS.get(entry.link_status or "", ("", ""))
            if mark:
                target.append("  " + mark, style=style)
            grid.add_row("Target", target)
        if note:
            grid.add_row("", styled(note, style="italic"))
        self.update(grid)
