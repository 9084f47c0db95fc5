"""Undo and redo: steps of changes, each with the changes that revert it."""

from __future__ import annotations

from dataclasses import dataclass, field

from bundlebench.edit.changes import Change


@dataclass
class Step:
    """One undoable edit: what it did, what reverts it, and the states around it."""

    label: str
    forward: list[Change]
    backward: list[Change]
    before: int
    after: int
    merge_key: str | None = None
    sealed: bool = False

    def absorb(self, other: Step) -> None:
        """Fold a later step into this one (typing in one field is one undo step)."""
        same_field = all(
            c.op == "replace" and c.path == self.forward[0].path
            for c in (*self.forward, *other.forward)
        )
        # Replacing one field again and again: only the latest value matters.
        self.forward = list(other.forward) if same_field else self.forward + other.forward
        if not same_field:
            self.backward = other.backward + self.backward
        self.after = other.after


@dataclass
class History:
    """The undo and redo stacks."""

    undo_stack: list[Step] = field(default_factory=list)
    redo_stack: list[Step] = field(default_factory=list)
    limit: int = 1000

    def push(self, step: Step) -> None:
        """Record a new step; merge it into the last one when both share a merge key."""
        top = self.undo_stack[-1] if self.undo_stack else None
        self.redo_stack.clear()
        if (
            top is not None
            and step.merge_key is not None
            and top.merge_key == step.merge_key
            and not top.sealed
        ):
            top.absorb(step)
            return
        self.undo_stack.append(step)
        del self.undo_stack[: -self.limit]

    def seal(self) -> None:
        """End merging: the next edit starts a new step."""
        if self.undo_stack:
            self.undo_stack[-1].sealed = True
