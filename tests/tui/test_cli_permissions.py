"""A plain user's permission errors: one sentence from every command, never a traceback."""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bundlebench.cli import main
from tests.tui.broken_helpers import as_nobody, no_rootfs, rootfs_tarball

# Root makes a 0700 bundle, then each command runs in a child that dropped to uid 65534.
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: makes a bundle of "
                                "root's and runs the commands as a plain user (uid 65534)")


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[Path]:
    """A bundle (with a rootfs, a tarball and an image) in a 0700 directory of root's,
    under a directory a plain user can reach."""
    top = Path(tempfile.mkdtemp(prefix="bundlebench-locked-", dir="/tmp"))
    top.chmod(0o755)
    bundle = no_rootfs(top / "bundle")
    (bundle / "rootfs").mkdir()
    rootfs_tarball(bundle / "root.tar")
    # As root first: every command's modules are loaded before the child drops to nobody.
    for argv in commands(bundle, top):
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            main(argv)
        shutil.rmtree(top / "new", ignore_errors=True)
    bundle.chmod(0o700)
    yield bundle
    shutil.rmtree(top)


def commands(bundle: Path, top: Path) -> list[list[str]]:
    return [["validate", str(bundle)], ["validate", str(bundle / "config.json")],
            ["run", "--root", str(top / "state"), "-d", str(bundle)],
            ["spec", "--bundle", str(bundle), "--force"],
            ["new", str(top / "new"), "--from", str(bundle / "root.tar")],
            ["unpack", str(bundle / "image"), str(top / "new")]]


def one_sentence(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    text = err.getvalue()
    assert text.startswith("bundlebench: ") and text.count("\n") == 1, text
    assert "Traceback" not in text and "Errno" not in text, text
    return code, text


def test_validate_exits_2_on_a_bundle_it_cannot_read(locked: Path) -> None:
    def body() -> None:
        for target in (locked, locked / "config.json"):
            code, text = one_sentence(["validate", str(target)])
            assert code == 2 and "permission denied" in text, text

    as_nobody(body)


def test_every_command_says_one_sentence(locked: Path) -> None:
    top = locked.parent

    def body() -> None:
        for argv in commands(locked, top)[2:]:
            code, text = one_sentence(argv)
            assert code != 0 and "permission denied" in text, (argv, text)
        assert not (top / "new").exists() and not (top / "state").exists()

    as_nobody(body)


def test_an_unreadable_config_file_exits_2(tmp_path: Path) -> None:
    top = Path(tempfile.mkdtemp(prefix="bundlebench-locked-", dir="/tmp"))
    try:
        top.chmod(0o755)
        bundle = no_rootfs(top / "bundle")
        bundle.chmod(0o755)
        with contextlib.redirect_stdout(io.StringIO()):
            main(["validate", str(bundle)])
        (bundle / "config.json").chmod(0o600)

        def body() -> None:
            code, text = one_sentence(["validate", str(bundle)])
            assert code == 2 and "config.json cannot be read: permission denied" in text

        as_nobody(body)
    finally:
        shutil.rmtree(top)


def test_the_app_on_a_bundle_it_cannot_read_is_one_sentence(locked: Path) -> None:
    from bundlebench.tui import launch

    launch.open_app  # noqa: B018 - loaded as root
    def body() -> None:
        code, text = one_sentence([str(locked)])
        assert code != 0 and "permission denied" in text

    as_nobody(body)
    assert os.stat(locked).st_mode & 0o777 == 0o700
