"""The container's filesystem: propagation, rootfs bind, mounts, /dev, pivot_root."""

from __future__ import annotations

import os

from runtime import devices
from runtime.errors import RuntimeFailure
from runtime.linux import libc, seam
from runtime.linux.constants import (
    MOUNT_PROPAGATION,
    MS_BIND,
    MS_MOVE,
    MS_PRIVATE,
    MS_RDONLY,
    MS_REC,
    MS_REMOUNT,
    MS_SHARED,
    MS_SLAVE,
    flag_names,
)
from runtime.mounts import apply_mount, locked_flags
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def root_propagation(config: dict[str, Any]) -> int:
    """The flag for '/' before setup: rootfsPropagation, else rslave (runc's default)."""
    name = (config.get("linux") or {}).get("rootfsPropagation") or ""
    if not name:
        return MS_SLAVE | MS_REC
    if name not in MOUNT_PROPAGATION:
        raise RuntimeFailure(f"linux.rootfsPropagation {name!r} is not one of "
                             f"{', '.join(MOUNT_PROPAGATION)}")
    return MOUNT_PROPAGATION[name]


def _mount_point_of(path: str) -> str:
    while path != "/" and not os.path.ismount(path):
        path = os.path.dirname(path)
    return path


def prepare(plan: Any, tracer: Tracer = NULL_TRACER,
            before_cgroup_mount: Callable[[], None] | None = None) -> int:
    """Set up every mount and /dev below the plan's rootfs; return an O_PATH fd of the new
    root. before_cgroup_mount runs before the first mount of type cgroup."""
    rootfs = plan.rootfs
    flag = plan.root_propagation
    if "mount" not in plan.kinds:
        # The host's own mount namespace: its propagation is not ours to change. What is
        # mounted below stays under the rootfs, noted for delete (runtime.host_mounts).
        tracer.emit("propagation", "no mount namespace: the host's propagation is kept",
                    "skipped")
    else:
        seam.traced(tracer).mount(None, "/", None, flag, None,
                                  step="propagation",
                                  text=f"mount(NULL, '/', NULL, {flag_names(flag)})")
    if flag & MS_SHARED and "mount" in plan.kinds:
        # pivot_root refuses a shared parent mount of the new root.
        parent = _mount_point_of(os.path.dirname(rootfs))
        seam.traced(tracer).mount(None, parent, None, MS_PRIVATE, None,
                                  step="propagation",
                                  text=f"mount(NULL, {parent!r}, NULL, MS_PRIVATE)")
    seam.traced(tracer).mount(rootfs, rootfs, None, MS_BIND | MS_REC, None,
                              step="rootfs",
                              text=f"mount({rootfs!r}, {rootfs!r}, NULL, MS_BIND|MS_REC)")
    root_fd = os.open(rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    cgroupns = "cgroup" in plan.kinds
    dev_bound = False
    has_devpts = False
    for mount in plan.mounts:
        if before_cgroup_mount is not None and mount.type == "cgroup":
            before_cgroup_mount()
            before_cgroup_mount = None
        apply_mount(root_fd, mount.raw, plan.bundle, tracer, plan.in_userns, cgroupns,
                    opts=mount.options)
        dest = os.path.normpath(mount.destination)
        if dest == "/dev" and mount.options.is_bind:
            dev_bound = True
        if dest == "/dev/pts" and mount.type == "devpts":
            has_devpts = True
    if not dev_bound:
        for dev in plan.devices:
            devices.create_device(root_fd, dev, bind=plan.in_userns, tracer=tracer)
        devices.create_symlinks(root_fd, ptmx=has_devpts, tracer=tracer)
    devices.check_dev_null(root_fd)
    return root_fd


def pivot(rootfs: str, tracer: Tracer = NULL_TRACER, no_pivot: bool = False,
          host_namespace: bool = False) -> None:
    """Make rootfs the root: pivot_root(".", ".") then detach the old root, or MS_MOVE+chroot;
    in the host's mount namespace (none of its own) only chroot, as runc does."""
    if host_namespace:
        kernel = seam.kernel()
        kernel.chdir(rootfs)
        seam.traced(tracer).chroot(".", step="chroot",
                                   text=f"chroot({rootfs!r}) (no mount namespace: no pivot_root)")
        kernel.chdir("/")
        return
    if no_pivot:
        kernel = seam.kernel()
        kernel.chdir(rootfs)
        seam.traced(tracer).mount(rootfs, "/", None, MS_MOVE, None,
                                  step="move_root", text=f"mount({rootfs!r}, '/', NULL, MS_MOVE)")
        seam.traced(tracer).chroot(".", step="chroot", text="chroot('.')")
        kernel.chdir("/")
        return
    kernel = seam.kernel()
    old_root = os.open("/", os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    new_root = os.open(rootfs, os.O_DIRECTORY | os.O_RDONLY | os.O_CLOEXEC)
    try:
        kernel.fchdir(new_root)
        seam.traced(tracer).pivot_root(".", ".",
                                       step="pivot_root",
                                       text=f"pivot_root({rootfs!r}, {rootfs!r})")
        kernel.fchdir(old_root)
        # The old root is stacked under the new one: stop propagation, then detach it.
        seam.traced(tracer).mount(None, ".", None, MS_SLAVE | MS_REC, None,
                                  step="pivot_root",
                                  text="mount(NULL, <old root>, NULL, MS_SLAVE|MS_REC)")
        seam.traced(tracer).umount2(".", libc.MNT_DETACH,
                                    step="pivot_root", text="umount2(<old root>, MNT_DETACH)")
        kernel.chdir("/")
    finally:
        os.close(old_root)
        os.close(new_root)


def apply_root_propagation(flag: int | None, tracer: Tracer = NULL_TRACER) -> None:
    """linux.rootfsPropagation on the new root, after pivot_root (None: leave it)."""
    if flag is not None:
        seam.traced(tracer).mount(None, "/", None, flag, None,
                                  step="propagation",
                                  text=f"mount(NULL, '/', NULL, {flag_names(flag)})")


def readonly_root(tracer: Tracer = NULL_TRACER, in_userns: bool = False) -> None:
    flags = MS_BIND | MS_REMOUNT | MS_RDONLY
    if in_userns:
        flags |= locked_flags("/")
    seam.traced(tracer).mount(None, "/", None, flags, None,
                              step="readonly", text=f"mount(NULL, '/', NULL, {flag_names(flags)})")
