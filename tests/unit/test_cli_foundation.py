"""The `bundlebench` command line: new, demo, errors without tracebacks."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from bundlebench.cli import main


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bundlebench", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def make_tarball(path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in [("bin/sh", b"#!fake\n"), ("etc/hostname", b"x\n")]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            tar.addfile(info, io.BytesIO(data))
    return path


def test_version_and_help() -> None:
    assert "bundlebench" in run_cli("--version").stdout
    result = run_cli("--help")
    assert result.returncode == 0 and "demo" in result.stdout and "new" in result.stdout


def test_new_creates_bundle(tmp_path: Path) -> None:
    tarball = make_tarball(tmp_path / "mini.tar.gz")
    result = run_cli("new", str(tmp_path / "b"), "--from", str(tarball))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "b/rootfs/bin/sh").read_bytes() == b"#!fake\n"
    from bundlebench.bundle import Bundle

    config = Bundle.open(tmp_path / "b").config.data
    assert config["process"]["terminal"] is True and config["root"]["path"] == "rootfs"


def test_new_rootless(tmp_path: Path) -> None:
    tarball = make_tarball(tmp_path / "mini.tar.gz")
    assert main(["new", str(tmp_path / "b"), "--from", str(tarball), "--rootless"]) == 0
    from bundlebench.bundle import Bundle

    namespaces = [n["type"] for n in Bundle.open(tmp_path / "b").config.data["linux"]["namespaces"]]
    assert "user" in namespaces


def test_new_refuses_nonempty_then_force_replaces(tmp_path: Path) -> None:
    tarball = make_tarball(tmp_path / "mini.tar.gz")
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "keep").write_text("mine")
    result = run_cli("new", str(bundle), "--from", str(tarball))
    assert result.returncode == 1
    assert "not empty" in result.stderr and "Traceback" not in result.stderr
    assert not (bundle / "rootfs").exists()
    assert run_cli("new", str(bundle), "--from", str(tarball), "--force").returncode == 0
    assert (bundle / "rootfs/etc/hostname").exists() and (bundle / "keep").exists()


@pytest.mark.parametrize("content", [b"garbage" * 100, None])
def test_new_bad_tarball_leaves_nothing(tmp_path: Path, content: bytes | None) -> None:
    tarball = tmp_path / "bad.tar.gz"
    if content is not None:
        tarball.write_bytes(content)
    result = run_cli("new", str(tmp_path / "b"), "--from", str(tarball))
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "b").exists()


def test_new_hostile_tarball_leaves_nothing(tmp_path: Path) -> None:
    tarball = tmp_path / "evil.tar"
    with tarfile.open(tarball, "w") as tar:
        info = tarfile.TarInfo("../evil")
        tar.addfile(info, io.BytesIO(b""))
    result = run_cli("new", str(tmp_path / "b"), "--from", str(tarball))
    assert result.returncode == 1 and "unsafe" in result.stderr
    assert not (tmp_path / "b").exists() and not (tmp_path / "evil").exists()


def test_demo_prints_where_and_how(tmp_path: Path) -> None:
    result = run_cli("demo", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    assert str(tmp_path / "demo") in result.stdout
    assert "bundlebench-runtime run" in result.stdout and "runc run" in result.stdout
    again = run_cli("demo", str(tmp_path / "demo"))
    assert again.returncode == 0


def test_demo_default_dir_is_per_user_cache(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    result = subprocess.run(
        [sys.executable, "-m", "bundlebench", "demo"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cache/bundlebench/demo-bundle/config.json").exists()


def test_run_of_a_config_that_does_not_parse_says_where(tmp_path: Path) -> None:
    (tmp_path / "rootfs").mkdir()
    (tmp_path / "config.json").write_text('{"ociVersion": "1.3.0", "process": {\n')
    result = run_cli("run", str(tmp_path))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "not valid JSON" in result.stderr and "line 2" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
