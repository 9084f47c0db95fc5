"""The runtime-spec features document: what this runtime recognizes and applies."""

from __future__ import annotations

from typing import Any

from runtime import OCI_VERSION, __version__
from runtime.linux.constants import (
    CAPABILITIES,
    MOUNT_FLAGS,
    MOUNT_PROPAGATION,
    MOUNT_RECURSIVE_ATTRS,
    NAMESPACES,
)


def features() -> dict[str, Any]:
    """Honest about part 1: seccomp, cgroups, hooks, AppArmor and SELinux are not applied."""
    options = set(MOUNT_FLAGS) | set(MOUNT_PROPAGATION) | set(MOUNT_RECURSIVE_ATTRS)
    options.add("defaults")
    return {
        "ociVersionMin": "1.0.0",
        "ociVersionMax": OCI_VERSION,
        "hooks": [],
        "mountOptions": sorted(options),
        "linux": {
            "namespaces": sorted(NAMESPACES),
            "capabilities": sorted(CAPABILITIES, key=CAPABILITIES.__getitem__),
            "cgroup": {"v1": False, "v2": False, "systemd": False, "systemdUser": False,
                       "rdma": False},
            "seccomp": {"enabled": False},
            "apparmor": {"enabled": False},
            "selinux": {"enabled": False},
            "intelRdt": {"enabled": False},
            "mountExtensions": {"idmap": {"enabled": False}},
        },
        "annotations": {
            "org.bundlebench.runtime.version": __version__,
            "org.bundlebench.runtime.applied": "namespaces,mounts,devices,rootfs,process,"
                                               "rlimits,capabilities,terminal",
            "org.bundlebench.runtime.not-applied": "seccomp,cgroups,hooks,maskedPaths,"
                                                   "readonlyPaths,sysctl,apparmor,selinux",
        },
    }
