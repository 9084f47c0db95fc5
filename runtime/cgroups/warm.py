"""Pay the kernel's cgroup migration toll early, off the container start's critical path.

Moving a process with a cgroup.procs write takes cgroup_threadgroup_rwsem for writing.
When nobody has done that recently, the kernel first waits a full RCU grace period
(rcu_sync_enter; about 10 ms here), then stays on the slow path for a while. runc pays
that wait in the middle of every start. We spawn a throwaway shell that moves itself to
the cgroup it is already in (a no-op that takes the lock) while the runtime starts and
reads the config; by the time the init is moved, the grace period is over. (The lock is
taken under cgroup_mutex, so cgroup work of ours waits until then as well.)
"""

from __future__ import annotations

import os

SHELL = "/bin/sh"
_QUIET = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)]
_child = -1
_proc_cgroup: str | None = None


def start() -> None:
    """Spawn the warming child, as root only (an unprivileged caller is rarely allowed to
    move itself, and rootless containers seldom get a cgroup). Call as early as possible,
    and reap() once the container's cgroup is joined."""
    global _child, _proc_cgroup
    if _child > 0 or os.geteuid() != 0:
        return
    try:
        with open("/proc/self/cgroup", encoding="utf-8", errors="replace") as handle:
            _proc_cgroup = handle.read()
    except OSError:
        return
    path = own_procs_file(_proc_cgroup)
    if path is None:
        return
    # A spawned shell, not a forked copy of us: while a forked child lived, every page
    # the runtime wrote to would be copied, and the runtime writes a lot while it starts.
    try:
        _child = os.posix_spawn(SHELL, ["sh", "-c", 'echo 0 > "$1"', "sh", path], {},
                                file_actions=_QUIET)
    except OSError:
        _child = -1


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
    from runtime.cgroups.detect import parse_proc_cgroup
    own = {name: path for name, path in parse_proc_cgroup(proc_cgroup).items()
           if path.startswith("/")}
    candidates = [f"{root}/unified{own['']}", f"{root}{own['']}"] if "" in own else []
    candidates += [f"{root}/{name.removeprefix('name=')}{path}"
                   for name, path in own.items() if name]
    for directory in candidates:
        procs = os.path.normpath(directory) + "/cgroup.procs"
        if os.path.exists(procs):
            return procs
    return None
