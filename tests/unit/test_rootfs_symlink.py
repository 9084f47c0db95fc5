"""A bundle whose rootfs is, or passes through, a symlink: the runtime's plan refuses it,
validate reports the same sentence at /root/path, and the workbench never browses it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bundlebench.bundle.model import Bundle, BundleError
from bundlebench.spec.validate import validate
from runtime.config import load_bundle, resolve_rootfs
from runtime.defaults import default_config
from runtime.errors import RuntimeFailure


def _bundle(tmp_path: Path, root_path: str = "rootfs") -> Path:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    config = default_config(args=["sh"], rootless=os.geteuid() != 0)  # runnable by us
    config["root"]["path"] = root_path
    (bundle / "config.json").write_text(json.dumps(config))
    return bundle


@pytest.fixture
def host_dir(tmp_path: Path) -> Path:
    """A directory outside the bundle with a file the workbench must never show."""
    host = tmp_path / "host"
    (host / "bin").mkdir(parents=True)
    (host / "secret").write_text("host only")
    (host / "bin" / "sh").write_text("")
    return host


@pytest.mark.parametrize("shape", ["rootfs-to-host-dir", "rootfs-to-slash", "through-parent"])
def test_every_symlink_shape_is_refused_alike(tmp_path, host_dir, shape: str) -> None:
    if shape == "through-parent":
        bundle = _bundle(tmp_path, "lib/rootfs")
        (bundle / "lib").symlink_to(host_dir.parent)
        (host_dir.parent / "rootfs").mkdir()
    else:
        bundle = _bundle(tmp_path)
        (bundle / "rootfs").symlink_to("/" if shape == "rootfs-to-slash" else host_dir)
    with pytest.raises(RuntimeFailure) as refused:
        load_bundle(str(bundle))
    sentence = str(refused.value)
    assert "symlink" in sentence and "root.path" in sentence
    problems = [p for p in validate(json.loads((bundle / "config.json").read_text()), bundle)
                if p.pointer == "/root/path" and p.severity == "error"]
    assert [p.message for p in problems] == [sentence + "."]  # the validator's full stop
    # The workbench opens the bundle for repair, and refuses its rootfs in those words.
    opened = Bundle.open(bundle)
    assert opened.rootfs_trouble is not None and opened.rootfs_trouble.message == sentence
    assert not opened.rootfs_trouble.can_make  # a link is the user's: never replaced
    with pytest.raises(BundleError) as workbench:
        opened.rootfs()
    assert str(workbench.value) == sentence


def test_a_refused_rootfs_is_not_looked_into_by_validate(tmp_path, host_dir) -> None:
    """The host dir has bin/sh; validate must not find it there (nor miss it there)."""
    bundle = _bundle(tmp_path)
    (bundle / "rootfs").symlink_to(host_dir)
    problems = validate(json.loads((bundle / "config.json").read_text()), bundle)
    assert [p.pointer for p in problems if p.severity == "error"] == ["/root/path"]


def test_absolute_root_path_through_a_symlink_is_refused(tmp_path, host_dir) -> None:
    (tmp_path / "link").symlink_to(host_dir)
    with pytest.raises(RuntimeFailure, match="symlink"):
        resolve_rootfs(str(tmp_path), str(tmp_path / "link"))
    assert resolve_rootfs("/anywhere", str(host_dir)) == str(host_dir)


def test_a_bundle_reached_through_a_symlink_is_fine(tmp_path) -> None:
    """Like runc, only what root.path names counts: the bundle's own path may be a link."""
    bundle = _bundle(tmp_path)
    (bundle / "rootfs").mkdir()
    (tmp_path / "bundle-link").symlink_to(bundle)
    config, _, rootfs = load_bundle(str(tmp_path / "bundle-link"))
    assert rootfs == os.path.realpath(bundle / "rootfs")
    assert Bundle.open(tmp_path / "bundle-link").rootfs_path.is_dir()
    assert not [p for p in validate(config, tmp_path / "bundle-link") if p.pointer == "/root/path"
                and p.severity == "error"]


def test_deeply_nested_config_is_a_sentence_for_validate_and_the_runtime(tmp_path) -> None:
    """3,000 levels of arrays: one sentence from both readers, no RecursionError."""
    import subprocess
    import sys

    bundle = tmp_path / "deep"
    (bundle / "rootfs").mkdir(parents=True)
    depth = 3000
    (bundle / "config.json").write_text(
        '{"ociVersion": "1.3.0", "annotations": {"x": ' + "[" * depth + "1" + "]" * depth + "}}")
    where = "nests deeper than 64 levels at /annotations/x/0/0/0/0/…"
    with pytest.raises(RuntimeFailure, match=where):
        load_bundle(str(bundle))
    result = subprocess.run([sys.executable, "-m", "bundlebench", "validate", str(bundle)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert where in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
