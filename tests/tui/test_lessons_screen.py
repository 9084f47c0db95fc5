"""The Lessons screen in the real app: begin puts the start in the editor, the edit is
checked live, and the check runs the editor's (unsaved) config."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from bundlebench.containers.launch import LaunchRefused
from bundlebench.lessons.catalog import lesson_named
from bundlebench.lessons.model import CheckRun, Lesson
from bundlebench.lessons.progress import load_progress
from bundlebench.spec.problems import Problem
from bundlebench.tui.app import BundlebenchApp
from bundlebench.tui.screens.lessons import LessonsScreen
from tests.tui.helpers import screen_text, settle


class FakeRunner:
    """Stands in for a container: records what it was asked to run, answers ``output``."""

    def __init__(self, output: str = "my pid: 1\nprocesses I see: 4\n", exit_code: int = 0,
                 refuse: Exception | None = None) -> None:
        self.calls: list[tuple[str, Path, dict[str, Any]]] = []
        self.output, self.exit_code, self.refuse = output, exit_code, refuse

    def __call__(self, lesson: Lesson, bundle: Path, config: dict[str, Any]) -> CheckRun:
        self.calls.append((lesson.name, bundle, config))
        if self.refuse is not None:
            raise self.refuse
        return CheckRun(self.output, self.exit_code, lesson.judge(self.output, self.exit_code),
                        (("Namespaces", "unshare(CLONE_NEWPID)", "ok"),))


def lesson_app(bundle: Path, runner: FakeRunner, progress: Path, *,
               read_only: bool = False) -> BundlebenchApp:
    class LessonApp(BundlebenchApp):
        MODES = {**BundlebenchApp.MODES,
                 "lessons": lambda: LessonsScreen(runner=runner, progress_file=progress)}

    return LessonApp(bundle, read_only=read_only)


async def open_lessons(pilot, app: BundlebenchApp) -> LessonsScreen:
    await pilot.press("4")
    await settle(pilot, app)
    assert isinstance(app.screen, LessonsScreen)
    return app.screen


def test_begin_edit_check_on_the_unsaved_config(bundle: Path, tmp_path: Path) -> None:
    runner = FakeRunner()
    progress = tmp_path / "lessons.json"
    on_disk = (bundle / "config.json").read_text()

    async def scenario() -> None:
        app = lesson_app(bundle, runner, progress)
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_lessons(pilot, app)
            assert "The pid namespace" in screen_text(app)
            await pilot.press("b")  # begin: the pid namespace leaves the editor's config
            await settle(pilot, app)
            assert app.current_mode == "config" and app.dirty
            types = [ns["type"] for ns in app.bundle.config.data["linux"]["namespaces"]]
            assert "pid" not in types
            assert (bundle / "config.json").read_text() == on_disk, "begin saved the file"

            screen = await open_lessons(pilot, app)
            await pilot.press("c")  # the edit is missing: no container
            await settle(pilot, app)
            assert runner.calls == []
            assert "not in the config yet" in screen_text(app)

            await pilot.press("2")
            await settle(pilot, app)
            await app.screen.action_add_namespace("pid")
            await settle(pilot, app)
            screen = await open_lessons(pilot, app)
            assert "done: it is in the config" in str(
                screen.query_one("#lesson-text").render())
            await pilot.press("c")
            await settle(pilot, app)
            assert len(runner.calls) == 1
            name, where, config = runner.calls[0]
            assert name == "pid" and where == bundle
            assert "pid" in [ns["type"] for ns in config["linux"]["namespaces"]]
            assert (bundle / "config.json").read_text() == on_disk, "the check saved the file"
            text = screen_text(app)
            assert "check passed" in text
            assert "✔ pid" in text
        assert load_progress(progress)["pid"].done

    asyncio.run(scenario())


def test_the_container_s_output_is_shown_never_obeyed(bundle: Path, tmp_path: Path) -> None:
    hostile = "my pid: 1\n\x1b]2;PWNED\x07\x1b[2J\x1b[31mred\u202e\n"
    runner = FakeRunner(output=hostile)

    async def scenario() -> None:
        app = lesson_app(bundle, runner, tmp_path / "p.json")
        async with app.run_test(size=(100, 60)) as pilot:
            screen = await open_lessons(pilot, app)
            await pilot.press("c")
            await settle(pilot, app)
            rendered = str(screen.query_one("#lesson-text").render())
            assert "PWNED" in rendered and "red" in rendered
            assert not any(char in rendered for char in "\x1b\x07\u202e")

    asyncio.run(scenario())


def test_a_refused_launch_is_one_sentence_naming_the_field(bundle: Path, tmp_path: Path) -> None:
    problem = Problem(pointer="/process/args", message="process.args is empty", severity="error",
                      hint="")
    runner = FakeRunner(refuse=LaunchRefused("1 error", [problem]))

    async def scenario() -> None:
        app = lesson_app(bundle, runner, tmp_path / "p.json")
        async with app.run_test(size=(80, 24)) as pilot:
            await open_lessons(pilot, app)
            await pilot.press("c")
            await settle(pilot, app)
            assert "did not run: /process/args: process.args is empty" in screen_text(app)
        assert not (tmp_path / "p.json").exists(), "a check that did not run is not counted"

    asyncio.run(scenario())


def test_a_broken_config_json_is_not_checked(bundle: Path, tmp_path: Path) -> None:
    (bundle / "config.json").write_text('{"ociVersion": ')
    runner = FakeRunner()

    async def scenario() -> None:
        app = lesson_app(bundle, runner, tmp_path / "p.json")
        async with app.run_test(size=(80, 24)) as pilot:
            # It opens on the raw editor, where 4 is typed: the header's tab switches.
            await app.action_switch_to("lessons")
            await settle(pilot, app)
            assert "does not parse" in screen_text(app)
            await pilot.press("c")
            await settle(pilot, app)
            assert runner.calls == []

    asyncio.run(scenario())


def test_each_lesson_is_listed_and_shown(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = lesson_app(bundle, FakeRunner(), tmp_path / "p.json")
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_lessons(pilot, app)
            for name in ("mount", "user", "capabilities", "memory", "seccomp"):
                await pilot.press("down")
                await settle(pilot, app)
                lesson = lesson_named(name)
                assert screen.lesson is lesson
                assert lesson.title in str(screen.query_one("#lesson-text").render())

    asyncio.run(scenario())


def test_progress_from_an_earlier_session_is_shown(bundle: Path, tmp_path: Path) -> None:
    progress = tmp_path / "p.json"
    progress.write_text(json.dumps({"lessons": {"seccomp": {"checks": 2, "passed_at": 1.0}}}))

    async def scenario() -> None:
        app = lesson_app(bundle, FakeRunner(), progress)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_lessons(pilot, app)
            assert "✔ seccomp" in screen_text(app)

    asyncio.run(scenario())


def test_read_only_mode_runs_no_check(bundle: Path, tmp_path: Path) -> None:
    for read_only in (True, False):  # the same key checks when the mode is off
        runner = FakeRunner()

        async def scenario(runner: FakeRunner = runner, read_only: bool = read_only) -> None:
            app = lesson_app(bundle, runner, tmp_path / "p.json", read_only=read_only)
            async with app.run_test(size=(80, 24)) as pilot:
                screen = await open_lessons(pilot, app)
                await pilot.press("c")
                await settle(pilot, app)
                screen.action_check_lesson()  # and not by a direct call either
                await settle(pilot, app)

        asyncio.run(scenario())
        assert (runner.calls == []) is read_only


def test_s_step_launches_the_editor_s_config(bundle: Path, tmp_path: Path, monkeypatch) -> None:
    from bundlebench.tui.screens.containers_actions import ContainersActions

    for read_only in (False, True):
        calls: list[bool] = []
        monkeypatch.setattr(ContainersActions, "action_step_launch",
                            lambda self, calls=calls: calls.append(True))

        async def scenario(read_only: bool = read_only) -> None:
            app = lesson_app(bundle, FakeRunner(), tmp_path / "p.json", read_only=read_only)
            async with app.run_test(size=(80, 24)) as pilot:
                await open_lessons(pilot, app)
                await pilot.press("s")
                await settle(pilot, app)
                assert app.current_mode == "containers"

        asyncio.run(scenario())
        assert calls == ([] if read_only else [True])


def test_begin_where_the_config_is_already_at_the_start(bundle: Path, tmp_path: Path) -> None:
    async def scenario() -> None:
        app = lesson_app(bundle, FakeRunner(), tmp_path / "p.json")
        async with app.run_test(size=(80, 24)) as pilot:
            await open_lessons(pilot, app)
            await pilot.press("end")  # seccomp: the default config has none to take out
            await settle(pilot, app)
            await pilot.press("b")
            await settle(pilot, app)
            assert app.current_mode == "config" and not app.dirty
            said = [note.message for note in app._notifications]
            assert any("already at its starting point" in message for message in said), said
            assert not app.screen.session.can_undo

    asyncio.run(scenario())
