"""The shape of a lesson, and of what its check saw."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Config = dict[str, Any]


@dataclass(frozen=True)
class Lesson:
    """One guided lesson.

    ``begin`` turns the demo config into the lesson's starting point (the setting the
    lesson is about taken out); ``edit_missing`` says, in one sentence each, what the
    student's edit still lacks (nothing: the edit is right); ``solve`` is one right edit,
    for the tests and the "show me" key. ``check`` runs inside the container and
    ``judge`` reads its output: None when it saw what the lesson promises, else a
    sentence of what it saw instead. ``kinds`` are the trace steps that did it.
    """

    name: str
    title: str
    goal: str
    edit: str
    field: str
    begin: Callable[[Config], Config]
    edit_missing: Callable[[Config], list[str]]
    solve: Callable[[Config], Config]
    check: tuple[str, ...]
    expect: str
    judge: Callable[[str, int | None], str | None]
    kernel: str
    kinds: tuple[str, ...]
    step_hint: str
    needs_root: bool = False

    @property
    def check_command(self) -> str:
        """The check as one line a person could type (the last argument quoted)."""
        *head, last = self.check
        return " ".join([*head, "'" + last.replace("'", "'\\''") + "'"]) if head else last


@dataclass(frozen=True)
class CheckRun:
    """What one run of a lesson's check produced, and the verdict on it."""

    output: str
    exit_code: int | None
    problem: str | None  # None: the check saw what the lesson promises
    steps: tuple[tuple[str, str, str], ...] = ()  # (title, syscall, result) of its kinds

    @property
    def passed(self) -> bool:
        return self.problem is None
