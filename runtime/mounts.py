"""Mount options as runc reads them, and applying one config mount inside the root.

The decisions (which flags, which propagation, which data string, bind or not) are pure
functions of the config and are unit-tested without root; `apply_mount` performs them
through runtime.linux.libc and records every syscall in the trace.
"""

from __future__ import annotations

import os
import stat

from runtime.errors import RuntimeFailure
from runtime.linux import seam
from runtime.linux.constants import (
    MOUNT_FLAGS,
    MOUNT_PROPAGATION,
    MS_BIND,
    MS_NODEV,
    MS_NODIRATIME,
    MS_NOEXEC,
    MS_NOSUID,
    MS_RDONLY,
    MS_REC,
    MS_RELATIME,
    MS_REMOUNT,
    MS_STRICTATIME,
    flag_names,
)
from runtime.paths import fd_path, make_file, mkdir_all, open_in_root
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

MS_NOATIME = 0x400

# mount_setattr(2) attributes for the recursive "r*" options.
MOUNT_ATTR_RDONLY = 0x1
MOUNT_ATTR_NOSUID = 0x2
MOUNT_ATTR_NODEV = 0x4
MOUNT_ATTR_NOEXEC = 0x8
MOUNT_ATTR__ATIME = 0x70
MOUNT_ATTR_RELATIME = 0x0
MOUNT_ATTR_NOATIME = 0x10
MOUNT_ATTR_STRICTATIME = 0x20
MOUNT_ATTR_NODIRATIME = 0x80
MOUNT_ATTR_NOSYMFOLLOW = 0x200000

# option -> (set, clear)
RECURSIVE_ATTRS: dict[str, tuple[int, int]] = {
    "rro": (MOUNT_ATTR_RDONLY, 0),
    "rrw": (0, MOUNT_ATTR_RDONLY),
    "rnosuid": (MOUNT_ATTR_NOSUID, 0),
    "rsuid": (0, MOUNT_ATTR_NOSUID),
    "rnodev": (MOUNT_ATTR_NODEV, 0),
    "rdev": (0, MOUNT_ATTR_NODEV),
    "rnoexec": (MOUNT_ATTR_NOEXEC, 0),
    "rexec": (0, MOUNT_ATTR_NOEXEC),
    "rnodiratime": (MOUNT_ATTR_NODIRATIME, 0),
    "rdiratime": (0, MOUNT_ATTR_NODIRATIME),
    "rrelatime": (MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME),
    "rnorelatime": (0, 0),
    "rnoatime": (MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME),
    "ratime": (0, MOUNT_ATTR_NOATIME),
    "rstrictatime": (MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME),
    "rnostrictatime": (0, 0),
    "rnosymfollow": (MOUNT_ATTR_NOSYMFOLLOW, 0),
    "rsymfollow": (0, MOUNT_ATTR_NOSYMFOLLOW),
}

UNSUPPORTED_OPTIONS = ("idmap", "ridmap")
# Words the filesystem itself parses (ext4, xfs, ...): passed on in the data string.
DATA_OPTIONS = ("acl", "noacl")

# Flags a user namespace locks on a mount: a remount must keep them or fail with EPERM.
_LOCKED_STATVFS = ((1, MS_RDONLY), (2, MS_NOSUID), (4, MS_NODEV), (8, MS_NOEXEC),
                   (1024, MS_NOATIME), (2048, MS_NODIRATIME), (4096, MS_RELATIME))


class MountOptions:
    """What a mount's options mean: kernel flags, propagation, recursive attrs, data."""

    def __init__(self) -> None:
        self.flags = 0
        self.propagation: list[int] = []
        self.attr_set = 0
        self.attr_clr = 0
        self.data: list[str] = []
        self.copyup = False  # tmpcopyup: the tmpfs starts with what it covers

    @property
    def is_bind(self) -> bool:
        return bool(self.flags & MS_BIND)

    @property
    def data_string(self) -> str | None:
        return ",".join(self.data) or None


