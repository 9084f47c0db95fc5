"""The lessons' edit checks, judges and progress, without containers."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from bundlebench.lessons import progress
from bundlebench.lessons.catalog import LESSONS, lesson_named
from bundlebench.lessons.model import Lesson
from runtime.defaults import default_config

IDS = [lesson.name for lesson in LESSONS]


@pytest.fixture
def demo() -> dict[str, Any]:
    config = default_config(rootless=False)
    config["hostname"] = "bundlebench-demo"
    return config


def test_six_lessons_with_every_part() -> None:
    assert len(LESSONS) >= 6
    assert {"pid", "mount", "user", "capabilities", "memory", "seccomp"} <= set(IDS)
    for lesson in LESSONS:
        assert lesson.goal and lesson.edit and lesson.check and lesson.kernel, lesson.name
        assert lesson.field.startswith("/")


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_the_start_lacks_the_edit_and_the_solution_has_it(lesson: Lesson, demo) -> None:
    before = copy.deepcopy(demo)
    start = lesson.begin(demo)
    assert demo == before, "begin must not change its argument"
    assert lesson.begin(start) == start, "beginning twice is beginning once"
    missing = lesson.edit_missing(start)
    assert missing and all(isinstance(m, str) and m.endswith(".") for m in missing)
    assert lesson.edit_missing(lesson.solve(start)) == []


NEAR_MISSES = {
    "pid": lambda c: _set(c, "linux", "namespaces", [*c["linux"]["namespaces"],
                                                    {"type": "pid", "path": "/proc/1/ns/pid"}]),
    "mount": lambda c: _set(c, None, "mounts", [*c["mounts"], {
        "destination": "/lesson", "type": "bind", "source": "/tmp", "options": ["bind"]}]),
    "user": lambda c: _set(c, "linux", "uidMappings",
                           [{"containerID": 0, "hostID": 100000, "size": 65536}],
                           namespace="user"),
    "capabilities": lambda c: _set(c, "process", "capabilities", {
        **c["process"]["capabilities"],
        "effective": [*c["process"]["capabilities"]["effective"], "CAP_DAC_OVERRIDE"]}),
    "memory": lambda c: _set(c, "linux", "resources",
                             {**c["linux"]["resources"], "memory": {"limit": 512 << 20}}),
    "seccomp": lambda c: _set(c, "linux", "seccomp", {
        "defaultAction": "SCMP_ACT_ALLOW",
        "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]}),
}


def _set(config: dict[str, Any], parent: str | None, key: str, value: Any,
         namespace: str | None = None) -> dict[str, Any]:
    result = copy.deepcopy(config)
    (result[parent] if parent else result)[key] = value
    if namespace:
        result["linux"]["namespaces"].append({"type": namespace})
    return result


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_a_near_miss_is_named(lesson: Lesson, demo) -> None:
    edited = NEAR_MISSES[lesson.name](lesson.begin(demo))
    missing = lesson.edit_missing(edited)
    assert missing, f"{lesson.name}: a wrong edit passed the edit check"


HOSTILE_SHAPES = [{}, {"linux": [], "process": "x", "mounts": {}},
                  {"linux": {"namespaces": "pid", "resources": 3, "seccomp": []},
                   "process": {"capabilities": {"effective": "CAP_DAC_OVERRIDE"}}},
                  {"linux": {"namespaces": [None, 1, {"type": 5}],
                             "seccomp": {"syscalls": [None, {"names": "mkdir"}]},
                             "resources": {"memory": {"limit": True}}},
                   "mounts": [None, {"destination": 1}]}]


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
@pytest.mark.parametrize("shape", HOSTILE_SHAPES)
def test_a_half_edited_config_gets_sentences_not_a_crash(lesson: Lesson, shape) -> None:
    missing = lesson.edit_missing(shape)
    assert missing and all(isinstance(m, str) for m in missing)


JUDGED = {  # what the real checks printed (see tests/integration/test_lessons_live.py)
    "pid": (("my pid: 1\nprocesses I see: 4\n", 0), ("my pid: 4375\nprocesses I see: 76\n", 0)),
    "mount": (("tmpfs /lesson tmpfs rw,relatime,size=1024k 0 0\n/lesson\n", 0),
              ("ls: cannot access '/lesson': No such file or directory\n", 2)),
    "user": (("uid_map:          0     100000      65536\nuid=0(root)\n", 0),
             ("uid_map:          0          0 4294967295\nuid=0(root)\n", 0)),
    "capabilities": (("CapEff:\t0000000020000422\nread it: secret\n", 0),
                     ("cat: /dev/shm/locked: Permission denied\nread it: \n", 0)),
    "memory": (("", 137), ("survived with 67108864 bytes\n", 0)),
    "seccomp": (("Seccomp:\t2\nmkdir: can't create directory '/dev/shm/lesson': "
                 "Operation not permitted\n", 1), ("Seccomp:\t0\nmade it\n", 0)),
}


@pytest.mark.parametrize("lesson", LESSONS, ids=IDS)
def test_the_judge_tells_the_two_outcomes_apart(lesson: Lesson) -> None:
    passing, failing = JUDGED[lesson.name]
    assert lesson.judge(*passing) is None
    sentence = lesson.judge(*failing)
    assert isinstance(sentence, str) and sentence.endswith(".")


def test_a_prefix_finds_a_lesson() -> None:
    assert lesson_named("sec") is lesson_named("seccomp")
    assert lesson_named("m") is None  # mount or memory: not unique
    assert lesson_named("nope") is None


def test_progress_counts_checks_and_keeps_the_first_pass(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert progress.progress_path() == tmp_path / "bundlebench" / "lessons.json"
    assert progress.load_progress() == {}
    assert progress.record_check("pid", False).checks == 1
    first = progress.record_check("pid", True)
    assert first.done and first.checks == 2
    again = progress.record_check("pid", False)
    assert again.passed_at == first.passed_at and again.checks == 3
    assert progress.load_progress()["pid"] == again
    assert (tmp_path / "bundlebench" / "lessons.json").stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("damage", ["{", "[]", '{"lessons": 3}', '{"lessons": {"pid": 1}}',
                                    '{"lessons": {"pid": {"checks": "x", "passed_at": true}}}',
                                    "[" * 100000])
def test_damaged_progress_reads_as_none_and_is_rewritten(tmp_path: Path, damage: str) -> None:
    path = tmp_path / "lessons.json"
    path.write_text(damage)
    loaded = progress.load_progress(path)
    assert all(not record.done for record in loaded.values())
    progress.record_check("seccomp", True, path)
    assert json.loads(path.read_text())["lessons"]["seccomp"]["checks"] == 1
