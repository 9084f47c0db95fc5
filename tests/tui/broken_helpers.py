"""Broken bundles for the TUI tests, and running a test body as a plain user."""

from __future__ import annotations

import json
import os
import sys
import tarfile
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

from runtime.defaults import default_config, dumps

TRUNCATED = '{\n\t"ociVersion": "1.3.0",\n\t"root": {\n\t\t"path": "rootfs"\n\t},\n\t"hostname": '
NOBODY = 65534


def truncated_config(bundle: Path) -> Path:
    """A bundle whose config.json stops in the middle (line 6, column 14)."""
    (bundle / "rootfs" / "etc").mkdir(parents=True)
    (bundle / "config.json").write_text(TRUNCATED)
    return bundle


def no_config(bundle: Path) -> Path:
    (bundle / "rootfs" / "etc").mkdir(parents=True)
    (bundle / "rootfs" / "etc" / "hostname").write_text("made by hand\n")
    return bundle


def no_rootfs(bundle: Path) -> Path:
    bundle.mkdir(parents=True)
    config = default_config()
    config["hostname"] = "no-rootfs"
    (bundle / "config.json").write_text(dumps(config))
    return bundle


def rootfs_tarball(path: Path, count: int = 5) -> Path:
    """A small rootfs tarball: /etc/hostname and ``count`` files."""
    source = path.parent / (path.name + ".src")
    (source / "etc").mkdir(parents=True)
    (source / "etc" / "hostname").write_text("from-tarball\n")
    for i in range(count):
        (source / f"file-{i:04}").write_text(str(i))
    with tarfile.open(path, "w:gz") as tar:
        for item in sorted(source.rglob("*")):
            tar.add(item, arcname=str(item.relative_to(source)), recursive=False)
    return path


def saved(bundle: Path) -> dict:
    return json.loads((bundle / "config.json").read_text())


def as_nobody(body: Callable[[], None]) -> None:
    """Run ``body`` in a forked child with uid and gid 65534; fail with its traceback.

    The child cannot read the interpreter's own files when they live under /root, so
    the caller imports everything first (a run of the same scenario as root does).
    """
    if os.geteuid() != 0:
        pytest.skip("dropping to a plain user needs root")
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.close(read)
        code = 0
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            body()
        except BaseException:  # noqa: BLE001 - everything goes back to the parent
            os.write(write, traceback.format_exc().encode())
            code = 1
        sys.stdout.flush()
        os._exit(code)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        report = pipe.read().decode()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, report
