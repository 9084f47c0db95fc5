"""Against other tools: the same image unpacks to the same file tree.

Each test runs only when its tool is installed (none are by default): umoci unpacks
our synthetic layout; skopeo converts our docker archive to an OCI layout; podman
exports an image it has locally, next to its own view of the image's filesystem.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from bundlebench.image.unpack import unpack_image
from tests.unit.image_helpers import OPQ, D, F, H, S, W, write_docker_archive, write_oci_layout

LAYERS = [
    [D("etc"), F("etc/a", b"one"), F("etc/b", b"b"), D("usr/bin"), F("usr/bin/tool", b"t",
     mode=0o755), S("bin", "usr/bin"), D("var/cache"), F("var/cache/x", b"x"), D("ro", mode=0o555),
     F("ro/file", b"r")],
    [F("etc/a", b"two"), W("etc/b"), H("usr/bin/tool2", "usr/bin/tool"), OPQ("var/cache"),
     F("var/cache/y", b"y")],
    [F("bin/via-link", b"v"), D("etc", mode=0o700)],
]


def picture(root: Path) -> dict[str, tuple]:
    """Path -> (type, permission bits, content or link target)."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        rel = str(path.relative_to(root))
        if stat.S_ISLNK(info.st_mode):
            found[rel] = ("link", os.readlink(path))
        elif stat.S_ISDIR(info.st_mode):
            found[rel] = ("dir", stat.S_IMODE(info.st_mode))
        elif stat.S_ISREG(info.st_mode):
            found[rel] = ("file", stat.S_IMODE(info.st_mode), path.read_bytes())
        else:
            found[rel] = ("other", info.st_mode)
    return found


def run(*command: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=True, capture_output=True, timeout=120, **kwargs)


@pytest.mark.skipif(shutil.which("umoci") is None, reason="umoci is not installed")
def test_same_tree_as_umoci(tmp_path: Path) -> None:
    write_oci_layout(tmp_path / "img", [{"ref": "t", "layers": LAYERS}])
    unpack_image(tmp_path / "img", tmp_path / "ours")
    command = ["umoci", "unpack", "--image", f"{tmp_path / 'img'}:t", str(tmp_path / "theirs")]
    if os.geteuid() != 0:
        command.insert(2, "--rootless")
    run(*command)
    assert picture(tmp_path / "ours/rootfs") == picture(tmp_path / "theirs/rootfs")


@pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")
def test_skopeo_layout_of_our_archive_unpacks_the_same(tmp_path: Path) -> None:
    archive = write_docker_archive(tmp_path / "a.tar", [{"ref": "demo:1", "layers": LAYERS}])
    run("skopeo", "copy", f"docker-archive:{archive}", f"oci:{tmp_path / 'oci'}:demo")
    unpack_image(archive, tmp_path / "from-archive")
    unpack_image(tmp_path / "oci", tmp_path / "from-skopeo")
    assert picture(tmp_path / "from-archive/rootfs") == picture(tmp_path / "from-skopeo/rootfs")


def _podman_image() -> str | None:
    if shutil.which("podman") is None:
        return None
    try:
        listed = run("podman", "images", "--format", "json").stdout
    except (subprocess.SubprocessError, OSError):
        return None
    images = json.loads(listed or b"[]")
    return images[0]["Id"] if images else None


@pytest.mark.skipif(_podman_image() is None,
                    reason="podman is not installed or has no local image to export")
def test_podman_export_unpacks_like_podmans_own_view(tmp_path: Path) -> None:
    image = _podman_image()
    assert image is not None
    run("podman", "save", "--format", "oci-archive", "-o", str(tmp_path / "img.tar"), image)
    unpack_image(tmp_path / "img.tar", tmp_path / "ours")
    container = run("podman", "create", image, "true").stdout.decode().strip()
    try:
        (tmp_path / "theirs").mkdir()
        exported = run("podman", "export", container).stdout
        run("tar", "-x", "-C", str(tmp_path / "theirs"), input=exported)
    finally:
        run("podman", "rm", container)
    ours, theirs = picture(tmp_path / "ours/rootfs"), picture(tmp_path / "theirs")
    # podman adds the mount points it manages; compare what the image itself holds
    for managed in ("etc/hosts", "etc/resolv.conf", "etc/hostname", "run/.containerenv"):
        ours.pop(managed, None)
        theirs.pop(managed, None)
    assert {k: v[0] for k, v in ours.items()} == {k: v[0] for k, v in theirs.items()}


@pytest.mark.skipif(shutil.which("umoci") is None, reason="umoci is not installed")
def test_layers_written_by_umoci_unpack_the_same(tmp_path: Path) -> None:
    """umoci writes the layers (with its own whiteouts) from real edits of a rootfs."""
    rootless = [] if os.geteuid() == 0 else ["--rootless"]
    layout = f"{tmp_path / 'img'}:t"
    run("umoci", "init", "--layout", str(tmp_path / "img"))
    run("umoci", "new", "--image", layout)
    work = tmp_path / "work"
    run("umoci", "unpack", *rootless, "--image", layout, str(work))
    rootfs = work / "rootfs"
    (rootfs / "etc/conf.d").mkdir(parents=True)
    (rootfs / "etc/conf.d/a.conf").write_text("a")
    (rootfs / "etc/conf.d/b.conf").write_text("b")
    (rootfs / "usr/lib").mkdir(parents=True)
    (rootfs / "usr/lib/libx.so").write_bytes(os.urandom(5000))
    os.link(rootfs / "usr/lib/libx.so", rootfs / "usr/lib/libx.so.1")
    (rootfs / "lib").symlink_to("usr/lib")
    run("umoci", "repack", "--image", layout, str(work))
    (rootfs / "etc/conf.d/a.conf").unlink()
    (rootfs / "etc/conf.d/b.conf").write_text("changed")
    shutil.rmtree(rootfs / "usr/lib")
    (rootfs / "usr/lib").mkdir()
    (rootfs / "usr/lib/liby.so").write_text("y")
    run("umoci", "repack", "--image", layout, str(work))
    run("umoci", "config", "--image", layout, "--config.cmd=/bin/true")
    unpack_image(tmp_path / "img", tmp_path / "ours", ref="t")
    run("umoci", "unpack", *rootless, "--image", layout, str(tmp_path / "theirs"))
    assert picture(tmp_path / "ours/rootfs") == picture(tmp_path / "theirs/rootfs")
    config = json.loads((tmp_path / "ours/config.json").read_text())
    assert config["process"]["args"] == ["/bin/true"]
