"""Bad input: one sentence on stderr naming the problem, non-zero exit, nothing left behind."""

from __future__ import annotations

import json
import os

import pytest

from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY


def _mounts() -> set[str]:
    with open("/proc/self/mountinfo") as handle:
        return {" ".join(line.split()[3:5]) for line in handle}


def assert_refused(rt, result, cid: str, *words: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0], (word, lines[0])
    assert not os.path.lexists(rt.root / cid)


@pytest.mark.parametrize("bad_id", ["", "a/b", "..", "x y", "bad\\id", "ü"])
def test_invalid_id(rt, bad_id) -> None:
    result = rt("create", "-b", str(rt.bundle(["true"])), bad_id)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_config(rt, tmp_path) -> None:
    cid = rt.new_id()
    assert_refused(rt, rt("create", "-b", str(tmp_path), cid), cid, "config.json")


def test_invalid_json(rt, tmp_path) -> None:
    cid = rt.new_id()
    (tmp_path / "config.json").write_text("{nope")
    assert_refused(rt, rt("create", "-b", str(tmp_path), cid), cid, "not valid JSON")


def test_unreadable_config_as_directory(rt, tmp_path) -> None:
    cid = rt.new_id()
    (tmp_path / "config.json").mkdir()
    assert_refused(rt, rt("create", "-b", str(tmp_path), cid), cid, "config.json")


@pytest.mark.timeout(30)
def test_config_json_as_a_fifo_does_not_block(rt, tmp_path) -> None:
    cid = rt.new_id()
    os.mkfifo(tmp_path / "config.json")
    assert_refused(rt, rt("create", "-b", str(tmp_path), cid), cid, "not a regular file")


@pytest.mark.timeout(30)
@pytest.mark.parametrize("count", ["99999999999", str(1 << 20)])
def test_preserve_fds_beyond_the_open_file_limit(rt, count: str) -> None:
    cid = rt.new_id()
    result = rt("create", "--preserve-fds", count, "-b", str(rt.bundle(["true"])), cid)
    assert_refused(rt, result, cid, "--preserve-fds", "open-file limit")


def test_a_child_error_longer_than_a_message_keeps_its_reason(rt) -> None:
    # The init's error names args[0]; at 4 KiB it is longer than one message line.
    cid = rt.new_id()
    config = rt.config(["/bin/" + "a" * 200 + "/" + "b" * 4300])
    result = rt("create", "-b", str(rt.bundle(config=config)), cid)
    assert_refused(rt, result, cid, "process.args[0]", "…")
    assert "without a reason" not in result.stderr


def test_pid_file_in_a_missing_directory_names_the_pid_file(rt, tmp_path) -> None:
    cid = rt.new_id()
    pid_file = tmp_path / "no" / "such" / "pid"
    result = rt("create", "--pid-file", str(pid_file), "-b", str(rt.bundle(["sleep", "9"])),
                cid)
    assert_refused(rt, result, cid, str(pid_file), "pid file")
    assert ".tmp" not in result.stderr


def test_missing_rootfs(rt) -> None:
    cid = rt.new_id()
    config = rt.config(["true"])
    config["root"]["path"] = "/nonexistent/rootfs"
    assert_refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid,
                   "/nonexistent/rootfs")


@pytest.mark.parametrize("target", ["demo", "/"])
def test_symlinked_rootfs_is_refused_as_validate_says(rt, target: str) -> None:
    """bundle/rootfs -> a host dir (or /): runc refuses it, and so do we, before any fork,
    with the sentence that `bundlebench validate` prints at /root/path."""
    import subprocess
    import sys
    before = _mounts()
    cid = rt.new_id()
    config = rt.config(["true"])
    config["root"]["path"] = "rootfs"
    bundle = rt.bundle(config=config)
    (bundle / "rootfs").symlink_to(rt.rootfs if target == "demo" else "/")
    for command in ("create", "run"):
        result = rt(command, "-b", str(bundle), cid)
        assert_refused(rt, result, cid, "root.path", "symlink")
    sentence = result.stderr.strip().removeprefix("bundlebench-runtime: ")
    validated = subprocess.run([sys.executable, "-m", "bundlebench", "validate", "--format",
                                "json", str(bundle)], capture_output=True, text=True)
    assert validated.returncode == 1
    found = [(p["pointer"], p["message"]) for p in json.loads(validated.stdout)
             if p["severity"] == "error"]
    assert found == [("/root/path", sentence + ".")]
    assert _mounts() == before


def test_args0_not_found(rt) -> None:
    before = _mounts()
    cid = rt.new_id()
    bundle = rt.bundle(["no-such-program"])
    assert_refused(rt, rt("create", "-b", str(bundle), cid), cid, "no-such-program", "PATH")
    assert _mounts() == before


def test_args0_not_executable(rt) -> None:
    cid = rt.new_id()
    assert_refused(rt, rt("run", "-b", str(rt.bundle(["/etc/passwd"])), cid), cid,
                   "/etc/passwd", "not an executable")


def test_unsupported_mount_option(rt) -> None:
    cid = rt.new_id()
    config = rt.config(["true"])
    config["mounts"].append({"destination": "/mnt", "type": "bind", "source": "/tmp",
                             "options": ["bind", "idmap"]})
    assert_refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid, "idmap")


def test_namespace_path_of_wrong_type(rt) -> None:
    cid = rt.new_id()
    config = rt.config(["true"])
    config["linux"]["namespaces"].append({"type": "cgroup", "path": "/proc/self/ns/net"})
    assert_refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid,
                   "cgroup", "net")


