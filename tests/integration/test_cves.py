"""Every row of /work/shared/reference/runtime-cves.md, attacked for real.

Each test is named after its CVE. Rows that earlier tests already attack keep those
tests (named in ALSO_COVERED) and get a further attack here.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import threading
from pathlib import Path

import pytest

from tests.integration.conftest import ROOT_ONLY, ROOTFS_DIRS

pytestmark = ROOT_ONLY

CVE_LIST = Path("/work/shared/reference/runtime-cves.md")
# The attacks of earlier modules that this file builds on (module::test).
ALSO_COVERED = {
    "CVE-2019-5736": "test_self_exe_attack.py (every shape, a real attacker library), "
                     "test_setup.py::test_self_exe_script_is_refused",
    "CVE-2016-9962": "test_bad_input.py::test_init_is_not_dumpable_before_start",
    "CVE-2024-21626": "test_setup.py::test_only_stdio_fds_reach_the_container, "
                      "test_setup.py::test_cwd_through_proc_self_fd_fails",
    "CVE-2021-30465": "test_bad_input.py::test_mount_destination_symlink_stays_inside",
    "CVE-2019-19921": "test_bad_input.py::test_proc_symlink_is_refused",
    "CVE-2022-29162": "test_setup.py::test_rlimits_nnp_oom_and_caps",
    "CVE-2023-25809": "test_rootless.py::test_rootless_cgroupfs_is_read_only",
    "CVE-2025-31133": "test_bad_input.py::test_dev_null_symlink_is_refused",
    "CVE-2025-52565": "test_bad_input.py::test_console_symlink_is_refused",
}


def _rootfs_copy(rt, tmp_path: Path) -> Path:
    """A private, writable copy of the demo rootfs that a test may booby-trap."""
    dest = tmp_path / "rootfs"
    shutil.copytree(rt.rootfs, dest, symlinks=True)
    ROOTFS_DIRS.append(dest)
    return dest


def _refused(rt, result, cid: str, *words: str) -> None:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, (word, result.stderr)
    assert not os.path.lexists(rt.root / cid)


def _digest(path: str) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_every_row_of_the_cve_list_has_a_test() -> None:
    if not CVE_LIST.exists():
        pytest.skip(f"{CVE_LIST} is not on this machine")
    ids = set(re.findall(r"CVE-\d{4}-\d{4,}", CVE_LIST.read_text()))
    names = {name.upper().replace("_", "-") for name in globals() if name.startswith("test_")}
    text = " ".join(names)
    missing = [cve for cve in sorted(ids) if cve not in text]
    assert not missing, f"CVE rows without a test here: {missing}"


def test_cve_2019_5736_waiting_init_exe_cannot_be_rewritten(rt) -> None:
    """Before start the init is the host's Python; the container cannot reach its exe."""
    interpreter = os.path.realpath(sys.executable)
    before = _digest(interpreter)
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["true"])), cid, check=True)
    out = rt("exec", cid, "sh", "-c",
             "{ echo x >> /proc/1/exe; } 2>&1; { cat /proc/1/exe > /dev/null; } 2>&1; "
             "ls -l /proc/1/exe 2>&1; true", check=True).stdout
    assert out.count("Permission denied") == 3, out
    assert _digest(interpreter) == before


def test_cve_2019_5736_exec_helper_is_unreachable(rt) -> None:
    """An exec'd process sees no runtime helper whose exe it could open for writing."""
    interpreter = os.path.realpath(sys.executable)
    before = _digest(interpreter)
    cid = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(["sleep", "30"])), cid, check=True)
    script = ("for p in /proc/[0-9]*; do { echo x >> $p/exe; } 2>/dev/null && echo WROTE $p; "
              "done; echo done")
    for _ in range(3):
        out = rt("exec", cid, "sh", "-c", script, check=True).stdout
        assert "WROTE" not in out and "done" in out
    assert _digest(interpreter) == before


def test_cve_2016_9962_init_fds_cannot_be_opened_by_container_root(rt) -> None:
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["true"])), cid, check=True)
    out = rt("exec", cid, "sh", "-c",
             "for n in $(ls /proc/1/fd); do { cat /proc/1/fd/$n > /dev/null; } 2>&1; done; "
             "ls /proc/1/cwd/ 2>&1; ls /proc/1/root/ 2>&1; cat /proc/1/environ 2>&1; true",
             check=True).stdout
    assert out.strip(), out
    lines = [line for line in out.splitlines() if line.strip()]
    assert all("Permission denied" in line for line in lines), out
    assert "Uid:\t0" in rt("exec", cid, "cat", "/proc/1/status", check=True).stdout


