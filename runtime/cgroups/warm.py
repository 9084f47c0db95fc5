"""Pay the kernel's cgroup migration toll early, off the container start's critical path.

Moving a process with a cgroup.procs write takes cgroup_threadgroup_rwsem for writing.
When nobody has done that recently, the kernel first waits a full RCU grace period
(rcu_sync_enter; about 10 ms here), then stays on the slow path for a while. runc pays
that wait in the middle of every start. We fork a throwaway child that moves itself to
the cgroup it is already in (a no-op that takes the lock) while the runtime reads the
config and creates the cgroup; by the time the init is moved, the grace period is over.
"""

from __future__ import annotations

import os

_child = -1
_proc_cgroup: str | None = None


def start() -> None:
    """Fork the warming child, as root only (an unprivileged caller is rarely allowed to
    move itself, and rootless containers seldom get a cgroup). Call as early as possible,
    and reap() once the container's cgroup is joined."""
    global _child, _proc_cgroup
    if _child > 0 or os.geteuid() != 0:
        return
    try:
        with open("/proc/self/cgroup", encoding="ascii", errors="replace") as handle:
            _proc_cgroup = handle.read()
    except OSError:
        return
    path = own_procs_file(_proc_cgroup)
    if path is None:
        return
    try:
        _child = os.fork()
    except OSError:
        return
    if _child == 0:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
            os.write(fd, b"0")
        except BaseException:  # noqa: BLE001, S110 - a best-effort warm-up
            pass
        os._exit(0)


def proc_cgroup() -> str | None:
    """/proc/self/cgroup as read before the warm-up began, while it may still run: showing
    that file takes cgroup_mutex, which the warming child holds for its grace period."""
    return _proc_cgroup if _child > 0 else None


def reap() -> None:
    """Collect the warming child (done by now, or within one grace period)."""
    global _child
    if _child > 0:
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.waitpid(_child, 0)
        except ChildProcessError:
            pass
        _child = -1


def own_procs_file(proc_cgroup: str, root: str = "/sys/fs/cgroup") -> str | None:
    """The cgroup.procs file of our own cgroup (proc_cgroup: /proc/self/cgroup): unified
    (v2 or hybrid) first, else the first v1 hierarchy found under the usual mountpoint."""
    candidates = []
    for line in proc_cgroup.splitlines():
        hierarchy, _, rest = line.partition(":")
        controllers, _, path = rest.partition(":")
        if not path.startswith("/"):
            continue
        if hierarchy == "0" and not controllers:
            candidates[:0] = [f"{root}/unified{path}", f"{root}{path}"]
        else:
            for name in controllers.split(","):
                candidates.append(f"{root}/{name.removeprefix('name=')}{path}")
    for directory in candidates:
        procs = os.path.normpath(directory) + "/cgroup.procs"
        if os.path.exists(procs):
            return procs
    return None
