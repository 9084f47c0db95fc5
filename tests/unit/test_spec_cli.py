"""`bundlebench spec`: writes runc's default, refuses to overwrite, takes ARGS."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bundlebench.cli import main
from runtime.defaults import default_config


def _read(bundle: Path) -> dict:
    return json.loads((bundle / "config.json").read_text())


def test_writes_default_config(tmp_path: Path, capsys):
    assert main(["spec", "--bundle", str(tmp_path)]) == 0
    assert _read(tmp_path) == default_config()
    text = (tmp_path / "config.json").read_text()
    assert text.startswith('{\n\t"ociVersion": "1.3.0"')
    assert [p.name for p in tmp_path.iterdir()] == ["config.json"]  # no temp file left


def test_writes_into_current_directory(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["spec"]) == 0
    assert _read(tmp_path)["ociVersion"] == "1.3.0"


def test_refuses_to_overwrite(tmp_path: Path, capsys):
    (tmp_path / "config.json").write_text("mine")
    assert main(["spec", "--bundle", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and err.count("\n") == 1
    assert (tmp_path / "config.json").read_text() == "mine"


def test_force_overwrites(tmp_path: Path, capsys):
    (tmp_path / "config.json").write_text("mine")
    assert main(["spec", "--bundle", str(tmp_path), "--force"]) == 0
    assert _read(tmp_path) == default_config()


def test_args_after_double_dash_replace_process_args(tmp_path: Path, capsys):
    argv = ["spec", "--bundle", str(tmp_path), "--", "/bin/echo", "-n", "--force"]
    assert main(argv) == 0
    assert _read(tmp_path)["process"]["args"] == ["/bin/echo", "-n", "--force"]


def test_rootless(tmp_path: Path, capsys):
    assert main(["spec", "--rootless", "--bundle", str(tmp_path)]) == 0
    config = _read(tmp_path)
    assert config == default_config(rootless=True)
    assert config["linux"]["uidMappings"][0]["hostID"] == os.geteuid()


def test_missing_bundle_directory(tmp_path: Path, capsys):
    assert main(["spec", "--bundle", str(tmp_path / "nope")]) == 1
    assert "does not exist" in capsys.readouterr().err
    assert not (tmp_path / "nope").exists()
