"""Plain-text formatting shared by the TUI's panels and the commands (no textual imports)."""

from __future__ import annotations

import time

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")
_DECIMAL_UNITS = ("kB", "MB", "GB", "TB", "PB")


def human_size(size: int, decimal: bool = False) -> str:
    """A size the way people read it: ``512 B``, ``1.5 KiB``, ``3.2 GiB``; decimal, as
    image tools print layer sizes: ``5.0 kB``, ``1.2 MB``."""
    base, units = (1000, _DECIMAL_UNITS) if decimal else (1024, _UNITS)
    if size < base:
        return f"{size} B"
    value = float(size)
    for unit in units:
        value /= base
        if value < base or unit == units[-1]:
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def format_mtime(mtime: float) -> str:
    """A modification time in local time, to the second, with the zone offset."""
    return time.strftime("%Y-%m-%d %H:%M:%S %z", time.localtime(mtime))


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 file``, ``2 files`` (or ``many``), with thousands separators."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def problem_summary(errors: int, warnings: int) -> str:
    """The header's validity text: ``valid`` or ``2 errors, 1 warning``."""
    if not errors and not warnings:
        return "valid"
    return f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"


def normalize_path(text: str, cwd: str = "/") -> str:
    """A typed container path made absolute and lexically clean (``..`` stops at /)."""
    text = text.strip()
    if not text.startswith("/"):
        text = cwd.rstrip("/") + "/" + text
    return "/" + "/".join(lexical_parts(text))


def lexical_parts(path: str) -> list[str]:
    """The components of ``path`` with ``.`` and empty ones dropped and each ``..``
    taking one off (never above the start): no file system is asked."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return parts


def ancestors(path: str) -> list[str]:
    """Every directory from / down to the parent of ``path``: ``/a/b`` gives ``/``, ``/a``."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) for i in range(len(parts))]
