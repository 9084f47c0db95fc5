"""Each user's progress through the lessons, kept in their state directory.

A small JSON file, ``$XDG_STATE_HOME/bundlebench/lessons.json`` (default
``~/.local/state``): for each lesson, when its check first passed and how many checks
ran. It is rewritten atomically; a damaged one is read as no progress, not an error.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bundlebench.bundle.atomic import write_atomic


def progress_path() -> Path:
    """Where this user's progress is kept."""
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(state) / "bundlebench" / "lessons.json"


@dataclass(frozen=True)
class LessonProgress:
    """One lesson's record: checks run, and when one first passed (None: not yet)."""

    checks: int = 0
    passed_at: float | None = None

    @property
    def done(self) -> bool:
        return self.passed_at is not None


def load_progress(path: Path | None = None) -> dict[str, LessonProgress]:
    """Every lesson's record (lessons never checked are absent)."""
    try:
        data = json.loads((path or progress_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return {}
    lessons = data.get("lessons") if isinstance(data, dict) else None
    if not isinstance(lessons, dict):
        return {}
    return {name: _record(item) for name, item in lessons.items()
            if isinstance(name, str) and isinstance(item, dict)}


def record_check(name: str, passed: bool, path: Path | None = None) -> LessonProgress:
    """Count one check of lesson ``name`` (and its first pass); the new record.

    OSError when the file cannot be written: the caller says so, the lesson goes on.
    """
    path = path or progress_path()
    records = load_progress(path)
    old = records.get(name, LessonProgress())
    passed_at = old.passed_at if old.passed_at is not None else (time.time() if passed else None)
    records[name] = LessonProgress(old.checks + 1, passed_at)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    body: dict[str, Any] = {"lessons": {key: {"checks": value.checks, "passed_at": value.passed_at}
                                        for key, value in records.items()}}
    write_atomic(path, (json.dumps(body, indent=1, sort_keys=True) + "\n").encode())
    return records[name]


def _record(item: dict[str, Any]) -> LessonProgress:
    checks = item.get("checks")
    passed_at = item.get("passed_at")
    return LessonProgress(
        checks if isinstance(checks, int) and not isinstance(checks, bool) and checks > 0 else 0,
        float(passed_at) if isinstance(passed_at, int | float)
        and not isinstance(passed_at, bool) else None)