def test_namespace_path_not_a_namespace(rt, tmp_path) -> None:
    cid = rt.new_id()
    plain = tmp_path / "plain"
    plain.write_text("x")
    config = rt.config(["true"])
    config["linux"]["namespaces"].append({"type": "cgroup", "path": str(plain)})
    assert_refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid,
                   "not a namespace")


def test_duplicate_namespace(rt) -> None:
    cid = rt.new_id()
    config = rt.config(["true"])
    config["linux"]["namespaces"].append({"type": "pid"})
    assert_refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid, "twice")


def test_terminal_without_console_socket(rt) -> None:
    cid = rt.new_id()
    config = rt.config(["true"])
    config["process"]["terminal"] = True
    assert_refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid,
                   "console-socket")


def test_unknown_flag(rt) -> None:
    result = rt("create", "--bogus", "x")
    assert result.returncode == 1 and "--bogus" in result.stderr


def test_bad_rlimit_is_refused_cleanly(rt) -> None:
    before = _mounts()
    cid = rt.new_id()
    config = rt.config(["true"])
    config["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 1 << 40}]
    assert_refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid,
                   "RLIMIT_NOFILE")
    assert _mounts() == before


# --- runc CVE regressions ---------------------------------------------------------------


def _rootfs_copy(rt, tmp_path):
    """A private copy of the demo rootfs that a test may booby-trap."""
    import shutil

    from tests.integration.conftest import ROOTFS_DIRS
    dest = tmp_path / "rootfs"
    shutil.copytree(rt.rootfs, dest, symlinks=True)
    ROOTFS_DIRS.append(dest)
    return dest


def test_proc_symlink_is_refused(rt, tmp_path) -> None:
    """CVE-2019-19921 and friends: /proc in the rootfs is a symlink."""
    rootfs = _rootfs_copy(rt, tmp_path)
    os.rmdir(rootfs / "proc")
    (tmp_path / "fakeproc").mkdir()
    os.symlink(str(tmp_path / "fakeproc"), rootfs / "proc")
    config = rt.config(["true"])
    config["root"]["path"] = str(rootfs)
    cid = rt.new_id()
    assert_refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid,
                   "/proc", "symlink")
    assert os.listdir(tmp_path / "fakeproc") == []


def test_mount_destination_symlink_stays_inside(rt, tmp_path) -> None:
    """CVE-2021-30465: a destination symlinked to a host path resolves inside the rootfs."""
    rootfs = _rootfs_copy(rt, tmp_path)
    host_target = tmp_path / "host-target"
    host_target.mkdir()
    os.symlink(str(host_target), rootfs / "escape")
    config = rt.config(["sh", "-c", f"ls {host_target}"])
    config["root"] = {"path": str(rootfs), "readonly": False}
    config["mounts"].append({"destination": "/escape", "type": "tmpfs", "source": "tmpfs",
                             "options": ["size=1m"]})
    out = rt.output([], config=config)
    del out
    assert os.listdir(host_target) == []
    # The tmpfs landed on the in-rootfs directory the symlink names, not on the host.
    assert (rootfs / str(host_target).lstrip("/")).is_dir()


def test_dev_null_symlink_is_refused(rt, tmp_path) -> None:
    """CVE-2025-31133: /dev/null as a symlink when the rootfs provides /dev itself."""
    rootfs = _rootfs_copy(rt, tmp_path)
    os.symlink("/proc/sys/kernel/core_pattern", rootfs / "dev" / "null")
    config = rt.config(["true"])
    config["root"]["path"] = str(rootfs)
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != "/dev"]
    cid = rt.new_id()
    assert_refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid,
                   "/dev/null")


def test_state_dir_is_private(rt) -> None:
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["true"])), cid, check=True)
    assert (os.stat(rt.root / cid).st_mode & 0o777) == 0o700
    assert (os.stat(rt.root).st_mode & 0o077) == 0
    state = json.loads((rt.root / cid / "state.json").read_text())
    assert state["id"] == cid


def test_console_symlink_is_refused(rt, tmp_path) -> None:
    """CVE-2025-52565: /dev/console as a symlink in a rootfs that brings its own /dev."""
    rootfs = _rootfs_copy(rt, tmp_path)
    os.symlink("/etc/passwd", rootfs / "dev" / "console")
    before = (rootfs / "etc" / "passwd").read_text()
    config = rt.config(["true"])
    config["process"]["terminal"] = True
    config["root"] = {"path": str(rootfs), "readonly": False}
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != "/dev"]
    cid = rt.new_id()
    sock = tmp_path / "c.sock"
    import socket
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock))
    listener.listen(1)
    try:
        result = rt("create", "--console-socket", str(sock), "-b",
                    str(rt.bundle(config=config)), cid)
    finally:
        listener.close()
    assert_refused(rt, result, cid, "/dev/console", "symlink")
    assert (rootfs / "etc" / "passwd").read_text() == before


def test_init_is_not_dumpable_before_start(rt) -> None:
    """CVE-2016-9962: a process in the container cannot reach the waiting init's fds."""
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["true"])), cid, check=True)
    result = rt("exec", "-u", "1000:1000", cid, "ls", "/proc/1/fd")
    assert result.returncode != 0 and "ermission denied" in result.stderr
    status = rt("exec", cid, "cat", "/proc/1/status", check=True).stdout
    assert "\nUid:\t0\t0\t0\t0" in status