def parse_options(options: list[str] | None, mount_type: str | None = None) -> MountOptions:
    """Turn a config mount's options into flags as runc does; unknown words become data."""
    result = MountOptions()
    for option in options or []:
        if option in MOUNT_FLAGS:
            clear, flag = MOUNT_FLAGS[option]
            if clear:
                result.flags &= ~flag
            else:
                result.flags |= flag
        elif option in MOUNT_PROPAGATION:
            result.propagation.append(MOUNT_PROPAGATION[option])
        elif option in RECURSIVE_ATTRS:
            attr_set, attr_clr = RECURSIVE_ATTRS[option]
            result.attr_clr |= attr_clr
            result.attr_set = (result.attr_set & ~attr_clr) | attr_set
        elif option in UNSUPPORTED_OPTIONS:
            raise RuntimeFailure(f"mount option {option!r} is not supported by this runtime yet")
        elif option == "tmpcopyup":
            result.copyup = True
        elif option == "defaults":
            continue
        else:
            result.data.append(option)
    if mount_type == "bind":
        result.flags |= MS_BIND
    return result


def bind_source(source: str, bundle: str) -> str:
    """A bind source relative to the bundle dir, as runc resolves it."""
    return source if source.startswith("/") else os.path.normpath(os.path.join(bundle, source))


def check_type(mount: dict[str, Any], opts: MountOptions) -> None:
    """A mount needs a filesystem type unless it is a bind (opts: its parsed options)."""
    if not mount.get("type") and not opts.is_bind:
        raise RuntimeFailure(f"mount {mount.get('destination')} has no type: name the "
                             "filesystem (tmpfs, proc, ...) or add the bind option")
    if opts.copyup and (mount.get("type") != "tmpfs" or opts.is_bind):
        raise RuntimeFailure(f"mount {mount.get('destination')}: tmpcopyup applies to tmpfs "
                             "mounts only: remove it or make the mount a tmpfs")


def check_bind_source(mount: dict[str, Any], opts: MountOptions, bundle: str) -> None:
    """A bind mount's source must exist on the host (checked again at mount time)."""
    mtype = mount.get("type") or ""
    if not opts.is_bind:
        return
    source = bind_source(mount.get("source") or mtype or "none", bundle)
    try:
        os.stat(source)
    except OSError as exc:
        raise RuntimeFailure(f"bind mount source {source} for {mount.get('destination')}: "
                             f"{exc.strerror}") from None


def locked_flags(path: str) -> int:
    """The MS_* flags currently on the mount at path that a user namespace locks."""
    try:
        current = os.statvfs(path).f_flag
    except OSError:
        return 0
    return sum(ms for st_bit, ms in _LOCKED_STATVFS if current & st_bit and ms != MS_RDONLY)


