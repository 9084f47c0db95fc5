"""Which cgroup hierarchies a host mounts: v1, v2 (unified), hybrid, or none.

Everything is read from two texts, /proc/self/mountinfo and /proc/self/cgroup, and the
directories they name are opened below `fs_root` ("" on a real host). Tests pass a fake
mountinfo and a tmp dir as fs_root: that is the seam.
"""

from __future__ import annotations

import os

V1, V2, HYBRID, NONE = "v1", "v2", "hybrid", "none"

# Controllers a v1 `cgroup` mount may carry as a super option.
V1_CONTROLLERS: frozenset[str] = frozenset({
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
    "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc", "debug",
})
SYSTEMD_NAME = "name=systemd"


class Mount:
    """One cgroup or cgroup2 mount from mountinfo."""

    __slots__ = ("mountpoint", "root", "fstype", "controllers", "name")

    def __init__(self, mountpoint: str, root: str, fstype: str,
                 controllers: tuple[str, ...] = (), name: str | None = None) -> None:
        self.mountpoint = mountpoint
        self.root = root
        self.fstype = fstype
        self.controllers = controllers
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mount) and all(
            getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __hash__(self) -> int:
        return hash((self.mountpoint, self.root, self.fstype))

    def __repr__(self) -> str:
        return (f"Mount({self.mountpoint!r}, root={self.root!r}, fstype={self.fstype!r}, "
                f"controllers={self.controllers!r}, name={self.name!r})")


class Host:
    """The cgroup layout seen by this process."""

    __slots__ = ("mode", "v1", "unified", "v2_controllers", "own", "fs_root")

    def __init__(self, mode: str, v1: dict[str, Mount] | None = None,
                 unified: Mount | None = None, v2_controllers: frozenset[str] = frozenset(),
                 own: dict[str, str] | None = None, fs_root: str = "") -> None:
        self.mode = mode
        self.v1 = v1 or {}
        self.unified = unified
        self.v2_controllers = v2_controllers
        self.own = own or {}
        self.fs_root = fs_root

    def __repr__(self) -> str:
        return (f"Host(mode={self.mode!r}, v1={sorted(self.v1)!r}, "
                f"unified={self.unified!r}, fs_root={self.fs_root!r})")

    def real(self, path: str) -> str:
        """A path as seen by this process's filesystem (fs_root prefixed)."""
        return self.fs_root + path if self.fs_root else path

    def own_dir(self, controller: str) -> str | None:
        """The directory of our own cgroup in a v1 controller ('' key: the unified one)."""
        mount = self.unified if controller == "" else self.v1.get(controller)
        if mount is None:
            return None
        own = self.own.get(controller)
        if own is None:
            own = "/"
        return join_under(mount, own)


def parse_mountinfo(text: str) -> list[Mount]:
    """The cgroup and cgroup2 mounts of a mountinfo text, in mount order."""
    from runtime.linux import mountinfo

    mounts = []
    for row in mountinfo.parse(text):
        if row.fstype == "cgroup2":
            mounts.append(Mount(row.target, row.root, row.fstype))
        elif row.fstype == "cgroup":
            options = row.super_options.split(",")
            controllers = tuple(o for o in options if o in V1_CONTROLLERS)
            name = next((o for o in options if o.startswith("name=")), None)
            mounts.append(Mount(row.target, row.root, row.fstype, controllers, name))
    return mounts


def parse_proc_cgroup(text: str) -> dict[str, str]:
    """/proc/PID/cgroup as {controller or name=X: path}; the v2 line is under ''."""
    result: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if not controllers:
            result[""] = path
            continue
        for controller in controllers.split(","):
            result[controller] = path
    return result


def join_under(mount: Mount, cgroup_path: str) -> str:
    """The mountpoint path of a cgroup, given the mount's root inside the hierarchy.

    A mount may expose a subtree (its root is not '/'): a cgroup outside that subtree is
    not reachable, and we fall back to the mount's top.
    """
    root = mount.root.rstrip("/")
    path = cgroup_path
    if root and root != "/":
        path = path[len(root):] if path == root or path.startswith(root + "/") else "/"
    return os.path.normpath(mount.mountpoint + "/" + path.lstrip("/"))


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def detect(mountinfo: str | None = None, proc_cgroup: str | None = None,
           fs_root: str = "") -> Host:
    """Detect the host's cgroup mode and mounts (defaults: this process's /proc files)."""
    if mountinfo is None:
        mountinfo = _read("/proc/self/mountinfo") or ""
    if proc_cgroup is None:
        proc_cgroup = _read("/proc/self/cgroup") or ""
    v1: dict[str, Mount] = {}
    unified: Mount | None = None
    for mount in parse_mountinfo(mountinfo):
        if mount.fstype == "cgroup2":
            # Several mounts of the same hierarchy: the first one is as good as any.
            if unified is None:
                unified = mount
            continue
        for controller in mount.controllers:
            v1.setdefault(controller, mount)
        if mount.name:
            v1.setdefault(mount.name, mount)
    controllers: frozenset[str] = frozenset()
    if unified is not None:
        text = _read(fs_root + os.path.join(unified.mountpoint, "cgroup.controllers"))
        controllers = frozenset((text or "").split())
    has_v1_controllers = any(name in V1_CONTROLLERS for name in v1)
    if has_v1_controllers and unified is not None:
        mode = HYBRID
    elif has_v1_controllers:
        mode = V1
    elif unified is not None:
        mode = V2
    else:
        mode = NONE
    return Host(mode=mode, v1=v1, unified=unified, v2_controllers=controllers,
                own=parse_proc_cgroup(proc_cgroup), fs_root=fs_root)


def enabled_controllers(host: Host, directory: str) -> frozenset[str]:
    """v2: the controllers available in a cgroup dir (its cgroup.controllers)."""
    text = _read(host.real(os.path.join(directory, "cgroup.controllers")))
    return frozenset((text or "").split())


def subtree_control(host: Host, directory: str) -> frozenset[str]:
    """v2: the controllers a cgroup dir enables for its children."""
    text = _read(host.real(os.path.join(directory, "cgroup.subtree_control")))
    return frozenset((text or "").split())
