"""Messages the config widgets send to the config screen, which owns the EditSession."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class EditRequest(Message):
    """Apply one edit: ``action`` is set, add, remove or move.

    ``value`` is the new value (set, add) or the target pointer (move). ``merge`` folds
    repeated sets of one field into one undo step (typing).
    """

    def __init__(self, action: str, pointer: str, value: Any = None, *,
                 merge: bool = False) -> None:
        super().__init__()
        self.action = action
        self.pointer = pointer
        self.value = value
        self.merge = merge


class NavigateRequest(Message):
    """Show the field at ``pointer`` (select it in the tree)."""

    def __init__(self, pointer: str, *, focus_value: bool = False) -> None:
        super().__init__()
        self.pointer = pointer
        self.focus_value = focus_value
