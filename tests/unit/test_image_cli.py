"""`bundlebench unpack` and `bundlebench images`: output, exit codes, one-sentence errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bundlebench.cli import main
from bundlebench.image import unpack as unpack_module
from tests.unit.image_helpers import F, write_docker_archive, write_oci_layout

IMAGE = {"ref": "demo:1", "platform": "linux/amd64",
         "config": {"Entrypoint": ["/bin/app"], "Cmd": ["--serve"], "Env": ["A=1"]},
         "layers": [[F("bin/app", b"#!/bin/sh\n", mode=0o755)], [F("etc/motd", b"hi")]]}


def error_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("bundlebench: ") and "\n" not in err and "Traceback" not in err
    return err


def test_unpack_writes_a_bundle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_oci_layout(tmp_path / "img", [IMAGE])
    assert main(["unpack", str(tmp_path / "img"), str(tmp_path / "b")]) == 0
    config = json.loads((tmp_path / "b/config.json").read_text())
    assert config["process"]["args"] == ["/bin/app", "--serve"]
    assert "A=1" in config["process"]["env"]
    assert (tmp_path / "b/rootfs/etc/motd").read_text() == "hi"
    assert (tmp_path / "b/.bundlebench/provenance.json").is_file()
    assert "Bundle ready" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["b", "img"]


def test_unpack_rootless(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "img", [IMAGE])
    assert main(["unpack", "--rootless", str(tmp_path / "img"), str(tmp_path / "b")]) == 0
    config = json.loads((tmp_path / "b/config.json").read_text())
    assert any(ns["type"] == "user" for ns in config["linux"]["namespaces"])


def test_unpack_refuses_a_non_empty_dir_without_force(tmp_path: Path, capsys) -> None:
    write_oci_layout(tmp_path / "img", [IMAGE])
    (tmp_path / "b").mkdir()
    (tmp_path / "b/precious").write_text("keep")
    assert main(["unpack", str(tmp_path / "img"), str(tmp_path / "b")]) == 1
    assert "--force" in error_line(capsys)
    assert (tmp_path / "b/precious").read_text() == "keep"
    assert main(["unpack", "--force", str(tmp_path / "img"), str(tmp_path / "b")]) == 0
    assert not (tmp_path / "b/precious").exists() and (tmp_path / "b/rootfs/bin/app").exists()
    assert sorted(os.listdir(tmp_path)) == ["b", "img"]


@pytest.mark.parametrize(("args", "words"), [
    (["--ref", "nope"], "no image named 'nope'"),
    (["--platform", "linux/s390x"], "--platform"),
    (["--platform", "bogus"], "os/arch"),
])
def test_selection_errors(tmp_path: Path, capsys, args: list[str], words: str) -> None:
    write_oci_layout(tmp_path / "img", [IMAGE])
    assert main(["unpack", *args, str(tmp_path / "img"), str(tmp_path / "x/y/b")]) == 1
    assert words in error_line(capsys)
    assert sorted(os.listdir(tmp_path)) == ["img"]


def test_missing_image(tmp_path: Path, capsys) -> None:
    assert main(["unpack", str(tmp_path / "nothing"), str(tmp_path / "b")]) == 1
    assert "does not exist" in error_line(capsys)
    assert main(["images", str(tmp_path / "nothing")]) == 1
    assert "does not exist" in error_line(capsys)


def test_interrupted_unpack_leaves_nothing(tmp_path: Path, monkeypatch) -> None:
    write_oci_layout(tmp_path / "img", [IMAGE])
    calls = []

    def interrupting(description: str):
        calls.append(description)
        if len(calls) == 2:
            raise KeyboardInterrupt
        from contextlib import nullcontext

        return nullcontext()

    with pytest.raises(KeyboardInterrupt):
        unpack_module.unpack_image(tmp_path / "img", tmp_path / "new/parent/b",
                                   progress=interrupting)
    assert sorted(os.listdir(tmp_path)) == ["img"]
    assert main(["unpack", str(tmp_path / "img"), str(tmp_path / "b")]) == 0


def test_failed_replace_keeps_the_old_bundle(tmp_path: Path, capsys) -> None:
    write_oci_layout(tmp_path / "img", [IMAGE])
    assert main(["unpack", str(tmp_path / "img"), str(tmp_path / "b")]) == 0
    capsys.readouterr()
    write_oci_layout(tmp_path / "bad", [{"layers": [[F("../escape", b"x")]]}])
    assert main(["unpack", "--force", str(tmp_path / "bad"), str(tmp_path / "b")]) == 1
    assert "unsafe" in error_line(capsys)
    assert (tmp_path / "b/rootfs/etc/motd").exists()
    assert sorted(os.listdir(tmp_path)) == ["b", "bad", "img"]


def test_images_table_and_json(tmp_path: Path, capsys) -> None:
    write_oci_layout(tmp_path / "img", [IMAGE, {**IMAGE, "ref": "demo:2",
                                               "platform": "linux/arm64"}])
    assert main(["images", str(tmp_path / "img"), "--layers"]) == 0
    out = capsys.readouterr().out
    assert "demo:1" in out and "linux/arm64" in out and "layer 1" in out
    assert main(["images", "--format", "json", str(tmp_path / "img")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "oci-layout"
    assert [i["refs"] for i in data["images"]] == [["demo:1"], ["demo:2"]]
    first = data["images"][0]
    assert len(first["layers"]) == 2 and first["size"] == sum(
        layer["size"] for layer in first["layers"])


def test_images_of_a_docker_archive(tmp_path: Path, capsys) -> None:
    write_docker_archive(tmp_path / "a.tar", [IMAGE])
    assert main(["images", "--format", "json", str(tmp_path / "a.tar")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "docker-archive"
    assert data["images"][0]["refs"] == ["demo:1"]
    assert data["images"][0]["platform"] == "linux/amd64"


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_no_space_left_leaves_nothing(tmp_path: Path, capsys) -> None:
    import subprocess

    write_oci_layout(tmp_path / "img", [{"layers": [[F("big", os.urandom(3 << 20))]]}])
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(small)], check=True)
    try:
        assert main(["unpack", str(tmp_path / "img"), str(small / "b")]) == 1
        assert "no space left" in error_line(capsys)
        assert os.listdir(small) == []
    finally:
        subprocess.run(["umount", str(small)], check=True)


def test_path_colon_ref(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "img", [IMAGE, {**IMAGE, "ref": "other"}])
    assert main(["unpack", f"{tmp_path / 'img'}:other", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b/rootfs/etc/motd").exists()


def test_dir_filled_during_the_unpack_is_not_replaced(tmp_path: Path) -> None:
    from contextlib import nullcontext

    from bundlebench.errors import BundlebenchError

    write_oci_layout(tmp_path / "img", [IMAGE])
    (tmp_path / "b").mkdir()

    def filling(description: str):
        (tmp_path / "b/arrived").write_text("meanwhile")
        return nullcontext()

    with pytest.raises(BundlebenchError, match="filled while"):
        unpack_module.unpack_image(tmp_path / "img", tmp_path / "b", progress=filling)
    assert os.listdir(tmp_path / "b") == ["arrived"]
    assert sorted(os.listdir(tmp_path)) == ["b", "img"]