@pytest.mark.parametrize("fd", [3, 4, 5, 7, 10, 15, 20])
def test_cve_2024_21626_exec_cwd_through_proc_self_fd_fails(rt, fd: int) -> None:
    cid = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(["sleep", "30"])), cid, check=True)
    result = rt("exec", "--cwd", f"/proc/self/fd/{fd}", cid, "ls")
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "cwd" in result.stderr


def test_cve_2024_21626_exec_sees_only_stdio(rt) -> None:
    cid = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(["sleep", "30"])), cid, check=True)
    leaked = os.open("/", os.O_RDONLY | os.O_DIRECTORY)  # inheritable, like a careless caller
    os.set_inheritable(leaked, True)
    try:
        out = rt("exec", cid, "ls", "/proc/self/fd", check=True, close_fds=False).stdout
    finally:
        os.close(leaked)
    assert sorted(out.split()) == ["0", "1", "2", "3"]  # 3: ls's own directory fd


def test_cve_2021_30465_bind_destination_symlink_cannot_touch_host(rt, tmp_path) -> None:
    rootfs = _rootfs_copy(rt, tmp_path)
    host_target = tmp_path / "host-dir"
    host_target.mkdir()
    source = tmp_path / "payload"
    source.mkdir()
    (source / "evil").write_text("x")
    os.symlink(str(host_target), rootfs / "data")
    config = rt.config(["ls", "/data"])
    config["root"] = {"path": str(rootfs), "readonly": False}
    config["mounts"].append({"destination": "/data", "type": "bind", "source": str(source),
                             "options": ["rbind", "ro"]})
    assert rt.output([], config=config).split() == ["evil"]
    assert os.listdir(host_target) == []


def test_cve_2019_19921_cve_2023_27561_cve_2023_28642_sys_symlink_is_refused(rt,
                                                                             tmp_path) -> None:
    """/sys as a symlink (the /proc case is in test_bad_input.py)."""
    rootfs = _rootfs_copy(rt, tmp_path)
    os.rmdir(rootfs / "sys")
    (tmp_path / "fakesys").mkdir()
    os.symlink(str(tmp_path / "fakesys"), rootfs / "sys")
    config = rt.config(["true"])
    config["root"]["path"] = str(rootfs)
    cid = rt.new_id()
    _refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid, "/sys")
    assert os.listdir(tmp_path / "fakesys") == []


def test_cve_2019_16884_fake_proc_from_a_hook_is_refused(rt, tmp_path) -> None:
    """A createContainer hook covers the rootfs's /proc with a tmpfs: the sysctl write
    that follows must notice it is not procfs."""
    rootfs = _rootfs_copy(rt, tmp_path)
    config = rt.config(["true"])
    config["root"]["path"] = str(rootfs)
    config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    config["hooks"] = {"createContainer": [{
        "path": "/bin/sh", "args": ["sh", "-c", f"mount -t tmpfs fake {rootfs}/proc && "
                                                f"mkdir -p {rootfs}/proc/sys/net/ipv4"]}]}
    cid = rt.new_id()
    _refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid,
             "/proc/sys is not a procfs")


def test_cve_2019_16884_fake_proc_for_an_lsm_label_is_refused(tmp_path) -> None:
    from runtime import lsm
    from runtime.errors import RuntimeFailure
    fake = tmp_path / "proc"
    (fake / "thread-self" / "attr").mkdir(parents=True)
    action = lsm.LabelWrite("process.apparmorProfile", ("thread-self/attr/exec",), "exec x")
    with pytest.raises(RuntimeFailure, match="proc"):
        lsm.apply([action], str(fake))
    assert not (fake / "thread-self" / "attr" / "exec").exists()


def test_cve_2024_45310_racing_symlink_swap_creates_nothing_on_host(rt, tmp_path) -> None:
    rootfs = _rootfs_copy(rt, tmp_path)
    host = tmp_path / "host"
    host.mkdir()
    config = rt.config(["true"])
    config["root"] = {"path": str(rootfs), "readonly": False}
    config["mounts"].append({"destination": "/deep/a/b/c/d", "type": "tmpfs",
                             "source": "tmpfs", "options": ["size=1m"]})
    bundle = rt.bundle(config=config)
    stop = threading.Event()

    def swap() -> None:
        link = rootfs / "deep"
        while not stop.is_set():
            try:
                if link.is_symlink():
                    link.unlink()
                else:
                    shutil.rmtree(link, ignore_errors=True)
                    os.symlink(str(host), link)
            except OSError:
                pass
    thread = threading.Thread(target=swap)
    thread.start()
    try:
        for _ in range(15):
            cid = rt.new_id()
            rt("run", "-b", str(bundle), cid)
            rt("delete", "-f", cid)
    finally:
        stop.set()
        thread.join()
    assert os.listdir(host) == []


