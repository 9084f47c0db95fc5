"""The launch dialog's last choices, remembered per bundle.

One small JSON file, ``$XDG_STATE_HOME/bundlebench/launch-choices.json`` (default
``~/.local/state/bundlebench``), maps a bundle's path to its last choices. It is written
atomically; a missing, unreadable or corrupt file, or an entry of the wrong shape, is
as if nothing was remembered.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from bundlebench.bundle.atomic import write_atomic
from runtime.jsonread import read_json

FILE_NAME = "launch-choices.json"
MAX_BYTES = 1 << 20
MAX_BUNDLES = 200  # the oldest entries go first beyond this


@dataclass
class Choices:
    """What the dialog offers; the id is not remembered (each container needs its own)."""

    args: str = ""
    attach: bool = True
    remove_on_exit: bool = False
    terminal: bool = True
    rootless: bool = False


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"),
                                                            ".local", "state")
    return Path(base) / "bundlebench"


def choices_path() -> Path:
    return state_dir() / FILE_NAME


def _read_all(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError:
        return {}
    if len(raw) > MAX_BYTES:
        return {}
    try:
        data = read_json(raw, path)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def load_choices(bundle: Path) -> Choices | None:
    """The last choices for ``bundle``, or None when there are none (or they are broken)."""
    entry = _read_all(choices_path()).get(str(bundle))
    if not isinstance(entry, dict):
        return None
    choices = Choices()
    for item in fields(Choices):
        value = entry.get(item.name)
        if isinstance(value, type(getattr(choices, item.name))):
            setattr(choices, item.name, value)
    return choices


def save_choices(bundle: Path, choices: Choices) -> None:
    """Remember ``choices`` for ``bundle``; a file that cannot be written is let be."""
    path = choices_path()
    data = _read_all(path)
    data.pop(str(bundle), None)
    data[str(bundle)] = {item.name: getattr(choices, item.name) for item in fields(Choices)}
    while len(data) > MAX_BUNDLES:
        data.pop(next(iter(data)))
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, json.dumps(data, indent=1).encode() + b"\n", mode=0o600)
    except OSError:
        pass  # remembering is a convenience: the launch goes on without it
