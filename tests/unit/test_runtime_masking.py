"""runtime.masking decisions on a real tmp tree, with the mount calls recorded (no root)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from runtime import masking
from runtime.errors import RuntimeFailure


class RecordingOps(masking.MountOps):
    """Real path resolution inside the root; mounts recorded instead of performed."""

    def __init__(self, null_device: bool = True, bind_appears: bool = True,
                 f_flag: int = 0) -> None:
        self.calls: list[tuple] = []
        self.null_device = null_device
        self.bind_appears = bind_appears
        self.f_flag = f_flag
        self.opened: dict[int, str] = {}

    def open(self, root_fd: int, path: str) -> int:
        if path == "/dev/null" and self.null_device:
            return os.open("/dev/null", os.O_PATH | os.O_CLOEXEC)
        fd = super().open(root_fd, path)
        self.opened[fd] = path
        return fd

    def mount(self, source, target, fstype, flags, data=None) -> None:
        fd = int(target.rsplit("/", 1)[1])
        self.calls.append((source, self.opened.get(fd, target), fstype, flags))

    def mount_id(self, fd: int) -> int:
        return len(self.calls) if self.bind_appears else 0

    def statvfs_flags(self, fd: int) -> int:
        return self.f_flag


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    (tmp_path / "proc/acpi").mkdir(parents=True)
    (tmp_path / "proc/kcore").write_text("secret")
    (tmp_path / "proc/sys").mkdir()
    (tmp_path / "dev").mkdir()
    (tmp_path / "outside-link").symlink_to("/etc")
    return tmp_path


def config(masked: list[str] | None = None, readonly: list[str] | None = None) -> dict:
    linux: dict = {}
    if masked is not None:
        linux["maskedPaths"] = masked
    if readonly is not None:
        linux["readonlyPaths"] = readonly
    return {"linux": linux}


def test_paths_of_puts_readonly_first_and_checks_paths() -> None:
    assert masking.paths_of(config(["/a"], ["/b"])) == [("readonly", "/b"), ("mask", "/a")]
    with pytest.raises(RuntimeFailure, match=r"linux.maskedPaths\[0\] 'rel'"):
        masking.paths_of(config(["rel"]))
    with pytest.raises(RuntimeFailure, match="linux.readonlyPaths must be a list"):
        masking.paths_of(config(readonly="/x"))  # type: ignore[arg-type]


def test_decisions() -> None:
    assert masking.mask_action(0o040755) == "tmpfs"
    assert masking.mask_action(0o100644) == "null"
    assert masking.mask_action(0o020666) == "null"
    assert masking.kept_flags(os.ST_NOSUID | os.ST_NODEV | os.ST_NOEXEC | os.ST_RDONLY) == (
        masking.MS_NOSUID | masking.MS_NODEV | masking.MS_NOEXEC)
    assert masking.kept_flags(os.ST_RELATIME) == masking.MS_RELATIME
    assert masking.is_null_device(os.stat("/dev/null"))
    assert not masking.is_null_device(os.stat("/dev/zero"))


def test_mask_file_dir_and_missing(tree: Path) -> None:
    ops = RecordingOps()
    report = masking.apply(config(["/proc/kcore", "/proc/acpi", "/proc/missing",
                                   "/proc/kcore/below-a-file"]), str(tree), ops=ops)
    assert report.masked == ["/proc/kcore", "/proc/acpi"]
    assert report.skipped == ["/proc/missing", "/proc/kcore/below-a-file"]
    (bind, tmpfs) = ops.calls
    assert bind[0].startswith("/proc/self/fd/") and bind[1:] == ("/proc/kcore", None,
                                                                 masking.MS_BIND)
    assert tmpfs == ("tmpfs", "/proc/acpi", "tmpfs", masking.MS_RDONLY)


def test_symlink_is_resolved_inside_the_root(tree: Path) -> None:
    ops = RecordingOps()
    report = masking.apply(config(["/outside-link/passwd"]), str(tree), ops=ops)
    assert report.skipped == ["/outside-link/passwd"]  # tree/etc/passwd does not exist
    assert ops.calls == []


def test_dev_null_that_is_not_the_null_device_is_refused(tree: Path) -> None:
    # CVE-2025-31133: /dev/null swapped for a link to a procfs file.
    (tree / "dev/null").symlink_to("/proc/kcore")
    ops = RecordingOps(null_device=False)
    with pytest.raises(RuntimeFailure, match="not the null device"):
        masking.apply(config(["/proc/acpi", "/proc/kcore"]), str(tree), ops=ops)
    assert ops.calls == []


def test_missing_dev_null_is_a_clear_error(tree: Path) -> None:
    with pytest.raises(RuntimeFailure, match="/dev/null cannot be opened"):
        masking.apply(config(["/proc/kcore"]), str(tree), ops=RecordingOps(null_device=False))


def test_readonly_binds_then_remounts_keeping_locked_flags(tree: Path) -> None:
    ops = RecordingOps(f_flag=os.ST_NOSUID | os.ST_NOEXEC)
    report = masking.apply(config(readonly=["/proc/sys", "/proc/nothing"]), str(tree), ops=ops)
    assert report.readonly == ["/proc/sys"] and report.skipped == ["/proc/nothing"]
    bind, remount = ops.calls
    assert bind[0] == f"/proc/self/fd/{bind[0].rsplit('/', 1)[1]}"
    assert bind[1:] == ("/proc/sys", None, masking.MS_BIND | masking.MS_REC)
    assert remount == (None, "/proc/sys", None,
                       masking.MS_BIND | masking.MS_REMOUNT | masking.MS_RDONLY | masking.MS_REC
                       | masking.MS_NOSUID | masking.MS_NOEXEC)


def test_readonly_refuses_when_the_bind_did_not_land_on_the_path(tree: Path) -> None:
    ops = RecordingOps(bind_appears=False)
    with pytest.raises(RuntimeFailure, match="did not appear"):
        masking.apply(config(readonly=["/proc/sys"]), str(tree), ops=ops)
    assert len(ops.calls) == 1  # no remount of whatever lies underneath


def test_nothing_to_do() -> None:
    report = masking.apply({}, "/nonexistent-root")
    assert (report.masked, report.readonly, report.skipped) == ([], [], [])


def test_mount_errors_name_the_field(tree: Path) -> None:
    class Failing(RecordingOps):
        def mount(self, *args, **kwargs) -> None:
            raise PermissionError(1, "Operation not permitted")
    with pytest.raises(RuntimeFailure, match="linux.maskedPaths /proc/kcore cannot be masked"):
        masking.apply(config(["/proc/kcore"]), str(tree), ops=Failing())
    with pytest.raises(RuntimeFailure, match="linux.readonlyPaths /proc/sys cannot be bound"):
        masking.apply(config(readonly=["/proc/sys"]), str(tree), ops=Failing())