def apply_mount(root_fd: int, mount: dict[str, Any], bundle: str, tracer: Tracer = NULL_TRACER,
                in_userns: bool = False, cgroupns: bool = False,
                opts: MountOptions | None = None) -> None:
    """Perform one config mount with its destination resolved inside the root (opts: its
    options as the plan parsed them)."""
    dest = mount.get("destination") or ""
    mtype = mount.get("type") or ""
    opts = opts or parse_options(mount.get("options"), mtype)
    source = mount.get("source") or mtype or "none"
    if mtype == "cgroup" and not opts.is_bind:
        _mount_cgroup(root_fd, dest, opts, tracer, in_userns, cgroupns)
        return
    if opts.is_bind:
        source = bind_source(source, bundle)
        try:
            is_dir = stat.S_ISDIR(os.stat(source).st_mode)
        except OSError as exc:
            raise RuntimeFailure(f"bind mount source {source} for {dest}: {exc.strerror}") from None
        target_fd = _target(root_fd, dest, is_dir, strict=False)
    else:
        target_fd = _target(root_fd, dest, True, strict=mtype in ("proc", "sysfs"))
    try:
        target = fd_path(target_fd)
        if opts.is_bind:
            bind_flags = MS_BIND | (opts.flags & MS_REC)
            seam.traced(tracer).mount(source, target, None, bind_flags, None,
                                      step="mount",
                                      text=f"mount({source!r}, {dest!r}, NULL, "
                                           f"{flag_names(bind_flags)})")
            extra = opts.flags & ~(MS_BIND | MS_REC)
            if extra:
                _remount(root_fd, dest, extra, tracer, in_userns)
        elif opts.copyup:
            from runtime.copyup import mount_copyup
            mount_copyup(target_fd, dest, opts, tracer)
        else:
            flags = opts.flags & ~MS_REMOUNT
            seam.traced(tracer).mount(source, target, mtype, flags, opts.data_string,
                                      step="mount",
                                      text=f"mount({source!r}, {dest!r}, {mtype!r}, "
                                           f"{flag_names(flags)}, {opts.data_string!r})")
    finally:
        os.close(target_fd)
    _finish(root_fd, dest, opts, tracer)


def _target(root_fd: int, dest: str, is_dir: bool, strict: bool) -> int:
    try:
        if strict:
            # proc and sysfs go only onto a real directory: never through a symlink.
            try:
                fd = open_in_root(root_fd, dest, os.O_PATH | os.O_DIRECTORY, no_symlinks=True)
            except FileNotFoundError:
                fd = mkdir_all(root_fd, dest)
                os.close(fd)
                fd = open_in_root(root_fd, dest, os.O_PATH | os.O_DIRECTORY, no_symlinks=True)
            return fd
        return mkdir_all(root_fd, dest) if is_dir else make_file(root_fd, dest)
    except OSError as exc:
        if exc.errno == 40:
            raise RuntimeFailure(f"mount destination {dest} in the rootfs is a symlink: "
                                 "refusing to mount there") from None
        if exc.errno == 20:
            raise RuntimeFailure(f"mount destination {dest} in the rootfs is not a directory"
                                 ) from None
        raise RuntimeFailure(f"cannot create mount destination {dest}: {exc.strerror}") from None


def _remount(root_fd: int, dest: str, flags: int, tracer: Tracer, in_userns: bool) -> None:
    fd = open_in_root(root_fd, dest, os.O_PATH)
    try:
        target = fd_path(fd)
        if in_userns:
            flags |= locked_flags(target)
        flags |= MS_BIND | MS_REMOUNT
        seam.traced(tracer).mount(None, target, None, flags, None,
                                  step="remount",
                                  text=f"mount(NULL, {dest!r}, NULL, {flag_names(flags)})")
    finally:
        os.close(fd)


def _finish(root_fd: int, dest: str, opts: MountOptions, tracer: Tracer) -> None:
    if not opts.propagation and not (opts.attr_set or opts.attr_clr):
        return
    fd = open_in_root(root_fd, dest, os.O_PATH)
    try:
        for flag in opts.propagation:
            seam.traced(tracer).mount(None, fd_path(fd), None, flag, None,
                                      step="propagation",
                                      text=f"mount(NULL, {dest!r}, NULL, {flag_names(flag)})")
        if opts.attr_set or opts.attr_clr:
            seam.traced(tracer).mount_setattr(fd, opts.attr_set, opts.attr_clr,
                                              text=f"mount_setattr({dest!r}, AT_RECURSIVE, "
                                                   f"set={opts.attr_set:#x}, "
                                                   f"clr={opts.attr_clr:#x})")
    finally:
        os.close(fd)


_host_mountinfo: str | None = None


def remember_host_mounts(mountinfo: str) -> None:
    """Keep the runtime's /proc/self/mountinfo for the init's cgroup mounts later: the
    host's cgroup hierarchies are the same in the init's copy of the mount namespace, and
    the init reaches that mount right after the cgroup is joined, when time counts."""
    global _host_mountinfo
    _host_mountinfo = mountinfo


