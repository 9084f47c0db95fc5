"""The orders that keep a container safe, asserted on the recording fake of the syscall
seam (runtime/linux/seam.py): the stages run for real, as any user, and the kernel calls
they would make are read back in order. Each test names the mutation that breaks it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from runtime.defaults import default_config
from runtime.linux import libc, seam
from runtime.linux.constants import MS_BIND, MS_REC, MS_SLAVE, NAMESPACES
from runtime.plan import make, process_plan
from runtime.process.finish import finish_process
from runtime.trace import Tracer


class FakeSeccomp:
    """A compiled filter as finish_process sees it (loaded through the seam)."""

    flags, rules, instructions, notify = 0, 3, 12, False


class Security:
    def __init__(self, seccomp: Any = None) -> None:
        self.seccomp = seccomp
        self.sysctl: list[Any] = []
        self.labels: list[Any] = []


class NullChannel:
    def close(self) -> None:
        pass


def _finish(kernel: seam.Recording, **process: Any) -> seam.Recording:
    proc = default_config(args=["/bin/sh"])["process"]
    proc.update(process)
    finish_process(process_plan(proc), Tracer(None), setgroups_allowed=True, preserve_fds=0,
                   before_exec=lambda: kernel.calls.append(("start", ())),
                   channel=NullChannel(), security=Security(FakeSeccomp()))
    return kernel


def test_no_new_privs_comes_before_the_seccomp_load(kernel) -> None:
    """Mutation: load the filter before prctl(PR_SET_NO_NEW_PRIVS) in finish.py."""
    calls = _finish(kernel, noNewPrivileges=True)
    nnp = calls.index("prctl", libc.PR_SET_NO_NEW_PRIVS, 1)
    assert nnp < calls.index("seccomp_load")
    assert calls.index("seccomp_load") < calls.index("execve")  # last before execve


def test_without_no_new_privs_the_filter_is_loaded_before_the_user_switch(kernel) -> None:
    """Mutation: move the early load below set_user (CAP_SYS_ADMIN is gone there)."""
    calls = _finish(kernel, noNewPrivileges=False, user={"uid": 1000, "gid": 1000})
    assert calls.index("seccomp_load") < calls.index("setresuid", 1000)
    assert ("prctl", (libc.PR_SET_NO_NEW_PRIVS, 1)) not in calls.calls


def test_capabilities_are_dropped_in_the_order_the_kernel_needs(kernel) -> None:
    """Mutations: drop the bounding set after the user switch (CAP_SETPCAP is gone), set
    KEEPCAPS after it (the permitted set is cleared), or capset before it."""
    calls = _finish(kernel, user={"uid": 1000, "gid": 1000})
    bounding = calls.index("prctl", libc.PR_CAPBSET_DROP)
    keep = calls.index("prctl", libc.PR_SET_KEEPCAPS, 1)
    switch = calls.index("setresuid", 1000)
    capset = calls.index("capset")
    ambient = calls.index("prctl", libc.PR_CAP_AMBIENT)
    assert bounding < keep < calls.index("setresgid", 1000) < switch < capset < ambient
    assert capset < calls.index("prctl", libc.PR_SET_KEEPCAPS, 0)


def test_every_fd_above_2_is_closed_before_execve_and_only_then(kernel) -> None:
    """Mutation: close the fds before the start handshake, or not at all."""
    calls = _finish(kernel)
    close = calls.index("close_from")
    assert calls.calls[close][1] == (3, -1)  # from 3 (no preserved fds), keeping the helper
    assert calls.index("start") < close < calls.index("execve")
    assert calls.index("reset_signals") < calls.index("execve")


def test_preserved_fds_stay_open(kernel) -> None:
    proc = process_plan(default_config(args=["/bin/sh"])["process"])
    finish_process(proc, Tracer(None), setgroups_allowed=True, preserve_fds=2,
                   before_exec=lambda: None, channel=NullChannel(), security=Security())
    assert kernel.calls[kernel.index("close_from")][1][0] == 5


# --- stage 1 -------------------------------------------------------------------------------

class RecordingCgroup:
    def __init__(self, kernel: seam.Recording) -> None:
        self.kernel = kernel

    def join(self, pid: int) -> None:
        self.kernel.calls.append(("cgroup_join", (pid,)))


def test_the_cgroup_is_joined_before_setns_into_a_cgroup_namespace(kernel, tmp_path) -> None:
    """Mutation: in stage1.py, join the cgroup after the setns loop (a joined cgroup
    namespace would then hide the container's cgroup)."""
    from runtime.namespaces import plan
    from runtime.process.messages import Channel
    from runtime.process.prepare import InitContext
    from runtime.process.stage1 import run_stage1

    config = default_config(args=["/bin/sh"])
    config["linux"]["namespaces"].append({"type": "cgroup", "path": "/proc/self/ns/cgroup"})
    channel = Channel()
    ns_fd = os.open("/proc/self/ns/cgroup", os.O_RDONLY | os.O_CLOEXEC)
    try:
        ctx = InitContext(make(config, str(tmp_path), str(tmp_path), False), plan(config),
                          [("cgroup", ns_fd)], channel, Tracer(None), -1, False, 0, "c1")
        ctx.cgroup = RecordingCgroup(kernel)
        ctx.join_in_child = True
        run_stage1(ctx)  # the fork returns a pid: this is the parent side of it
    finally:
        os.close(ns_fd)
        channel.close()
    setns = kernel.index("setns", ns_fd, NAMESPACES["cgroup"][0])
    assert kernel.index("cgroup_join", 0) < setns < kernel.index("unshare") < kernel.index("fork")


# --- the init --------------------------------------------------------------------------------

def _init_config(rootfs: Path, share: Path) -> dict[str, Any]:
    config = default_config(args=["/bin/sh"])
    config["root"] = {"path": str(rootfs), "readonly": True}
    config["process"]["terminal"] = False
    config["process"]["cwd"] = "/work"
    config["mounts"] = [
        {"destination": "/dev", "type": "bind", "source": str(share), "options": ["rbind"]},
        {"destination": "/mnt", "type": "bind", "source": str(share), "options": ["bind"]},
        {"destination": "/proc", "type": "proc", "source": "proc"},
    ]
    config["linux"]["maskedPaths"] = ["/proc/meminfo"]  # the fake pivot: the host's /proc
    config["linux"]["readonlyPaths"] = ["/proc/sys"]
    return config


def _run_init(kernel: seam.Recording, tmp_path: Path, monkeypatch) -> seam.Recording:
    from runtime import devices
    from runtime.namespaces import plan
    from runtime.process.init import run_init
    from runtime.process.messages import Channel
    from runtime.process.prepare import InitContext

    rootfs, share = tmp_path / "rootfs", tmp_path / "share"
    for directory in ("dev", "mnt", "proc", "bin"):
        (rootfs / directory).mkdir(parents=True)
    share.mkdir()
    (rootfs / "bin" / "sh").write_text("")
    config = _init_config(rootfs, share)
    # /dev is bound, so no node is made; the fake made no real /dev/null to check either.
    monkeypatch.setattr(devices, "check_dev_null", lambda root_fd: None)
    # Each bind makes a new mount: the read-only check sees a new mount id after it.
    from itertools import count

    from runtime import masking
    ids = count(1000)
    monkeypatch.setattr(masking.MountOps, "mount_id", lambda self, fd: next(ids))
    fifo = tmp_path / "exec.fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    fifo_fd = os.open(fifo, os.O_PATH | os.O_CLOEXEC)
    channel = Channel()
    cwd = os.getcwd()
    try:
        ctx = InitContext(make(config, str(tmp_path), str(rootfs), False), plan(config), [],
                          channel, Tracer(None), fifo_fd, False, 0, "c1")
        monkeypatch.setattr("runtime.process.init._start_container_hooks", lambda ctx: None)
        # The fake pivot leaves us on the host: finish's lookups see the host's /bin/sh.
        run_init(ctx)
    finally:
        os.chdir(cwd)
        channel.close()
        os.close(reader)
    return kernel


def test_the_rootfs_is_made_slave_before_any_bind(kernel, tmp_path, monkeypatch) -> None:
    """Mutation: in rootfs.prepare, bind the rootfs before making / rslave (a bind would
    then propagate back to the host)."""
    calls = _run_init(kernel, tmp_path, monkeypatch)
    mounts = [args for name, args in calls.calls if name == "mount"]
    assert mounts[0][:4] == (None, "/", None, MS_SLAVE | MS_REC)
    first_bind = next(i for i, args in enumerate(mounts) if args[3] & MS_BIND)
    assert first_bind > 0


def test_readonly_then_masked_paths_after_pivot_root(kernel, tmp_path, monkeypatch) -> None:
    """Mutations: apply maskedPaths before readonlyPaths (a read-only bind could unmask),
    or either before pivot_root (they would land on the host's /proc)."""
    calls = _run_init(kernel, tmp_path, monkeypatch)
    pivot = calls.index("pivot_root")
    mounts = [(i, args) for i, (name, args) in enumerate(calls.calls) if name == "mount"]
    into_root = [(i, args) for i, args in mounts if i > pivot
                 and args[1].startswith("/proc/self/fd/")]
    readonly = [i for i, args in into_root if args[3] & MS_REC]   # bind, then remount ro
    masked = [i for i, args in into_root if args[3] == MS_BIND]   # /dev/null bound over
    assert readonly, calls.calls[pivot:]
    assert masked, mounts
    assert pivot < min(readonly) and max(readonly) < min(masked)


def test_the_cwd_is_resolved_after_pivot_root(kernel, tmp_path, monkeypatch) -> None:
    """Mutation: chdir (or mkdir) into process.cwd before pivot_root: the path would be
    the host's."""
    calls = _run_init(kernel, tmp_path, monkeypatch)
    pivot = calls.index("pivot_root")
    assert pivot < calls.index("makedirs", "/work") < calls.index("chdir", "/work")


def test_the_trace_text_comes_from_the_call() -> None:
    assert seam.describe("mount", (None, "/", None, MS_SLAVE | MS_REC)) == \
        "mount(NULL, '/', NULL, MS_REC|MS_SLAVE)"
    assert seam.describe("unshare", (NAMESPACES["pid"][0] | NAMESPACES["mount"][0],)) in (
        "unshare(CLONE_NEWPID|CLONE_NEWNS)", "unshare(CLONE_NEWNS|CLONE_NEWPID)")
    assert seam.describe("prctl", (libc.PR_SET_NO_NEW_PRIVS, 1)) == \
        "prctl(PR_SET_NO_NEW_PRIVS, 1)"


def test_tmpcopyup_fills_the_detached_tmpfs_before_moving_it_over(kernel, tmp_path) -> None:
    """Mutation: in copyup.mount_copyup, move_mount before copy_tree (the container's dir
    would show an empty tmpfs being filled), or mount the tmpfs onto the path."""
    from runtime.mounts import apply_mount
    (tmp_path / "tmp").mkdir()
    root_fd = os.open(tmp_path, os.O_PATH | os.O_DIRECTORY)
    try:
        apply_mount(root_fd, {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
                              "options": ["tmpcopyup", "nosuid", "ro", "size=1m"]}, "/")
    finally:
        os.close(root_fd)
    assert kernel.names() == ["fsmount_new", "copy_tree", "move_mount", "mount_setattr"]
    assert kernel.calls[0][1] == ("tmpfs", [("size", "1m")], 0x2)  # nosuid; ro comes last


def test_tmpcopyup_copies_links_as_links_and_keeps_modes_and_xattrs(tmp_path) -> None:
    from runtime.treecopy import copy_tree
    src, dst = tmp_path / "src", tmp_path / "dst"
    (src / "d").mkdir(parents=True)
    dst.mkdir()
    (tmp_path / "outside").write_text("host secret")
    os.symlink("../../outside", src / "d" / "up")  # leads out: copied, never followed
    (src / "x").write_text("x")
    os.chmod(src / "x", 0o751)
    try:
        os.setxattr(src / "x", "user.bb", b"kept")
    except OSError:
        pytest.skip("no user xattrs on this filesystem")
    fds = [os.open(path, os.O_RDONLY | os.O_DIRECTORY) for path in (src, dst)]
    try:
        copy_tree(*fds)
    finally:
        for fd in fds:
            os.close(fd)
    assert os.readlink(dst / "d" / "up") == "../../outside"
    assert (dst / "x").stat().st_mode & 0o7777 == 0o751
    assert os.getxattr(dst / "x", "user.bb") == b"kept"
    assert (dst / "x").read_text() == "x"


def test_lo_comes_up_inside_the_new_network_namespace_before_the_init(kernel, tmp_path
                                                                       ) -> None:
    """Mutations: in stage1.py, bring lo up before the unshare (the host's lo), after the
    fork (the init would switch user and load seccomp first), or not at all."""
    from runtime.namespaces import plan
    from runtime.process.messages import Channel
    from runtime.process.prepare import InitContext
    from runtime.process.stage1 import run_stage1

    config = default_config(args=["/bin/sh"])
    channel = Channel()
    try:
        ctx = InitContext(make(config, str(tmp_path), str(tmp_path), False), plan(config), [],
                          channel, Tracer(None), -1, False, 0, "c1")
        run_stage1(ctx)
    finally:
        channel.close()
    unshare = kernel.index("unshare")
    assert kernel.calls[unshare][1][0] & NAMESPACES["network"][0]
    assert unshare < kernel.index("link_up", 1) < kernel.index("fork")


def test_no_lo_is_touched_when_the_network_namespace_is_the_hosts(kernel, tmp_path) -> None:
    from runtime.namespaces import plan
    from runtime.process.messages import Channel
    from runtime.process.prepare import InitContext
    from runtime.process.stage1 import run_stage1

    config = default_config(args=["/bin/sh"])
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"]
                                     if n["type"] != "network"]
    channel = Channel()
    try:
        run_stage1(InitContext(make(config, str(tmp_path), str(tmp_path), False), plan(config),
                               [], channel, Tracer(None), -1, False, 0, "c1"))
    finally:
        channel.close()
    assert "link_up" not in kernel.names()
