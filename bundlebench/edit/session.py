"""EditSession: edits to a ConfigDocument with undo, redo, dirty tracking and save."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from bundlebench.bundle.config import ConfigDocument
from bundlebench.edit import pointer as ptr
from bundlebench.edit.changes import Change, apply_change, move_changes
from bundlebench.edit.history import History, Step


class EditSession:
    """Every edit of one config document goes through here.

    Each public edit is one undo step (a ``transaction`` groups several). ``state`` names
    the document's current content: it changes with every edit, undo and redo, so a
    view can tell whether it is stale by comparing it.
    """

    def __init__(self, document: ConfigDocument) -> None:
        self.document = document
        self.history = History()
        self._next_state = 1
        self.state = 0
        self._saved_state = 0
        self._saved_json = _dumps(document.data)
        self._dirty_cache: tuple[int, bool] = (0, False)
        self._open: list[tuple[list[Change], list[Change]]] | None = None

    # -- reading -----------------------------------------------------------------

    @property
    def data(self) -> dict[str, Any]:
        """The document being edited (do not change it directly)."""
        return self.document.data

    def get(self, path: str) -> Any:
        """The value at ``path``; PointerError when there is none."""
        return ptr.get(self.data, path)

    def exists(self, path: str) -> bool:
        """True when ``path`` points at a value."""
        return ptr.exists(self.data, path)

    @property
    def dirty(self) -> bool:
        """True when the document differs from what was loaded or last saved."""
        if self.state == self._saved_state:
            return False
        cached_state, cached = self._dirty_cache
        if cached_state != self.state:
            cached = _dumps(self.data) != self._saved_json
            self._dirty_cache = (self.state, cached)
        return cached

    @property
    def can_undo(self) -> bool:
        return bool(self.history.undo_stack)

    @property
    def can_redo(self) -> bool:
        return bool(self.history.redo_stack)

    # -- editing -----------------------------------------------------------------

    def set(self, path: str, value: Any, *, label: str | None = None,
            merge: bool = False) -> None:
        """Set the field at ``path``, creating an object key when it is missing.

        With ``merge``, repeated sets of one field (typing) become a single undo step.
        """
        op = "replace" if self.exists(path) else "add"
        self.apply([Change(op, path, value)], label or f"Set {path}",
                   merge_key=f"set:{path}" if merge else None)

    def add(self, path: str, value: Any, *, label: str | None = None) -> str:
        """RFC 6902 add: insert into an array ('-' appends) or set an object key.

        Returns the pointer of the new value.
        """
        container, token = ptr.resolve_parent(self.data, path)
        if isinstance(container, list) and token == "-":
            path = ptr.child(ptr.parent(path), len(container))
        self.apply([Change("add", path, value)], label or f"Add {path}")
        return path

    def remove(self, path: str, *, label: str | None = None) -> None:
        """Remove the field or element at ``path``."""
        self.apply([Change("remove", path)], label or f"Remove {path}")

    def move(self, source: str, target: str, *, label: str | None = None) -> None:
        """RFC 6902 move (reorders arrays: /mounts/0 to /mounts/2)."""
        if source == target:
            return
        self.apply(move_changes(self.data, source, target), label or f"Move {source}")

    def replace_all(self, data: dict[str, Any], *, label: str = "Replace the document",
                    merge: bool = False) -> None:
        """Replace the whole document (raw JSON edits, reload)."""
        if _dumps(data) == _dumps(self.data):  # key order counts: it is kept in the file
            return
        self.apply([Change("replace", "", data)], label, merge_key="raw" if merge else None)

    def apply(self, changes: list[Change], label: str, *, merge_key: str | None = None) -> None:
        """Apply ``changes`` as one step; on any failure the document is left as it was."""
        # The caller keeps its objects: the history must not change when they do.
        changes = [dataclasses.replace(c, value=copy.deepcopy(c.value)) for c in changes]
        inverses: list[Change] = []
        try:
            for change in changes:
                inverses[:0] = apply_change(self.data, change)
        except Exception:
            for inverse in inverses:
                apply_change(self.data, inverse)
            raise
        if self._open is not None:
            self._open.append((list(changes), inverses))
            return
        before = self.state
        self._new_state()
        self.history.push(Step(label, list(changes), inverses, before, self.state, merge_key))

    @contextlib.contextmanager
    def transaction(self, label: str) -> Iterator[None]:
        """Group the edits made inside into one undo step (all or nothing)."""
        if self._open is not None:
            yield
            return
        self._open = []
        try:
            yield
        except BaseException:
            parts, self._open = self._open, None
            for _, inverses in reversed(parts):
                for inverse in inverses:
                    apply_change(self.data, inverse)
            raise
        parts, self._open = self._open, None
        if not parts:
            return
        forward = [change for changes, _ in parts for change in changes]
        backward = [inverse for _, inverses in reversed(parts) for inverse in inverses]
        before = self.state
        self._new_state()
        self.history.push(Step(label, forward, backward, before, self.state))

    def seal(self) -> None:
        """Stop merging into the last step (the user left the field)."""
        self.history.seal()

    def undo(self) -> str | None:
        """Revert the last step; return its label, or None when there is nothing to undo."""
        if not self.history.undo_stack:
            return None
        step = self.history.undo_stack.pop()
        step.sealed = True
        for change in step.backward:
            apply_change(self.data, change)
        self.history.redo_stack.append(step)
        self.state = step.before
        return step.label

    def redo(self) -> str | None:
        """Apply the last undone step again; return its label or None."""
        if not self.history.redo_stack:
            return None
        step = self.history.redo_stack.pop()
        for change in step.forward:
            apply_change(self.data, change)
        self.history.undo_stack.append(step)
        self.state = step.after
        return step.label

    # -- disk --------------------------------------------------------------------

    def save(self, *, force: bool = False) -> None:
        """Save atomically (ConfigChangedOnDisk when someone else changed the file)."""
        self.document.save(force=force)
        self._mark_saved()

    def reload(self) -> None:
        """Load the file again, as one undoable step (undo brings the edits back)."""
        fresh = ConfigDocument.load(self.document.path)
        self.replace_all(fresh.data, label="Reload from disk")
        self.seal()
        self.document.loaded_hash = fresh.loaded_hash
        self.document.original = fresh.original
        self.document.indent = fresh.indent
        self._mark_saved()

    def render(self) -> str:
        """The document as it would be saved."""
        return self.document.render().decode("utf-8")

    def disk_text(self) -> str:
        """What the file holds now ("" when it is gone)."""
        try:
            return self.document.path.read_bytes().decode("utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def _mark_saved(self) -> None:
        self._saved_state = self.state
        self._saved_json = _dumps(self.data)
        self._dirty_cache = (self.state, False)

    def _new_state(self) -> None:
        self.state = self._next_state
        self._next_state += 1


def _dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)
