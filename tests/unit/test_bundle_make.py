"""Making bundles and rootfs directories: whole at the end, nothing left on cancel or failure."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from bundlebench.bundle.make import (
    Cancelled,
    Job,
    make_bundle_from_tarball,
    make_rootfs_from_image,
    make_rootfs_from_tarball,
    unpack_image_bundle,
    write_default_config,
)
from bundlebench.errors import BundlebenchError
from tests.unit.image_helpers import D, F, tar_bytes, write_oci_layout


def rootfs_tarball(path: Path, count: int = 20) -> Path:
    path.write_bytes(tar_bytes([D("etc"), F("etc/hostname", b"made\n")]
                               + [F(f"f{i}", b"x" * 10) for i in range(count)]))
    return path


def image(path: Path) -> Path:
    write_oci_layout(path, [{"ref": "latest", "layers": [
        [D("etc"), F("etc/hostname", b"layer one\n")], [F("bin/tool", b"#!/bin/sh\n", 0o755)]]}])
    return path


def test_a_bundle_from_a_tarball(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    made = make_bundle_from_tarball(rootfs_tarball(tmp_path / "r.tar"), tmp_path / "b",
                                    rootless=True, job=Job(lambda *a: seen.append(a)))
    assert made == tmp_path / "b"
    assert (made / "rootfs/etc/hostname").read_text() == "made\n"
    config = json.loads((made / "config.json").read_text())
    assert any(ns["type"] == "user" for ns in config["linux"]["namespaces"])
    assert seen and seen[0][0] == "extracting r.tar"
    assert sorted(os.listdir(tmp_path)) == ["b", "r.tar"]


def test_cancel_leaves_nothing_behind(tmp_path: Path) -> None:
    cancel = threading.Event()
    calls = []

    def report(what: str, done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 3:
            cancel.set()

    with pytest.raises(Cancelled):
        make_bundle_from_tarball(rootfs_tarball(tmp_path / "r.tar"), tmp_path / "b",
                                 rootless=False, job=Job(report, cancel))
    assert len(calls) == 3
    assert os.listdir(tmp_path) == ["r.tar"]


def test_a_corrupt_tarball_leaves_nothing_behind(tmp_path: Path) -> None:
    data = rootfs_tarball(tmp_path / "r.tar").read_bytes()
    (tmp_path / "r.tar").write_bytes(data[: len(data) // 2])
    (tmp_path / "b").mkdir()  # an empty directory is a fine target, and stays
    with pytest.raises(BundlebenchError, match="r.tar"):
        make_bundle_from_tarball(tmp_path / "r.tar", tmp_path / "b", rootless=False)
    assert sorted(os.listdir(tmp_path)) == ["b", "r.tar"] and not os.listdir(tmp_path / "b")


def test_a_full_target_is_refused(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "mine").write_text("keep")
    with pytest.raises(BundlebenchError, match="is not empty"):
        make_bundle_from_tarball(rootfs_tarball(tmp_path / "r.tar"), tmp_path / "b",
                                 rootless=False)
    assert os.listdir(tmp_path / "b") == ["mine"]


def test_a_missing_rootfs_from_a_tarball(tmp_path: Path) -> None:
    rootfs = make_rootfs_from_tarball(rootfs_tarball(tmp_path / "r.tar"), tmp_path / "rootfs")
    assert (rootfs / "etc/hostname").read_text() == "made\n"
    assert sorted(os.listdir(tmp_path)) == ["r.tar", "rootfs"]


def test_an_image_becomes_a_bundle_and_cancel_leaves_nothing(tmp_path: Path) -> None:
    made = unpack_image_bundle(image(tmp_path / "img"), tmp_path / "b", rootless=False)
    assert (made / "rootfs/bin/tool").exists() and (made / "config.json").exists()
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        unpack_image_bundle(tmp_path / "img", tmp_path / "c", rootless=False,
                            job=Job(cancel=cancel))
    assert sorted(os.listdir(tmp_path)) == ["b", "img"]


def test_a_missing_rootfs_from_an_image_keeps_the_config(tmp_path: Path) -> None:
    bundle = tmp_path / "b"
    bundle.mkdir()
    (bundle / "config.json").write_text('{"root": {"path": "rootfs"}}')
    make_rootfs_from_image(image(tmp_path / "img"), bundle, bundle / "rootfs")
    assert (bundle / "rootfs/etc/hostname").read_text() == "layer one\n"
    assert (bundle / "config.json").read_text() == '{"root": {"path": "rootfs"}}'
    assert (bundle / ".bundlebench/provenance.json").exists()
    assert sorted(os.listdir(tmp_path)) == ["b", "img"]


def test_the_default_config_is_never_written_over_one(tmp_path: Path) -> None:
    write_default_config(tmp_path, rootless=False)
    first = (tmp_path / "config.json").read_text()
    with pytest.raises(BundlebenchError, match="already exists"):
        write_default_config(tmp_path, rootless=True)
    assert (tmp_path / "config.json").read_text() == first
    write_default_config(tmp_path, rootless=True, replace=True)
    assert (tmp_path / "config.json").read_text() != first