def cgroup_hierarchies(proc_self_cgroup: str, mountinfo: str) -> list[tuple[str, str, str]]:
    """(name under /sys/fs/cgroup, host mount point, our path) for each v1 hierarchy."""
    ours: dict[str, str] = {}
    for line in proc_self_cgroup.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3 and parts[1]:
            for controller in parts[1].split(","):
                ours[controller] = parts[2]
    from runtime.linux.mountinfo import parse

    result = []
    for row in parse(mountinfo):
        controllers = [o for o in row.super_options.split(",") if o in ours]
        if row.fstype != "cgroup" or not controllers:
            continue
        result.append((os.path.basename(row.target), row.target, ours[controllers[0]]))
    return result


def _mount_cgroup(root_fd: int, dest: str, opts: MountOptions, tracer: Tracer,
                  in_userns: bool, cgroupns: bool) -> None:
    with open("/proc/self/cgroup") as handle:
        self_cgroup = handle.read()
    flags = opts.flags & ~MS_REMOUNT
    target_fd = _target(root_fd, dest, True, strict=True)
    try:
        target = fd_path(target_fd)
        unified = all(line.startswith("0::") for line in self_cgroup.splitlines() if line)
        if unified:
            try:
                seam.traced(tracer).mount("cgroup2", target, "cgroup2", flags, None,
                                          step="mount",
                                          text=f"mount('cgroup2', {dest!r}, 'cgroup2', "
                                               f"{flag_names(flags)})")
            except OSError:
                # Without a private cgroup namespace (rootless) the host tree is bound.
                seam.traced(tracer).mount("/sys/fs/cgroup", target, None, MS_BIND | MS_REC, None,
                                          step="mount",
                                          text=f"mount('/sys/fs/cgroup', {dest!r}, NULL, "
                                               "MS_BIND|MS_REC)")
                _remount(root_fd, dest, flags, tracer, in_userns)
            return
        tmpfs_flags = flags & ~MS_RDONLY
        seam.traced(tracer).mount("tmpfs", target, "tmpfs", tmpfs_flags, "mode=755",
                                  step="mount",
                                  text=f"mount('tmpfs', {dest!r}, 'tmpfs', "
                                       f"{flag_names(tmpfs_flags)}, 'mode=755')")
    finally:
        os.close(target_fd)
    mountinfo = _host_mountinfo
    if mountinfo is None:
        with open("/proc/self/mountinfo") as handle:
            mountinfo = handle.read()
    for name, host_mount, our_path in cgroup_hierarchies(self_cgroup, mountinfo):
        sub = f"{dest.rstrip('/')}/{name}"
        sub_fd = mkdir_all(root_fd, sub)
        try:
            host_dir = host_mount + (our_path if our_path != "/" else "")
            if not os.path.isdir(host_dir):
                host_dir = host_mount
            seam.traced(tracer).mount(host_dir, fd_path(sub_fd), None, MS_BIND | MS_REC, None,
                                      step="mount",
                                      text=f"mount({host_dir!r}, {sub!r}, NULL, MS_BIND|MS_REC)")
        finally:
            os.close(sub_fd)
        _remount(root_fd, sub, flags | MS_NOSUID | MS_NODEV | MS_NOEXEC, tracer, True)
    if flags & MS_RDONLY:
        fd = open_in_root(root_fd, dest, os.O_PATH)
        try:
            remount = MS_REMOUNT | MS_RDONLY | (flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC))
            seam.traced(tracer).mount(None, fd_path(fd), None, remount, "mode=755",
                                      step="remount",
                                      text=f"mount(NULL, {dest!r}, NULL, {flag_names(remount)})")
        finally:
            os.close(fd)


__all__ = ["MountOptions", "apply_mount", "parse_options", "bind_source", "MS_STRICTATIME"]
