"""The command line parser and the commands that need no root."""

from __future__ import annotations

import json

import pytest

from runtime import cli
from runtime.errors import RuntimeFailure


def test_global_and_command_flags() -> None:
    g, command, flags, operands = cli.parse_command_line(
        ["--root", "/r", "--log-format=json", "run", "-d", "--bundle", "/b", "--keep", "c1"])
    assert g == {"root": "/r", "log_format": "json"}
    assert command == "run" and operands == ["c1"]
    assert flags == {"detach": True, "bundle": "/b", "keep": True}


def test_flags_after_the_id_and_single_dash_long_flags() -> None:
    _, _, flags, operands = cli.parse_command_line(["create", "c1", "-bundle", "/b",
                                                    "--pid-file=/p"])
    assert operands == ["c1"] and flags == {"bundle": "/b", "pid_file": "/p"}


def test_exec_stops_at_the_command() -> None:
    _, _, flags, operands = cli.parse_command_line(
        ["exec", "-t", "-e", "A=1", "--env", "B=2", "c1", "ls", "-l", "--color"])
    assert flags == {"tty": True, "env": ["A=1", "B=2"]}
    assert operands == ["c1", "ls", "-l", "--color"]


@pytest.mark.parametrize("argv", [["start"], ["kill"], ["create", "--bogus", "x"],
                                  ["delete", "a", "b"], ["create", "-b"]])
def test_usage_errors(argv) -> None:
    with pytest.raises(RuntimeFailure) as info:
        cli.parse_command_line(argv)
    assert info.value.exit_code == 1  # runc's code for a usage error


def test_unknown_command_exits_3_as_runc() -> None:
    with pytest.raises(RuntimeFailure) as info:
        cli.parse_command_line(["nope"])
    assert info.value.exit_code == 3


def test_main_prints_one_sentence(capsys, tmp_path) -> None:
    assert cli.main(["--root", str(tmp_path), "state", "missing"]) == 1
    err = capsys.readouterr().err
    assert err == "bundlebench-runtime: container 'missing' does not exist\n"
    assert cli.main(["--root", str(tmp_path), "kill", "missing", "BOGUS"]) == 1
    assert cli.main(["--version"]) == 0
    assert "spec: 1.3.0" in capsys.readouterr().out


def test_spec_and_features(capsys, tmp_path) -> None:
    assert cli.main(["spec", "-b", str(tmp_path)]) == 0
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["ociVersion"] == "1.3.0"
    assert cli.main(["spec", "-b", str(tmp_path)]) == 1
    assert "exists" in capsys.readouterr().err
    assert cli.main(["features"]) == 0
    assert json.loads(capsys.readouterr().out)["ociVersionMax"] == "1.3.0"


def test_list_empty_root(capsys, tmp_path) -> None:
    assert cli.main(["--root", str(tmp_path / "none"), "list", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert cli.main(["--root", str(tmp_path / "none"), "list"]) == 0
    assert capsys.readouterr().out.split() == ["ID", "PID", "STATUS", "BUNDLE", "CREATED",
                                               "OWNER"]


def test_api_read_only_calls(tmp_path) -> None:
    from runtime.api import Runtime
    rt = Runtime(root=str(tmp_path / "root"))
    assert rt.root == str(tmp_path / "root")
    assert rt.list() == []
    with pytest.raises(RuntimeFailure, match="does not exist"):
        rt.state("nope")
    with pytest.raises(RuntimeFailure, match="unknown signal"):
        rt.kill("nope", "NOTASIGNAL")
    with pytest.raises(RuntimeFailure, match="contains"):
        rt.delete("../x")
