"""Each lesson's check, in real containers: the lesson's starting point fails it, a right
edit passes it, and the trace holds the steps the lesson explains (root)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bundlebench.lessons.catalog import LESSONS
from bundlebench.lessons.model import Lesson
from bundlebench.lessons.runner import run_check
from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY


@pytest.mark.parametrize("lesson", LESSONS, ids=[lesson.name for lesson in LESSONS])
def test_the_start_fails_the_check_and_the_right_edit_passes(
        lesson: Lesson, demo_rootfs: Path, runtime_root: Path) -> None:
    bundle = demo_rootfs.parent
    demo = json.loads((bundle / "config.json").read_text())
    start = lesson.begin(demo)
    assert lesson.edit_missing(start), "the lesson's start must lack its edit"

    wrong = run_check(lesson, bundle, start, root=str(runtime_root))
    assert not wrong.passed, f"passed without the edit: {wrong.output!r}"
    assert wrong.problem

    right_config = lesson.solve(start)
    assert lesson.edit_missing(right_config) == []
    right = run_check(lesson, bundle, right_config, root=str(runtime_root))
    assert right.passed, (right.output, right.exit_code, right.problem)
    assert right.steps, f"no trace step of {lesson.kinds} was recorded"
    assert all(result == "ok" for _title, _call, result in right.steps)

    left = [name for name in os.listdir(runtime_root) if name.startswith("lesson-")]
    assert left == [], f"the checks left containers behind: {left}"
    assert json.loads((bundle / "config.json").read_text()) == demo, "the bundle changed"


def test_a_check_that_does_not_end_is_stopped_and_removed(demo_rootfs: Path,
                                                          runtime_root: Path) -> None:
    import dataclasses
    import time

    bundle = demo_rootfs.parent
    slow = dataclasses.replace(LESSONS[0], check=("sh", "-c", "echo started; sleep 30"))
    began = time.monotonic()
    outcome = run_check(slow, bundle, json.loads((bundle / "config.json").read_text()),
                        root=str(runtime_root), seconds=1)
    assert time.monotonic() - began < 10
    assert outcome.problem == "the check did not end within 1 s, so it was stopped."
    assert "started" in outcome.output and outcome.exit_code is None
    assert [n for n in os.listdir(runtime_root) if n.startswith("lesson-")] == []
