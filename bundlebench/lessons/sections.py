"""A lesson and a check's outcome as titled sections: the command line prints them, the
Lessons screen styles them. The check's output is the container's, so untrusted: callers
show it through bundlebench.untrusted."""

from __future__ import annotations

from bundlebench.lessons.model import CheckRun, Lesson
from bundlebench.lessons.progress import LessonProgress


def lesson_sections(lesson: Lesson, missing: list[str] | None = None
                    ) -> list[tuple[str, str]]:
    """Goal, the edit, how to launch, the check and what it should show; with
    ``missing`` (the edit check of a config), whether the edit is there yet."""
    sections = [("Goal", lesson.goal), ("The edit", lesson.edit), ("Field", lesson.field)]
    if missing is not None:
        sections.append(("Your edit", "done: it is in the config." if not missing
                         else "not yet: " + " ".join(missing)))
    sections += [
        ("Launch", "Check it (c on the Lessons screen, or `bundlebench lesson "
                   f"{lesson.name} --check BUNDLE`): the check runs in a container of "
                   f"your edited config. Or step it (s): {lesson.step_hint}"),
        ("The check", lesson.check_command),
        ("You should see", lesson.expect),
    ]
    if lesson.needs_root:
        sections.append(("Note", "This lesson needs root: a plain user's containers get "
                                 "no cgroup limits of their own here."))
    return sections


def outcome_sections(lesson: Lesson, run: CheckRun) -> list[tuple[str, str]]:
    """What the check printed (untrusted), its verdict, and what the kernel did."""
    code = "none" if run.exit_code is None else str(run.exit_code)
    verdict = (f"passed: you saw {lesson.expect}" if run.passed
               else f"not yet: {run.problem}")
    sections = [("Output", run.output.expandtabs(8).rstrip("\n") or "(nothing)"),
                ("Exit code", code), ("Verdict", verdict)]
    if run.steps:
        sections.append(("Trace", "\n".join(f"{title}: {syscall} = {result}"
                                            for title, syscall, result in run.steps)))
    sections.append(("In the kernel", lesson.kernel))
    return sections


def progress_mark(record: LessonProgress | None) -> str:
    """done, N checks, or not started."""
    if record is None or record.checks == 0:
        return "not started"
    if record.done:
        return "done"
    return f"{record.checks} check{'s' if record.checks != 1 else ''}, not passed yet"
