"""`bundlebench validate`: output formats and exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bundlebench.cli import main
from runtime.defaults import default_config, dumps
from tests.unit.checks_helpers import make_bundle


def _bundle(tmp_path: Path, **changes) -> Path:
    """A bundle whose config the user running the tests could run (validate == run)."""
    bundle = make_bundle(tmp_path)
    config = default_config(rootless=os.geteuid() != 0)
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            config[section][field] = value
        else:
            config[section] = value
    (bundle / "config.json").write_text(dumps(config))
    return bundle


def test_valid_bundle_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    bundle = _bundle(tmp_path)
    assert main(["validate", str(bundle)]) == 0
    assert "valid" in capsys.readouterr().out


def test_errors_exit_1_and_name_the_pointer(tmp_path, capsys):
    bundle = _bundle(tmp_path, process__cwd="relative")
    assert main(["validate", str(bundle)]) == 1
    out = capsys.readouterr().out
    assert "/process/cwd" in out and "error" in out and "1 error" in out


def test_warnings_only_exit_0(tmp_path, capsys):
    bundle = _bundle(tmp_path, annotations={"nodots": "x"})
    assert main(["validate", str(bundle)]) == 0
    assert "/annotations/nodots" in capsys.readouterr().out


def test_json_output(tmp_path, capsys):
    bundle = _bundle(tmp_path, process__cwd="relative", annotations={"nodots": "x"})
    assert main(["validate", str(bundle), "--format", "json"]) == 1
    problems = json.loads(capsys.readouterr().out)
    assert {p["pointer"] for p in problems} == {"/process/cwd", "/annotations/nodots"}
    for problem in problems:
        assert set(problem) == {"pointer", "severity", "message", "hint"}
        assert problem["severity"] in ("error", "warning")


def test_json_output_when_valid(tmp_path, capsys):
    assert main(["validate", str(_bundle(tmp_path)), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_schema_only_skips_semantic_checks(tmp_path, capsys):
    bundle = _bundle(tmp_path, root={"path": "missing"})
    assert main(["validate", str(bundle)]) == 1
    assert main(["validate", str(bundle), "--schema-only"]) == 0


def test_schema_only_reports_schema_errors(tmp_path, capsys):
    bundle = _bundle(tmp_path, process__cwd=5)
    assert main(["validate", str(bundle), "--schema-only", "--format", "json"]) == 1
    assert [p["pointer"] for p in json.loads(capsys.readouterr().out)] == ["/process/cwd"]


def test_missing_rootfs_is_a_problem_not_a_crash(tmp_path, capsys):
    bundle = _bundle(tmp_path)
    (bundle / "rootfs" / "bin" / "sh").unlink()
    (bundle / "rootfs" / "bin").rmdir()
    (bundle / "rootfs" / "tmp").rmdir()
    (bundle / "rootfs").rmdir()
    assert main(["validate", str(bundle), "--format", "json"]) == 1
    assert [p["pointer"] for p in json.loads(capsys.readouterr().out)] == ["/root/path"]


def test_config_file_as_argument(tmp_path, capsys):
    bundle = _bundle(tmp_path)
    assert main(["validate", str(bundle / "config.json")]) == 0


def test_default_bundle_is_current_directory(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(_bundle(tmp_path))
    assert main(["validate"]) == 0


def test_broken_json_exits_2_with_line_and_column(tmp_path, capsys):
    bundle = make_bundle(tmp_path)
    (bundle / "config.json").write_text('{\n\t"ociVersion": "1.3.0",\n\t"process": }\n')
    assert main(["validate", str(bundle)]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "column" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("setup", ["no-dir", "no-config", "not-object"])
def test_unreadable_bundle_exits_2(tmp_path, capsys, setup):
    target = tmp_path / "b"
    if setup != "no-dir":
        target.mkdir()
    if setup == "not-object":
        (target / "config.json").write_text("[]")
    assert main(["validate", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("bundlebench: ") and err.count("\n") == 1
