"""The tree's size column: file sizes at once, directory totals from a worker.

Totals come from bundlebench.bundle.dir_sizes, one directory at a time, the deepest
shown first: a parent's walk then adds the totals already known instead of walking them
again. A directory shows ``…`` until its total is known; totals are kept until the
directory is read again.
"""

from __future__ import annotations

import threading
import time

from textual.worker import Worker

from bundlebench.bundle.dir_sizes import subtree_sizes
from bundlebench.format import ancestors, human_size
from bundlebench.tui.breathe import BreathingEvent
from bundlebench.tui.widgets.rootfs_tree import Node, RootfsTree
from bundlebench.untrusted import styled

PROGRESS_SECONDS = 0.1
PENDING = "…"


class SizeColumn:
    """Owns the totals and the walk; ``tree.size_text`` is set while it is shown."""

    def __init__(self, tree: RootfsTree) -> None:
        self.tree = tree
        self.totals: dict[str, int] = {}
        self.shown = False
        self.walking: str | None = None
        self._cancel: threading.Event | None = None
        self._worker: Worker[None] | None = None

    def toggle(self) -> bool:
        """Show or hide the column; True when it is shown now."""
        self.shown = not self.shown
        self.tree.size_text = self.text if self.shown else None
        if self.shown:
            self.schedule()
        else:
            self.stop()
        self.tree.refresh()
        return self.shown

    def text(self, node: Node) -> str:
        entry = node.entry
        if entry is None or node.link_dir is not None:
            return ""
        if entry.kind != "dir":
            return human_size(entry.size)
        total = self.totals.get(node.path)
        return PENDING if total is None else human_size(total)

    def forget(self, path: str) -> None:
        """Drop what is known of ``path``, under it and above it (it changed on disk)."""
        prefix = path.rstrip("/") + "/"
        for key in [k for k in self.totals if k == path or k.startswith(prefix)]:
            del self.totals[key]
        for key in ancestors(path):
            self.totals.pop(key, None)
        if self.shown:
            self.schedule()

    def stop(self) -> None:
        """Stop the walk that runs (the totals it found so far are kept)."""
        if self._cancel is not None:
            self._cancel.set()
        self._cancel = None
        self.walking = None
        self.tree.border_subtitle = ""

    def schedule(self) -> None:
        """Start a walk for the deepest shown directory without a total, if none runs."""
        if not self.shown or self.walking is not None:
            return
        wanted = [n for n in self.tree.rows
                  if n.is_dir and n.entry is not None and n.path not in self.totals]
        if not wanted:
            return
        node = max(wanted, key=lambda n: n.path.count("/") if n.path != "/" else 0)
        self.walking = node.path
        cancel = BreathingEvent()
        self._cancel = cancel
        self._subtitle(f"sizing {node.path}…")
        known = dict(self.totals)
        self.tree.run_worker(lambda: self._walk(node.path, known, cancel), thread=True,
                             group="size-column", name=f"size {node.path}",
                             exit_on_error=False)

    def _subtitle(self, text: str) -> None:
        # The path comes from the rootfs: a Text, never parsed as markup.
        self.tree.border_subtitle = styled(text, 80)

    def _walk(self, path: str, known: dict[str, int], cancel: threading.Event) -> None:
        app = self.tree.app
        last = [time.monotonic()]

        def progress(count: int) -> None:
            now = time.monotonic()
            if now - last[0] > PROGRESS_SECONDS:
                last[0] = now
                app.call_from_thread(self._progress, path, count, cancel)

        try:
            totals = subtree_sizes(self.tree.rootfs, path, known, cancel, progress)
        except Exception:  # noqa: BLE001 - a failed walk must not leave "…" for ever
            totals = {path: 0}
        app.call_from_thread(self._done, path, totals, cancel)

    def _progress(self, path: str, count: int, cancel: threading.Event) -> None:
        if cancel is self._cancel:
            self._subtitle(f"sizing {path}… {count:,} entries")

    def _done(self, path: str, totals: dict[str, int] | None, cancel: threading.Event) -> None:
        if cancel is not self._cancel:
            return
        self._cancel = None
        self.walking = None
        self.tree.border_subtitle = ""
        if totals is not None:
            self.totals.update(totals)
        self.tree.refresh()
        self.schedule()
