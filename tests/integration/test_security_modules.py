"""The security building blocks against the real kernel, each in a forked child.

The child does the thing (loads a seccomp filter, masks paths in a private mount
namespace, writes sysctls in fresh namespaces, changes its personality) and reports
through a pipe; the parent only reads and reaps, so nothing leaks into the test process.
Seccomp and personality need no root; the rest skips without it.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import signal
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from runtime import masking, personality, seccomp, sysctl
from runtime.errors import RuntimeFailure
from tests.unit.test_runtime_seccomp import default_like_profile

ROOT = pytest.mark.skipif(os.geteuid() != 0, reason="needs root: mounts and namespaces")
NEEDS_LIBSECCOMP = pytest.mark.skipif(not seccomp.available(),
                                      reason="libseccomp.so.2 not installed")

_libc = ctypes.CDLL(None, use_errno=True)
PR_SET_NO_NEW_PRIVS = 38
CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_REC = 0x4000
MS_PRIVATE = 0x40000


def in_child(func: Callable[[], Any], timeout: int = 20, execs: bool = False) -> Any:
    """Run func in a forked child; return its JSON result or fail with its traceback.

    With execs, func ends in execve (which closes the report pipe): return the exit code.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(read_fd)
            signal.alarm(timeout)
            payload = json.dumps({"ok": func()})
        except BaseException:  # noqa: BLE001 - report everything to the parent
            payload = json.dumps({"error": traceback.format_exc()})
            code = 1
        try:
            os.write(write_fd, payload.encode())
        finally:
            os._exit(code)
    os.close(write_fd)
    chunks = []
    with os.fdopen(read_fd, "rb") as handle:
        chunks.append(handle.read())
    _, status = os.waitpid(pid, 0)
    raw = b"".join(chunks)
    if not raw and execs:
        assert os.WIFEXITED(status), f"wait status {status:#x}"
        return os.WEXITSTATUS(status)
    if not raw:
        pytest.fail(f"child died without a report (wait status {status:#x})")
    result = json.loads(raw)
    if "error" in result:
        pytest.fail("child failed:\n" + result["error"])
    return result["ok"]


def libc_call(name: str, *args: int) -> tuple[int, int]:
    """(return value, errno) of a raw libc call."""
    func = getattr(_libc, name)
    ctypes.set_errno(0)
    rc = func(*(ctypes.c_ulong(a) for a in args))
    return rc, ctypes.get_errno()


def no_new_privs() -> None:
    assert _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0


def load(profile: dict) -> seccomp.Program:
    program = seccomp.prepare({"linux": {"seccomp": profile}})
    assert program is not None
    no_new_privs()
    program.load()
    return program


def errno_of(func: Callable[[], Any]) -> int:
    try:
        func()
    except OSError as exc:
        return exc.errno or -1
    return 0


def seccomp_status() -> str:
    with open("/proc/self/status") as handle:
        return next(line.split()[1] for line in handle if line.startswith("Seccomp:"))


# --- seccomp (any user) ----------------------------------------------------------------


@NEEDS_LIBSECCOMP
def test_errno_ret_and_eperm_default(tmp_path: Path) -> None:
    target = tmp_path / "made"

    def child() -> dict:
        load({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
            {"names": ["getcwd"], "action": "SCMP_ACT_ERRNO"}]})
        return {"mkdir": errno_of(lambda: os.mkdir(target)), "getcwd": errno_of(os.getcwd),
                "status": seccomp_status()}
    assert in_child(child) == {"mkdir": errno.ENOSYS, "getcwd": errno.EPERM, "status": "2"}
    assert not target.exists()


@NEEDS_LIBSECCOMP
def test_default_errno_action_with_default_errno_ret() -> None:
    def child() -> dict:
        load({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 13, "syscalls": [
            {"names": ALLOW_FOR_PYTHON, "action": "SCMP_ACT_ALLOW"}]})
        return {"getcwd": errno_of(os.getcwd), "getpid": os.getpid() > 0}
    assert in_child(child) == {"getcwd": errno.EACCES, "getpid": True}


