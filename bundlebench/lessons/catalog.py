"""Every lesson, in the order a course takes them."""

from __future__ import annotations

from bundlebench.lessons.model import Lesson
from bundlebench.lessons.namespace_lessons import MOUNT, PID, USER
from bundlebench.lessons.privilege_lessons import CAPABILITIES, MEMORY, SECCOMP

LESSONS: tuple[Lesson, ...] = (PID, MOUNT, USER, CAPABILITIES, MEMORY, SECCOMP)


def lesson_named(name: str) -> Lesson | None:
    """The lesson called ``name`` (a unique prefix will do), or None."""
    exact = next((lesson for lesson in LESSONS if lesson.name == name), None)
    if exact is not None:
        return exact
    close = [lesson for lesson in LESSONS if lesson.name.startswith(name)] if name else []
    return close[0] if len(close) == 1 else None


def names() -> list[str]:
    return [lesson.name for lesson in LESSONS]
