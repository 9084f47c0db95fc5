"""exec --cgroup: the existing sub-cgroups of a container's cgroup an exec'd process joins."""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def sub_cgroup_dirs(manager: Any, specs: list[str]) -> list[str]:
    """The directories `--cgroup [CONTROLLER[,CONTROLLER]:]PATH` names: PATH under the
    container's cgroup, for the named controllers (all without a name); each must exist."""
    if manager is None:
        raise RuntimeFailure("--cgroup: the container has no cgroup of its own to join under")
    chosen: dict[str, str] = {}
    for spec in specs:
        controllers, colon, path = spec.rpartition(":")
        if not colon:
            controllers = ""
        if not path or path.startswith("/") or ".." in path.split("/"):
            raise RuntimeFailure(f"--cgroup {spec!r}: give a relative path inside the "
                                 "container's cgroup (no '/' in front, no '..')")
        if manager.version == "v2" or not controllers:
            if controllers and manager.version == "v2":
                raise RuntimeFailure(f"--cgroup {spec!r}: a cgroup v2 host has one hierarchy;"
                                     " give the path without controller names")
            for directory in manager.dirs():
                chosen[directory] = path
            continue
        for name in controllers.split(","):
            directory = manager.path(name)
            if directory is None:
                raise RuntimeFailure(f"--cgroup {spec!r}: the container has no {name} cgroup")
            chosen[directory] = path
    dirs = []
    for base, path in chosen.items():
        target = os.path.join(base, path)
        if not os.path.isdir(target):
            raise RuntimeFailure(f"--cgroup: sub-cgroup {target} does not exist; create it "
                                 "first (exec joins an existing one)")
        dirs.append(target)
    return dirs