# The syscalls this test process needs between load() and reporting through the pipe.
ALLOW_FOR_PYTHON = ["read", "write", "close", "exit", "exit_group", "rt_sigaction",
                    "rt_sigprocmask", "rt_sigreturn", "mmap", "munmap", "mremap", "brk",
                    "getpid", "futex", "madvise", "fstat", "newfstatat", "lseek", "ioctl"]


@NEEDS_LIBSECCOMP
@pytest.mark.parametrize("op, value, allowed, denied", [
    ("SCMP_CMP_EQ", 0o27, [0o22, 0o77], [0o27]),
    ("SCMP_CMP_NE", 0o22, [0o22], [0o27, 0]),
    ("SCMP_CMP_LT", 0o20, [0o20, 0o77], [0o17, 0]),
    ("SCMP_CMP_LE", 0o20, [0o21, 0o77], [0o20, 0]),
    ("SCMP_CMP_GT", 0o20, [0o20, 0], [0o21, 0o77]),
    ("SCMP_CMP_GE", 0o20, [0o17, 0], [0o20, 0o77]),
])
def test_every_comparison_operator(op: str, value: int, allowed: list[int],
                                   denied: list[int]) -> None:
    # umask(2) has no side effect the test cares about and takes any number.
    def child() -> dict:
        load({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["umask"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
             "args": [{"index": 0, "value": value, "op": op}]}]})
        return {str(v): libc_call("umask", v)[0] == -1 for v in allowed + denied}
    result = in_child(child)
    assert result == {**{str(v): False for v in allowed}, **{str(v): True for v in denied}}


@NEEDS_LIBSECCOMP
def test_masked_eq_and_personality() -> None:
    def child() -> dict:
        load({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            # deny any personality with the LINUX32 bit
            {"names": ["personality"], "action": "SCMP_ACT_ERRNO", "args": [
                {"index": 0, "value": 0x8, "valueTwo": 0x8, "op": "SCMP_CMP_MASKED_EQ"}]},
        ]})
        query = libc_call("personality", 0xFFFFFFFF)
        linux = libc_call("personality", 0x0)
        linux32 = libc_call("personality", 0x8)
        return {"query": list(query), "linux": linux[0], "linux32": list(linux32)}
    result = in_child(child)
    # 0xffffffff & 8 == 8: the query is denied too, which is what MASKED_EQ means
    assert result["query"] == [-1, errno.EPERM]
    assert result["linux"] == 0
    assert result["linux32"] == [-1, errno.EPERM]


@NEEDS_LIBSECCOMP
def test_same_argument_twice_is_ored_like_runc() -> None:
    def child() -> dict:
        load({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["umask"], "action": "SCMP_ACT_ERRNO", "args": [
                {"index": 0, "value": 1, "op": "SCMP_CMP_EQ"},
                {"index": 0, "value": 2, "op": "SCMP_CMP_EQ"}]}]})
        return [libc_call("umask", v)[0] == -1 for v in (1, 2, 3)]
    assert in_child(child) == [True, True, False]


