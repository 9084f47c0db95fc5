"""The demo bundle: a shell whose libraries are all present, built without network."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from bundlebench.bundle import Bundle
from bundlebench.bundle.demo import build_demo, shared_libraries
from bundlebench.bundle.elf import read_elf
from bundlebench.bundle.rootfs import Rootfs


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo") / "bundle")


def test_demo_has_executable_sh_with_all_libraries(demo: Path) -> None:
    rootfs = Rootfs(demo / "rootfs")
    sh = rootfs.stat("/bin/sh")
    assert sh.is_executable
    fd = rootfs.open_regular("/bin/sh")
    try:
        elf = read_elf(fd)
        # The libraries of the demo's own /bin/sh: the host's sh, or a static busybox
        # (none) where the host has busybox-static.
        needed = shared_libraries([Path(f"/proc/self/fd/{fd}")])
    finally:
        os.close(fd)
    if elf.interpreter:
        assert rootfs.stat(elf.interpreter).kind == "file"
        assert needed, "a dynamic /bin/sh needs at least its loader and libc"
    for library in needed:
        assert rootfs.exists(str(library)), f"{library} missing from the demo rootfs"


def test_demo_has_etc_and_mount_points(demo: Path) -> None:
    rootfs = Rootfs(demo / "rootfs")
    for directory in ("/proc", "/sys", "/dev", "/tmp"):
        entry = rootfs.stat(directory)
        assert entry.kind == "dir"
        assert rootfs.list_dir(directory) == []
    assert rootfs.stat("/tmp").mode_string == "drwxrwxrwt"
    assert rootfs.id_names()[0][0] == "root"
    assert rootfs.read_bytes("/etc/hostname", 100).strip() == b"bundlebench-demo"
    assert rootfs.stat("/bin/ls").is_executable


def test_demo_config_is_runnable_default(demo: Path) -> None:
    bundle = Bundle.open(demo)
    assert bundle.config.data["process"]["args"] == ["sh"]
    assert json.loads((demo / "config.json").read_text())["root"]["path"] == "rootfs"


def test_second_call_reuses(demo: Path) -> None:
    marker = demo / "rootfs" / "tmp" / "marker"
    marker.write_text("kept")
    assert build_demo(demo) == demo
    assert marker.read_text() == "kept"
    marker.unlink()


def test_refuses_foreign_nonempty_dir(tmp_path: Path) -> None:
    (tmp_path / "precious").write_text("x")
    from bundlebench.errors import BundlebenchError

    with pytest.raises(BundlebenchError, match="not empty"):
        build_demo(tmp_path)
    assert (tmp_path / "precious").read_text() == "x"


@pytest.mark.skipif(os.geteuid() != 0, reason="chroot needs root")
def test_chroot_runs_the_demo_shell(demo: Path) -> None:
    result = subprocess.run(
        ["chroot", str(demo / "rootfs"), "/bin/sh", "-c", "echo ok; ls / >/dev/null && echo ls-ok"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.stdout.split() == ["ok", "ls-ok"], result.stderr