def test_cve_2022_29162_exec_has_no_inheritable_caps(rt) -> None:
    cid = rt.new_id()
    rt("run", "-d", "-b", str(rt.bundle(["sleep", "30"])), cid, check=True)
    out = rt("exec", cid, "grep", "-E", "^Cap(Inh|Amb):", "/proc/self/status",
             check=True).stdout
    assert out.split() == ["CapInh:", "0000000000000000", "CapAmb:", "0000000000000000"]
    out = rt.output(["grep", "^CapInh:", "/proc/1/status"])
    assert out.split() == ["CapInh:", "0000000000000000"]


def test_cve_2023_25809_cgroupfs_read_only_without_cgroup_namespace(rt) -> None:
    """As root too: without a private cgroup namespace /sys/fs/cgroup stays read-only."""
    config = rt.config(["sh", "-c", "{ mkdir /sys/fs/cgroup/bb-escape; } 2>&1; "
                                    "{ mkdir /sys/fs/cgroup/pids/bb-escape; } 2>&1; true"])
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"]
                                     if n["type"] != "cgroup"]
    out = rt.output([], config=config)
    assert "Read-only file system" in out, out
    assert not os.path.exists("/sys/fs/cgroup/pids/bb-escape")


def test_cve_2025_31133_dev_null_symlink_leaves_core_pattern_alone(rt, tmp_path) -> None:
    with open("/proc/sys/kernel/core_pattern") as handle:
        before = handle.read()
    rootfs = _rootfs_copy(rt, tmp_path)
    os.symlink("/proc/sys/kernel/core_pattern", rootfs / "dev" / "null")
    config = rt.config(["true"])
    config["root"]["path"] = str(rootfs)
    config["mounts"] = [m for m in config["mounts"] if m["destination"] != "/dev"]
    cid = rt.new_id()
    _refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid, "/dev/null")
    with open("/proc/sys/kernel/core_pattern") as handle:
        assert handle.read() == before


def test_cve_2025_31133_masking_uses_the_real_null_device(rt) -> None:
    out = rt.output(["sh", "-c", "grep -E ' /proc/(kcore|keys|timer_list) ' "
                                 "/proc/self/mountinfo; stat -c '%t:%T' /dev/null"])
    assert out.split()[-1] == "1:3"


def test_cve_2025_52565_console_symlink_binds_no_host_file(rt, tmp_path) -> None:
    """A /dev/console symlink pointing at a host file when the runtime makes /dev."""
    import socket
    rootfs = _rootfs_copy(rt, tmp_path)
    bait = tmp_path / "bait"
    bait.write_text("host file\n")
    os.symlink(str(bait), rootfs / "dev" / "console")
    config = rt.config(["true"])
    config["process"]["terminal"] = True
    config["root"] = {"path": str(rootfs), "readonly": False}
    cid = rt.new_id()
    sock = tmp_path / "c.sock"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(sock))
    listener.listen(1)
    try:
        rt("create", "--console-socket", str(sock), "-b", str(rt.bundle(config=config)), cid)
    finally:
        listener.close()
    rt("delete", "-f", cid)
    assert bait.read_text() == "host file\n"
    with open("/proc/self/mountinfo") as handle:
        assert str(bait) not in handle.read()


def test_cve_2025_52881_sysctl_under_a_bind_mount_is_refused(rt, tmp_path) -> None:
    """A createContainer hook binds a host file over a /proc/sys key: the write is refused
    and the host file keeps its content."""
    bait = tmp_path / "bait"
    bait.write_text("0\n")
    rootfs = _rootfs_copy(rt, tmp_path)
    config = rt.config(["true"])
    config["root"]["path"] = str(rootfs)
    config["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}
    config["hooks"] = {"createContainer": [{
        "path": "/bin/sh", "args": ["sh", "-c", f"mount --bind {bait} "
                                                f"{rootfs}/proc/sys/net/ipv4/ip_forward"]}]}
    cid = rt.new_id()
    _refused(rt, rt("create", "-b", str(rt.bundle(config=config)), cid), cid,
             "linux.sysctl", "net.ipv4.ip_forward")
    assert bait.read_text() == "0\n"


def test_delete_never_follows_a_symlink_in_the_state_dir(rt, tmp_path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep").write_text("x")
    cid = rt.new_id()
    rt("create", "-b", str(rt.bundle(["true"])), cid, check=True)
    os.symlink(str(victim), rt.root / cid / "planted")
    rt("delete", "-f", cid, check=True)
    assert (victim / "keep").read_text() == "x"
    assert not (rt.root / cid).exists()
