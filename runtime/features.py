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

# The runtime-spec features document's linux.cgroup object for this implementation.
_FEATURES_CGROUP = {"v1": True, "v2": True, "systemd": False, "systemdUser": False,
                   "rdma": False}


def features() -> dict[str, Any]:
    """What is recognized and applied; AppArmor/SELinux only where the host enables them."""
    from runtime import lsm, seccomp
    from runtime.hooks import HOOK_KINDS
    options = set(MOUNT_FLAGS) | set(MOUNT_PROPAGATION) | set(MOUNT_RECURSIVE_ATTRS)
    from runtime.mounts import DATA_OPTIONS
    options.update(("defaults", "tmpcopyup", *DATA_OPTIONS))
    return {
        "ociVersionMin": "1.0.0",
        "ociVersionMax": OCI_VERSION,
        "hooks": list(HOOK_KINDS),
        "mountOptions": sorted(options),
        "linux": {
            "namespaces": sorted(NAMESPACES),
            "capabilities": sorted(CAPABILITIES, key=CAPABILITIES.__getitem__),
            "cgroup": dict(_FEATURES_CGROUP),
            "seccomp": seccomp.features(),
            "apparmor": {"enabled": lsm.apparmor_enabled()},
            "selinux": {"enabled": lsm.selinux_enabled()},
            "intelRdt": {"enabled": False},
            "mountExtensions": {"idmap": {"enabled": False}},
        },
        "annotations": {
            "org.bundlebench.runtime.version": __version__,
            "org.bundlebench.runtime.applied": "namespaces,mounts,devices,rootfs,process,"
                                               "rlimits,capabilities,terminal,seccomp,hooks,"
                                               "maskedPaths,readonlyPaths,sysctl,apparmor,"
                                               "selinux,personality,cgroups",
            "org.bundlebench.runtime.not-applied": "intelRdt",
        },
    }
