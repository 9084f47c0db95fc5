"""The Lessons screen: pick a lesson, begin it in the editor, check it in a container.

Left: the lessons with this user's progress. Right: the chosen lesson (its goal, the edit
and whether the editor's config has it yet, the check, what to expect) and, after a
check, what the container printed, the verdict and what the kernel did. The check runs
the editor's config as it is, saved or not, in a thread worker.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from bundlebench.errors import BundlebenchError
from bundlebench.lessons.catalog import LESSONS
from bundlebench.lessons.model import CheckRun, Lesson
from bundlebench.lessons.progress import LessonProgress, load_progress, record_check
from bundlebench.lessons.sections import lesson_sections, outcome_sections, progress_mark
from bundlebench.tui.read_only import dimmed, refused
from bundlebench.untrusted import markup, styled

Runner = Callable[[Lesson, Path, dict[str, Any]], CheckRun]


def container_runner(root: str | None) -> Runner:
    """Run checks in real containers under the runtime root ``root`` (None: the
    runtime's default), as the containers screen launches them."""

    def run(lesson: Lesson, bundle: Path, config: dict[str, Any]) -> CheckRun:
        from bundlebench.lessons.runner import run_check

        return run_check(lesson, bundle, config, root=root)

    return run


def sections_text(sections: list[tuple[str, str]], untrusted: tuple[str, ...] = ()) -> Text:
    """Titled sections as one Text; the bodies named in ``untrusted`` shown as escapes."""
    text = Text()
    for title, body in sections:
        text.append(f"{title}\n", style="bold")
        if title in untrusted:
            for line in body.splitlines() or [""]:
                text.append("  ")
                text.append_text(styled(line, 400))
                text.append("\n")
        else:
            text.append(body + "\n", style="green" if title == "The check" else "")
        text.append("\n")
    return text


class LessonsScreen(Screen[None]):
    """Guided lessons on the open bundle's config."""

    CSS_PATH = str(Path(__file__).with_name("lessons.tcss"))
    HELP = """\
Each lesson is about one thing the runtime sets up. b begins it: the config in the
editor becomes the lesson's starting point (one undoable edit, not saved) and the
config screen opens at the field to change. Make the edit there; back here (4) the
lesson says whether the edit is in. c checks it: a container of the editor's config,
saved or not, runs the lesson's check, and you see what it printed, whether that is
what the lesson promises, and what the kernel did. s step launches the same config on
the containers screen, to watch each setup step happen. Progress is kept per user.
"""
    BINDINGS = [
        Binding("b", "begin", "Begin", id="lessons.begin",
                tooltip="Put the lesson's starting point in the editor (not saved)"),
        Binding("c", "check_lesson", "Check", id="lessons.check",
                tooltip="Run the lesson's check in a container of the editor's config"),
        Binding("s", "step_lesson", "Step it", id="lessons.step",
                tooltip="Step launch the editor's config: stop before each setup step"),
        Binding("g", "open_field", "Go to field", id="lessons.field",
                tooltip="Open the field the lesson changes on the config screen"),
    ]

    def __init__(self, runner: Runner | None = None, progress_file: Path | None = None
                 ) -> None:
        super().__init__()
        self._runner = runner
        self.progress_file = progress_file
        self.progress: dict[str, LessonProgress] = {}
        self.outcomes: dict[str, CheckRun] = {}
        self.checking: str | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="lessons-body"):
            yield OptionList(id="lessons-list")
            with VerticalScroll(id="lesson-scroll"):
                yield Static(id="lesson-text")
        yield Static(id="lessons-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#lessons-list").border_title = "Lessons"
        self.query_one("#lesson-scroll").border_title = "Lesson"
        self.watch(self.app, "problems", lambda _problems: self._show_lesson())
        self._load_progress()

    def on_screen_resume(self) -> None:
        self._show_lesson()  # the editor's config may have changed meanwhile

    @property
    def runner(self) -> Runner:
        """The given runner, or real containers under the app's runtime root."""
        return self._runner or container_runner(getattr(self.app, "runtime_root", None))

    # -- what is shown ---------------------------------------------------------------
    @property
    def lesson(self) -> Lesson:
        index = self.query_one("#lessons-list", OptionList).highlighted
        return LESSONS[index if index is not None else 0]

    def _config(self) -> dict[str, Any] | None:
        bundle = self.app.bundle  # type: ignore[attr-defined]
        if bundle.config_trouble is not None:
            return None
        return bundle.config.data

    @work(thread=True, exclusive=True, group="lessons-progress")
    def _load_progress(self) -> None:
        progress = load_progress(self.progress_file)
        self.app.call_from_thread(self._show_progress, progress)

    def _show_progress(self, progress: dict[str, LessonProgress]) -> None:
        self.progress = progress
        listing = self.query_one("#lessons-list", OptionList)
        keep = listing.highlighted
        listing.clear_options()
        for lesson in LESSONS:
            record = progress.get(lesson.name)
            mark = "✔" if record and record.done else "·" if record else " "
            listing.add_option(Option(Text.assemble((f"{mark} ", "bold green"),
                                                    lesson.name), id=lesson.name))
        listing.highlighted = keep if keep is not None else 0
        self._show_lesson()

    @on(OptionList.OptionHighlighted, "#lessons-list")
    def _highlighted(self) -> None:
        self._show_lesson()

    def _show_lesson(self) -> None:
        if not self.is_mounted:
            return
        lesson = self.lesson
        config = self._config()
        missing = lesson.edit_missing(config) if config is not None else [
            "config.json does not parse: repair it on the config screen first."]
        mark = progress_mark(self.progress.get(lesson.name))
        text = Text.assemble((lesson.title, "bold"), (f"  [{mark}]\n\n", "dim"))
        text.append_text(sections_text(lesson_sections(lesson, missing)))
        outcome = self.outcomes.get(lesson.name)
        if outcome is not None:
            text.append("── your last check ──\n", style="bold")
            text.append_text(sections_text(outcome_sections(lesson, outcome), ("Output",)))
        self.query_one("#lesson-text", Static).update(text)
        self.query_one("#lesson-scroll").border_title = lesson.name

    def say(self, sentence: str) -> None:
        self.query_one("#lessons-status", Static).update(markup(sentence))

    # -- actions -----------------------------------------------------------------------
    async def action_begin(self) -> None:
        """Put the lesson's starting point in the editor and open it at the field."""
        lesson = self.lesson
        if self._config() is None:
            self.say("config.json does not parse: repair it on the config screen first.")
            return
        await self.app.action_switch_to("config")  # type: ignore[attr-defined]
        begin = getattr(self.app.screen, "begin_lesson", None)
        if begin is not None:
            await begin(lesson)

    async def action_open_field(self) -> None:
        """Show the lesson's field on the config screen."""
        await self.app.action_switch_to("config")  # type: ignore[attr-defined]
        go_to = getattr(self.app.screen, "go_to", None)
        if go_to is not None:
            await go_to(self.lesson.field)

    async def action_step_lesson(self) -> None:
        """Watch the editor's config being set up stop by stop (the containers screen's
        step launch, which read-only mode refuses)."""
        if self._config() is None:
            self.say("config.json does not parse: repair it on the config screen first.")
            return
        await self.app.action_switch_to("containers")  # type: ignore[attr-defined]
        await self.app.screen.run_action("step_launch")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if dimmed(self, action) else True

    def action_check_lesson(self) -> None:
        """Run the lesson's check in a container of the editor's config."""
        if refused(self, "check_lesson"):  # called directly, not through a key
            return
        lesson = self.lesson
        config = self._config()
        if self.checking is not None:
            self.say(f"The {self.checking} check is still running.")
            return
        if config is None:
            self.say("config.json does not parse: repair it on the config screen first.")
            return
        missing = lesson.edit_missing(config)
        if missing:
            self.say("Not checked: the edit is not in the config yet. " + missing[0])
            return
        self.checking = lesson.name
        self.say(f"Checking {lesson.name}: a container of your config runs the check…")
        bundle = self.app.bundle  # type: ignore[attr-defined]
        self._run_check(lesson, bundle.path, copy.deepcopy(config))

    @work(thread=True, exclusive=True, group="lessons-check")
    def _run_check(self, lesson: Lesson, bundle: Path, config: dict[str, Any]) -> None:
        try:
            outcome = self.runner(lesson, bundle, config)
        except BundlebenchError as error:
            self.app.call_from_thread(self._check_failed, lesson, _refusal_sentence(error))
            return
        saved = ""
        try:
            record_check(lesson.name, outcome.passed, self.progress_file)
        except OSError as error:
            saved = f" (progress not saved: {error.strerror})"
        progress = load_progress(self.progress_file)
        self.app.call_from_thread(self._checked, lesson, outcome, progress, saved)

    def _checked(self, lesson: Lesson, outcome: CheckRun,
                 progress: dict[str, LessonProgress], saved: str) -> None:
        self.checking = None
        self.outcomes[lesson.name] = outcome
        verdict = ("passed" if outcome.passed else "not passed yet") + saved
        self.say(f"The {lesson.name} check {verdict}: its outcome is shown below the lesson.")
        self._show_progress(progress)
        if self.lesson is lesson:
            self.query_one("#lesson-scroll", VerticalScroll).scroll_end(animate=False)

    def _check_failed(self, lesson: Lesson, sentence: str) -> None:
        self.checking = None
        self.say(f"The {lesson.name} check did not run: {sentence}")


def _refusal_sentence(error: BundlebenchError) -> str:
    from bundlebench.containers.launch import LaunchRefused

    if isinstance(error, LaunchRefused) and error.problems:  # the first, in create's words
        return error.error_lines()[0]
    return str(error)