@NEEDS_LIBSECCOMP
def test_conditions_on_two_arguments_are_anded() -> None:
    def child() -> dict:
        me = os.getpid()
        load({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
            {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": errno.EACCES,
             "args": [{"index": 0, "value": me, "op": "SCMP_CMP_EQ"},
                      {"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]})
        return {"probe_self": errno_of(lambda: os.kill(me, 0)),
                "cont_self": errno_of(lambda: os.kill(me, signal.SIGCONT)),
                "probe_parent": errno_of(lambda: os.kill(os.getppid(), 0))}
    assert in_child(child) == {"probe_self": errno.EACCES, "cont_self": 0, "probe_parent": 0}


@NEEDS_LIBSECCOMP
def test_default_like_profile_loads_and_holds_across_execve(tmp_path: Path) -> None:
    target = tmp_path / "by-mkdir"
    out = tmp_path / "out"

    def child() -> None:
        profile = default_like_profile()
        profile["flags"] = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"]
        allowed = profile["syscalls"][0]
        allowed["names"] = [n for n in allowed["names"] if n not in ("mkdir", "mkdirat")]
        program = load(profile)
        assert program.rules > 300
        assert errno_of(lambda: os.listdir("/")) == 0
        assert libc_call("acct", 0)[1] == errno.EPERM
        assert libc_call("personality", 0x40000)[1] == errno.EPERM  # not in the allow list
        assert libc_call("personality", 0xFFFFFFFF)[0] >= 0
        fd = os.open(out, os.O_WRONLY | os.O_CREAT, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv("/bin/sh", ["sh", "-c", f"mkdir {target}; echo rc=$?; "
                             "grep '^Seccomp:' /proc/self/status"])
    assert in_child(child, execs=True) == 0
    text = out.read_text()
    assert "rc=1" in text and "Seccomp:\t2" in text
    assert not target.exists()


@NEEDS_LIBSECCOMP
def test_loading_without_no_new_privs_or_cap_sys_admin_is_a_clear_error() -> None:
    def child() -> str:
        profile = {"defaultAction": "SCMP_ACT_ALLOW",
                   "syscalls": [{"names": ["acct"], "action": "SCMP_ACT_ERRNO"}]}
        program = seccomp.prepare({"linux": {"seccomp": profile}})
        if os.geteuid() == 0:
            os.setresuid(65534, 65534, 65534)  # drops CAP_SYS_ADMIN
        try:
            program.load()
        except RuntimeFailure as exc:
            return str(exc)
        return "loaded"
    assert "noNewPrivileges" in in_child(child)


# --- masking (root) --------------------------------------------------------------------


def private_mount_ns() -> None:
    assert _libc.unshare(CLONE_NEWNS) == 0, os.strerror(ctypes.get_errno())
    from runtime.linux import libc
    libc.mount(None, "/", None, MS_REC | MS_PRIVATE, None)


def build_tree(root: Path, null: str = "bind") -> None:
    """A tmpfs at root with proc-like files; dev/null bound from the host or replaced."""
    from runtime.linux import libc
    libc.mount("tmpfs", str(root), "tmpfs", 0, "mode=755")
    (root / "proc/acpi").mkdir(parents=True)
    (root / "proc/acpi/battery").write_text("x")
    (root / "proc/kcore").write_text("secret")
    (root / "proc/sys/kernel").mkdir(parents=True)
    (root / "proc/sys/kernel/core_pattern").write_text("core")
    (root / "dev").mkdir()
    if null == "bind":
        (root / "dev/null").touch()
        libc.mount("/dev/null", str(root / "dev/null"), None, masking.MS_BIND, None)
    elif null == "symlink":
        (root / "dev/null").symlink_to("/proc/sys/kernel/core_pattern")


@ROOT
def test_masked_and_readonly_paths_for_real(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()

    def child() -> dict:
        private_mount_ns()
        build_tree(root)
        report = masking.apply({"linux": {
            "maskedPaths": ["/proc/kcore", "/proc/acpi", "/proc/missing"],
            "readonlyPaths": ["/proc/sys", "/proc/absent"]}}, str(root))
        return {
            "report": [report.masked, report.readonly, report.skipped],
            "kcore": (root / "proc/kcore").read_text(),
            "acpi": os.listdir(root / "proc/acpi"),
            "acpi_write": errno_of(lambda: (root / "proc/acpi/new").write_text("x")),
            "sys_read": (root / "proc/sys/kernel/core_pattern").read_text(),
            "sys_write": errno_of(
                lambda: (root / "proc/sys/kernel/core_pattern").write_text("|/x")),
            "kcore_write": errno_of(lambda: (root / "proc/kcore").write_text("y")),
            "rest_writable": errno_of(lambda: (root / "proc/other").write_text("ok")),
        }
    result = in_child(child)
    assert result["report"] == [["/proc/kcore", "/proc/acpi"], ["/proc/sys"],
                                ["/proc/absent", "/proc/missing"]]
    assert result["kcore"] == "" and result["acpi"] == []
    assert result["acpi_write"] == errno.EROFS
    assert result["sys_read"] == "core" and result["sys_write"] == errno.EROFS
    assert result["kcore_write"] == 0  # writes go to /dev/null
    assert result["rest_writable"] == 0
    assert os.listdir(root) == []  # the tmpfs died with the child's mount namespace


@ROOT
def test_runc_default_masks_on_a_real_procfs(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    masked = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
              "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
              "/sys/firmware"]
    readonly = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    def child() -> dict:
        from runtime.linux import libc
        private_mount_ns()
        build_tree(root, null="none")
        libc.mount("proc", str(root / "proc"), "proc", 0, None)
        (root / "dev/null").touch()
        libc.mount("/dev/null", str(root / "dev/null"), None, masking.MS_BIND, None)
        report = masking.apply({"linux": {"maskedPaths": masked, "readonlyPaths": readonly}},
                               str(root))
        return {"masked": report.masked, "readonly": report.readonly,
                "skipped": report.skipped,
                "files": {p: (root / p[1:]).read_text() for p in report.masked
                          if not (root / p[1:]).is_dir()},
                "dirs": {p: os.listdir(root / p[1:]) for p in report.masked
                         if (root / p[1:]).is_dir()},
                "sys_write": errno_of(
                    lambda: (root / "proc/sys/kernel/domainname").write_text("x")),
                "sysrq": errno_of(lambda: (root / "proc/sysrq-trigger").write_text("")),
                "self_ok": (root / "proc/self/status").exists()}
    result = in_child(child)
    present = [p for p in masked if p.startswith("/proc/") and os.path.exists(p)]
    assert result["masked"] == present  # /sys is not mounted in this tree
    assert sorted(result["skipped"]) == sorted(
        [p for p in masked if p not in present]
        + [p for p in readonly if not os.path.exists(p)])
    assert "/proc/keys" in result["files"] and set(result["files"].values()) == {""}
    assert "/proc/acpi" in result["dirs"] and set(map(len, result["dirs"].values())) == {0}
    assert "/proc/sys" in result["readonly"]
    assert result["sys_write"] == errno.EROFS
    if os.path.exists("/proc/sysrq-trigger"):
        assert result["sysrq"] == errno.EROFS
    assert result["self_ok"]


@ROOT
def test_dev_null_symlink_is_refused_and_nothing_is_bound(tmp_path: Path) -> None:
    # CVE-2025-31133
    root = tmp_path / "root"
    root.mkdir()
    with open("/proc/sys/kernel/core_pattern") as handle:
        host_pattern = handle.read()

    def child() -> dict:
        private_mount_ns()
        build_tree(root, null="symlink")
        try:
            masking.apply({"linux": {"maskedPaths": ["/proc/kcore"]}}, str(root))
            message = ""
        except RuntimeFailure as exc:
            message = str(exc)
        with open("/proc/self/mountinfo") as handle:
            mounts = [line for line in handle if str(root) in line]
        return {"message": message, "mounts": len(mounts),
                "kcore": (root / "proc/kcore").read_text()}
    result = in_child(child)
    assert "not the null device" in result["message"]
    assert result["mounts"] == 1 and result["kcore"] == "secret"
    with open("/proc/sys/kernel/core_pattern") as handle:
        assert handle.read() == host_pattern


@ROOT
def test_readonly_keeps_flags_locked_by_a_user_namespace(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()

    def child() -> dict:
        from runtime.linux import libc
        private_mount_ns()
        libc.mount("tmpfs", str(root), "tmpfs",
                   masking.MS_NOSUID | masking.MS_NODEV | masking.MS_NOEXEC, "mode=755")
        (root / "proc/sys").mkdir(parents=True)
        # A user namespace owning a new mount namespace locks nosuid/nodev/noexec.
        assert _libc.unshare(CLONE_NEWUSER | CLONE_NEWNS) == 0
        for name, text in (("uid_map", "0 0 1"), ("setgroups", "deny"), ("gid_map", "0 0 1")):
            with open(f"/proc/self/{name}", "w") as handle:
                handle.write(text)
        plain = errno_of(lambda: libc.mount(str(root / "proc/sys"), str(root / "proc/sys"),
                                            None, masking.MS_BIND | masking.MS_REMOUNT
                                            | masking.MS_RDONLY, None))
        report = masking.apply({"linux": {"readonlyPaths": ["/proc/sys"]}}, str(root))
        flags = os.statvfs(root / "proc/sys").f_flag
        return {"plain_remount": plain, "readonly": report.readonly,
                "flags": [bool(flags & f) for f in (os.ST_RDONLY, os.ST_NOSUID,
                                                     os.ST_NODEV, os.ST_NOEXEC)]}
    result = in_child(child)
    assert result["readonly"] == ["/proc/sys"]
    assert result["flags"] == [True, True, True, True]


# --- sysctl (root) ---------------------------------------------------------------------


def read_sysctl(path: str) -> str:
    with open(f"/proc/sys/{path}") as handle:
        return handle.read().strip()


@ROOT
def test_sysctl_in_fresh_namespaces() -> None:
    host = {p: read_sysctl(p) for p in ("net/ipv4/ip_forward", "kernel/shmmni",
                                        "kernel/domainname")}
    config = {"linux": {"namespaces": [{"type": "network"}, {"type": "ipc"}, {"type": "uts"}],
                        "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmni": "1234",
                                   "kernel/domainname": "bb-sysctl-test"}}}
    items = sysctl.check(config)  # in the parent, as the runtime does

    def child() -> dict:
        assert _libc.unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS) == 0
        written = sysctl.write_all(items)
        return {"written": written, **{p: read_sysctl(p) for p in host},
                "uname": os.uname().nodename is not None}
    result = in_child(child)
    assert result["written"] == ["net.ipv4.ip_forward", "kernel.shmmni", "kernel/domainname"]
    assert result["net/ipv4/ip_forward"] == "1"
    assert result["kernel/shmmni"] == "1234"
    assert result["kernel/domainname"] == "bb-sysctl-test"
    assert {p: read_sysctl(p) for p in host} == host


@ROOT
def test_sysctl_refuses_a_key_under_another_mount() -> None:
    # CVE-2025-52881-style redirection: something mounted below /proc/sys.
    def child() -> str:
        private_mount_ns()
        assert _libc.unshare(CLONE_NEWNET) == 0
        from runtime.linux import libc
        libc.mount("tmpfs", "/proc/sys/net/ipv4", "tmpfs", 0, None)
        with open("/proc/sys/net/ipv4/ip_forward", "w") as handle:
            handle.write("0")
        try:
            sysctl.write_all([("net.ipv4.ip_forward", "net/ipv4/ip_forward", "1")])
        except RuntimeFailure as exc:
            return str(exc)
        return "written"
    assert "another mount, refused" in in_child(child)


@ROOT
def test_sysctl_refuses_a_fake_proc(tmp_path: Path) -> None:
    def child() -> str:
        private_mount_ns()
        from runtime.linux import libc
        libc.mount("tmpfs", str(tmp_path), "tmpfs", 0, None)
        (tmp_path / "sys/kernel").mkdir(parents=True)
        (tmp_path / "sys/kernel/domainname").write_text("")
        try:
            sysctl.write_all([("kernel.domainname", "kernel/domainname", "x")],
                             proc=str(tmp_path))
        except RuntimeFailure as exc:
            return str(exc)
        return "written"
    assert "is not a procfs" in in_child(child)


# --- personality (any user) ------------------------------------------------------------


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="LINUX32 shows as i686 on x86_64")
def test_personality_linux32_holds_across_execve(tmp_path: Path) -> None:
    out = tmp_path / "out"

    def child() -> None:
        value = personality.apply({"linux": {"personality": {
            "domain": "LINUX32", "flags": ["ADDR_NO_RANDOMIZE"]}}})
        assert value == 0x40008 and personality.current() == 0x40008
        fd = os.open(out, os.O_WRONLY | os.O_CREAT, 0o600)
        os.dup2(fd, 1)
        os.execv("/bin/sh", ["sh", "-c", "uname -m; cat /proc/self/personality"])
    assert in_child(child, execs=True) == 0
    assert out.read_text().split() == ["i686", "00040008"]


# --- all of it after pivot_root, in a fresh interpreter ----------------------------------

AFTER_PIVOT = r'''
import json, os, sys
from runtime import hooks, lsm, masking, personality, seccomp, sysctl
from runtime.errors import RuntimeFailure
from runtime.linux import libc
hooks.preload()
root = sys.argv[1]
libc.unshare(0x00020000 | 0x04000000)  # mount, uts
libc.mount(None, "/", None, 0x4000 | 0x40000, None)
libc.mount("tmpfs", root, "tmpfs", 0, "mode=755")
for d in ("proc", "dev", "etc/secret-dir"):
    os.makedirs(f"{root}/{d}")
open(f"{root}/dev/null", "w").close()
with open(f"{root}/etc/secret", "w") as handle:
    handle.write("s")
libc.mount("/dev/null", f"{root}/dev/null", None, 0x1000, None)
libc.mount("proc", f"{root}/proc", "proc", 0, None)
config = {"linux": {"namespaces": [{"type": "uts"}], "sysctl": {"kernel.domainname": "pivoted"},
                    "maskedPaths": ["/etc/secret", "/etc/secret-dir"], "readonlyPaths": ["/etc"],
                    "personality": {"domain": "LINUX"},
                    "seccomp": {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
                        {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                         "errnoRet": 38}]}},
          "hooks": {"startContainer": [{"path": "/no-such-hook"}]}}
program = seccomp.prepare(config)
items = sysctl.check(config)
labels = lsm.plan({})
os.chdir(root)
libc.pivot_root(".", ".")
libc.umount2(".", 2)
os.chdir("/")
out = {"modules_left": os.path.exists("/usr/lib")}
out["sysctl"] = sysctl.write_all(items)
with open("/proc/sys/kernel/domainname") as handle:
    out["domainname"] = handle.read().strip()
report = masking.apply(config)
out["masked"], out["readonly"] = report.masked, report.readonly
with open("/etc/secret") as handle:
    out["secret"] = handle.read()
out["etc_write"] = 0
try:
    open("/etc/new", "w").close()
except OSError as exc:
    out["etc_write"] = exc.errno
out["personality"] = personality.apply(config)
lsm.apply(labels)
try:
    hooks.run_hooks(config, "startContainer", hooks.hook_state("c", "created", 1, "/b"))
except RuntimeFailure as exc:
    out["hook"] = str(exc)
libc.prctl(libc.PR_SET_NO_NEW_PRIVS, 1)
program.load()
try:
    os.mkdir("/tmp-x")
except OSError as exc:
    out["mkdir"] = exc.errno
print(json.dumps(out))
'''


@ROOT
@NEEDS_LIBSECCOMP
def test_everything_works_after_pivot_root_without_host_modules(tmp_path: Path) -> None:
    import subprocess
    import sys
    root = tmp_path / "root"
    root.mkdir()
    done = subprocess.run([sys.executable, "-c", AFTER_PIVOT, str(root)], capture_output=True,
                          text=True, timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result == {
        "modules_left": False, "sysctl": ["kernel.domainname"], "domainname": "pivoted",
        "masked": ["/etc/secret", "/etc/secret-dir"], "readonly": ["/etc"], "secret": "",
        "etc_write": errno.EROFS, "personality": 0,
        "hook": "hooks.startContainer[0] /no-such-hook cannot be run: No such file or "
                "directory",
        "mkdir": errno.ENOSYS}
