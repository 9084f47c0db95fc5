"""Editing config.json: JSON Pointer changes, undo and redo, quick actions.

The TUI's config screen is a view over an EditSession; everything it can do to a
config is reachable from here without a screen.
"""

from bundlebench.edit.actions import ActionError
from bundlebench.edit.changes import Change
from bundlebench.edit.pointer import PointerError
from bundlebench.edit.session import EditSession

__all__ = ["ActionError", "Change", "EditSession", "PointerError"]
