"""Path completion for inputs: the rest of the first name that starts with what is typed."""

from __future__ import annotations

import os

from textual.suggester import Suggester

MAX_SCANNED = 2000  # a huge directory must not stall typing


class PathSuggester(Suggester):
    """Suggests host paths: the typed directory's first entry that extends the last name
    (directories end with a slash, so completing goes on into them)."""

    def __init__(self, *, directories_only: bool = False) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.directories_only = directories_only

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value, directories_only=self.directories_only)


def complete_path(value: str, *, directories_only: bool = False) -> str | None:
    """``value`` completed to an existing path, or None."""
    if not value:
        return None
    head, prefix = os.path.split(os.path.expanduser(value))
    directory = head or "."
    try:
        with os.scandir(directory) as entries:
            names = []
            for count, entry in enumerate(entries):
                if count >= MAX_SCANNED:
                    break
                hidden = entry.name.startswith(".") and not prefix
                if entry.name.startswith(prefix) and entry.name != prefix and not hidden:
                    names.append((entry.name, entry.is_dir()))
    except OSError:
        return None
    names = [(name, is_dir) for name, is_dir in names if is_dir or not directories_only]
    if not names:
        return None
    name, is_dir = min(names)
    typed_head = value[: len(value) - len(prefix)]
    return typed_head + name + ("/" if is_dir else "")
