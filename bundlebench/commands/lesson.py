"""`bundlebench lesson [NAME]`: guided lessons on the demo bundle, with progress."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bundlebench.errors import BundlebenchError

if TYPE_CHECKING:
    from bundlebench.lessons.model import Lesson


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "lesson", help="guided lessons: an edit, a check in a container, the kernel's part",
        description="Without NAME, list the lessons and your progress. With NAME, show the "
        "lesson. --begin BUNDLE writes the lesson's starting point into BUNDLE's "
        "config.json; --check BUNDLE checks your edit, runs the lesson's check in a "
        "container of that config and records the result. The workbench's Lessons "
        "screen (key 4) does the same in place.",
    )
    parser.add_argument("name", metavar="NAME", nargs="?", help="a lesson (a prefix will do)")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--begin", metavar="BUNDLE", type=Path,
                        help="write the lesson's starting point into BUNDLE/config.json")
    action.add_argument("--check", metavar="BUNDLE", type=Path,
                        help="check the edit in BUNDLE and run the lesson's check")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bundlebench.lessons.catalog import LESSONS, lesson_named, names

    if args.name is None:
        if args.begin or args.check:
            raise BundlebenchError("name the lesson to begin or check (`bundlebench lesson` "
                                   "lists them)", exit_code=2)
        return _list(LESSONS)
    lesson = lesson_named(args.name)
    if lesson is None:
        from bundlebench.untrusted import visible

        raise BundlebenchError(f"there is no lesson {visible(args.name)!r}: choose one of "
                               f"{', '.join(names())}", exit_code=2)
    if args.begin:
        return _begin(lesson, args.begin)
    if args.check:
        return _check(lesson, args.check)
    _print_sections(_lesson_sections(lesson))
    return 0


def _list(lessons: tuple[Lesson, ...]) -> int:
    from bundlebench.lessons.progress import load_progress
    from bundlebench.lessons.sections import progress_mark

    progress = load_progress()
    width = max(len(lesson.name) for lesson in lessons)
    for lesson in lessons:
        mark = progress_mark(progress.get(lesson.name))
        print(f"{lesson.name:<{width}}  {lesson.title}  [{mark}]")
    print("\n`bundlebench lesson NAME` shows one; the workbench's Lessons screen is key 4.")
    return 0


def _lesson_sections(lesson: Lesson) -> list[tuple[str, str]]:
    from bundlebench.lessons.sections import lesson_sections

    return [("Lesson", f"{lesson.name}: {lesson.title}"), *lesson_sections(lesson)]


def _begin(lesson: Lesson, bundle_path: Path) -> int:
    import json

    from bundlebench.bundle import Bundle
    from bundlebench.bundle.atomic import write_atomic

    bundle = Bundle.open(bundle_path)
    bundle.check()
    started = lesson.begin(bundle.config.data)
    write_atomic(bundle.path / "config.json",
                 (json.dumps(started, indent="\t") + "\n").encode())
    print(f"{bundle.path}/config.json is at the start of lesson {lesson.name}.\n"
          f"Now make the edit: {lesson.edit}\n"
          f"Then: bundlebench lesson {lesson.name} --check {bundle.path}")
    return 0


def _check(lesson: Lesson, bundle_path: Path) -> int:
    from bundlebench.bundle import Bundle
    from bundlebench.containers.launch import LaunchRefused
    from bundlebench.lessons.progress import record_check
    from bundlebench.lessons.runner import run_check
    from bundlebench.lessons.sections import outcome_sections

    bundle = Bundle.open(bundle_path)
    bundle.check()
    missing = lesson.edit_missing(bundle.config.data)
    if missing:
        _print_sections([("Your edit", "not yet: " + " ".join(missing)),
                         ("The edit", lesson.edit)])
        return 1
    try:
        outcome = run_check(lesson, bundle.path, bundle.config.data)
    except LaunchRefused as refusal:  # the errors themselves, not a pointer to validate
        _print_sections([("Not launched", "\n".join(refusal.error_lines()))])
        return 1
    _print_sections(outcome_sections(lesson, outcome))
    try:
        record_check(lesson.name, outcome.passed)
    except OSError as error:
        import sys

        print(f"bundlebench: your progress was not saved ({error.strerror})", file=sys.stderr)
    return 0 if outcome.passed else 1


def _print_sections(sections: list[tuple[str, str]]) -> None:
    import textwrap

    from bundlebench.untrusted import visible

    for title, body in sections:
        print(f"{title}:")
        for line in body.splitlines() or [""]:
            # The check's output comes from the container: every line shown, never obeyed.
            wrapped = textwrap.wrap(visible(line), width=88) if title != "Output" else [
                visible(line)]
            for piece in wrapped or [""]:
                print(f"  {piece}")
