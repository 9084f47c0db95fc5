"""help, COMMAND --help, usage exit codes, checkpoint/restore, exec --cap (no root)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from runtime.cli import exec_flags


def _rt(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "runtime", "--root", str(tmp_path / "r"),
                           *args], capture_output=True, text=True, timeout=30)


def test_help_lists_every_command(tmp_path: Path) -> None:
    for argv in (["help"], ["--help"], ["-h"], ["h"], []):
        result = _rt(tmp_path, *argv)
        assert result.returncode == 0 and result.stderr == "", argv
        lines = result.stdout.splitlines()
        for command in ("create", "exec", "list", "checkpoint", "restore", "help", "update"):
            assert any(line.split()[:1] == [command] for line in lines), (argv, command)


@pytest.mark.parametrize("argv", [["help", "exec"], ["exec", "--help"], ["exec", "-h"],
                                  ["exec", "-t", "--help"]])
def test_command_usage_names_its_flags(tmp_path: Path, argv: list[str]) -> None:
    result = _rt(tmp_path, *argv)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: bundlebench-runtime exec")
    for flag in ("--cap", "--cgroup", "--ignore-paused", "--apparmor", "--process-label"):
        assert flag in result.stdout


def test_create_help_and_run_no_subreaper_usage(tmp_path: Path) -> None:
    assert "--console-socket" in _rt(tmp_path, "create", "--help").stdout
    assert "--no-subreaper" in _rt(tmp_path, "help", "run").stdout


@pytest.mark.parametrize(("argv", "code", "word"), [
    (["create", "--bogus", "x"], 1, "--bogus"), (["create"], 1, "container id"),
    (["kill"], 1, "container id"), (["list", "extra"], 1, "extra"),
    (["create", "--preserve-fds", "abc", "x"], 1, "number"),
    (["exec", "--cap"], 1, "--cap"), (["frobnicate"], 3, "frobnicate"),
    (["help", "frobnicate"], 3, "frobnicate")])
def test_usage_errors_exit_as_runc(tmp_path: Path, argv: list[str], code: int,
                                   word: str) -> None:
    result = _rt(tmp_path, *argv)
    assert result.returncode == code, result.stderr
    assert word in result.stderr and len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", ["checkpoint", "restore"])
def test_checkpoint_and_restore_say_not_supported(tmp_path: Path, command: str) -> None:
    result = _rt(tmp_path, command, "--image-path", "/x", "c1")
    assert result.returncode == 1
    assert "not supported" in result.stderr and "criu" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    helped = _rt(tmp_path, command, "--help")
    assert helped.returncode == 0 and helped.stdout.startswith(f"usage: bundlebench-runtime "
                                                               f"{command}")


def test_exec_cap_adds_to_bounding_effective_permitted() -> None:
    proc = {"capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"],
                             "permitted": ["CAP_KILL"]}}
    exec_flags.add_caps(proc, ["CAP_NET_ADMIN", "sys_time", "CAP_KILL"])
    for kind in ("bounding", "effective", "permitted"):
        assert proc["capabilities"][kind] == ["CAP_KILL", "CAP_NET_ADMIN", "CAP_SYS_TIME"]
    assert "inheritable" not in proc["capabilities"]  # runc's CVE-2022-29162 fix
    assert "ambient" not in proc["capabilities"]


def test_exec_cap_ambient_only_where_inheritable_has_it() -> None:
    proc = {"capabilities": {"inheritable": ["CAP_NET_ADMIN"]}}
    exec_flags.add_caps(proc, ["CAP_NET_ADMIN", "CAP_CHOWN"])
    assert proc["capabilities"]["ambient"] == ["CAP_NET_ADMIN"]
    assert proc["capabilities"]["inheritable"] == ["CAP_NET_ADMIN"]
