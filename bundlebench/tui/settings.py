"""The app's remembered choices (theme, layout) in $XDG_CONFIG_HOME/bundlebench/settings.json.

The file is the user's, but anything may have been put there: a file that is not a small
regular file holding a JSON object is ignored (with one sentence saying so), and so is
each value of the wrong type; nothing in it can stop the app from starting. Writes are
atomic (a temporary file renamed over the old one).
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

FILE_NAME = "settings.json"
MAX_BYTES = 64 * 1024
# Each setting and the type its value must have; others in the file are kept, unread.
KNOWN: dict[str, type] = {"theme": str, "config_view": str}


def config_dir() -> Path:
    """$XDG_CONFIG_HOME/bundlebench, or ~/.config/bundlebench (a relative
    XDG_CONFIG_HOME is ignored, as the XDG spec says)."""
    base = os.environ.get("XDG_CONFIG_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "bundlebench"


def settings_path() -> Path:
    return config_dir() / FILE_NAME


def load_settings(path: Path | None = None) -> tuple[dict[str, Any], str | None]:
    """The settings, and a sentence when the file was there but ignored (None when fine
    or absent). Values of the wrong type are left out."""
    path = path or settings_path()
    try:
        raw = _read_small_file(path)
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as error:
        why = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        return {}, f"Ignored the settings in {path}: {why}"
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):
        return {}, f"Ignored the settings in {path}: it is not valid JSON"
    if not isinstance(data, dict):
        return {}, f"Ignored the settings in {path}: it does not hold a JSON object"
    return {key: value for key, value in data.items()
            if key in KNOWN and isinstance(value, KNOWN[key])}, None


def _read_small_file(path: Path) -> bytes:
    """The bytes of a regular file of at most MAX_BYTES (never blocks on a FIFO)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise ValueError("it is not a regular file")
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValueError(f"it is larger than {MAX_BYTES // 1024} KiB")
    return data


def save_setting(key: str, value: Any, path: Path | None = None) -> str | None:
    """Remember ``key``; a sentence when it could not be written (None when it was).
    Other keys in the file stay as they are; a broken file is replaced."""
    from bundlebench.bundle.atomic import write_atomic

    path = path or settings_path()
    try:
        current = json.loads(_read_small_file(path))
    except (OSError, ValueError, RecursionError):
        current = {}
    if not isinstance(current, dict):
        current = {}
    if current.get(key) == value:
        return None
    current[key] = value
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, (json.dumps(current, indent=2) + "\n").encode(), mode=0o600)
    except OSError as error:
        return f"Could not remember the {key} in {path}: {error.strerror or error}"
    return None
