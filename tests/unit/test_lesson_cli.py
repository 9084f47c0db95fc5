"""`bundlebench lesson`: the list with progress, one lesson, --begin and --check's edit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bundlebench.cli import main
from bundlebench.lessons import progress
from runtime.defaults import default_config


@pytest.fixture(autouse=True)
def state(tmp_path: Path, monkeypatch) -> Path:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return tmp_path / "state"


def _bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "bundle"
    (bundle / "rootfs" / "bin").mkdir(parents=True)
    (bundle / "config.json").write_text(json.dumps(default_config(rootless=False)))
    return bundle


def test_the_list_shows_each_lesson_with_its_progress(capsys) -> None:
    progress.record_check("pid", True)
    progress.record_check("seccomp", False)
    assert main(["lesson"]) == 0
    lines = {line.split()[0]: line for line in capsys.readouterr().out.splitlines() if line}
    assert lines["pid"].endswith("[done]")
    assert lines["seccomp"].endswith("[1 check, not passed yet]")
    assert lines["memory"].endswith("[not started]")


def test_one_lesson_is_shown_with_its_goal_edit_and_check(capsys) -> None:
    assert main(["lesson", "seccomp"]) == 0
    out = capsys.readouterr().out
    for heading in ("Goal:", "The edit:", "Field:", "The check:", "You should see:"):
        assert heading in out
    assert "mkdir" in out and "/linux/seccomp" in out


def test_an_unknown_lesson_is_one_sentence_and_exit_2(capsys) -> None:
    assert main(["lesson", "pwn\x1b]2;x\x07"]) == 2
    err = capsys.readouterr().err
    assert "there is no lesson" in err and "\x1b" not in err and "pid, mount" in err


def test_begin_writes_the_start_and_check_names_the_missing_edit(tmp_path: Path,
                                                                 capsys, state) -> None:
    bundle = _bundle(tmp_path)
    assert main(["lesson", "pid", "--begin", str(bundle)]) == 0
    config = json.loads((bundle / "config.json").read_text())
    assert "pid" not in [ns["type"] for ns in config["linux"]["namespaces"]]
    capsys.readouterr()
    # The edit is missing: said, and no container is launched (none could be: the rootfs
    # has no shell), and no check is counted.
    assert main(["lesson", "pid", "--check", str(bundle)]) == 1
    out = capsys.readouterr().out
    assert "not yet: linux.namespaces has no pid namespace" in out
    assert progress.load_progress() == {}


def test_a_broken_config_is_one_sentence(tmp_path: Path, capsys) -> None:
    bundle = _bundle(tmp_path)
    (bundle / "config.json").write_text('{"ociVersion": ')
    code = main(["lesson", "pid", "--check", str(bundle)])
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1 and "config.json" in err
    assert main(["lesson", "--check", str(bundle)]) == 2


def test_a_config_the_runtime_refuses_lists_its_errors(tmp_path: Path, capsys, state) -> None:
    bundle = _bundle(tmp_path)
    config = json.loads((bundle / "config.json").read_text())
    config["process"]["cwd"] = "relative/dir"  # the pid namespace is there: the edit is done
    (bundle / "config.json").write_text(json.dumps(config))
    assert main(["lesson", "pid", "--check", str(bundle)]) == 1
    out = capsys.readouterr().out
    assert "Not launched:" in out and "/process/cwd" in out
    assert progress.load_progress() == {}, "a check that did not run is not counted"
