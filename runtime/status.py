"""A container's status (created, running, paused, stopped), its state document, and
its processes."""

from __future__ import annotations

import os

from runtime import state as st

PAUSED = "paused"  # a created or running container whose cgroup is frozen (runc's rule)

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


def container_status(store: st.StateStore, state: st.ContainerState) -> str:
    """created, running, paused (a frozen cgroup) or stopped."""
    base = store.status(state)
    if base == st.STOPPED or not os.path.exists(os.path.join(store.path(state.id),
                                                             "cgroup.json")):
        return base  # nothing (left) to be frozen
    if base not in (st.CREATED, st.RUNNING):
        return base
    from runtime.cgroups import saved
    return PAUSED if saved.is_paused(store.path(state.id)) else base


def state_dict(store: st.StateStore, container_id: str) -> dict[str, Any]:
    from runtime import OCI_VERSION
    state = store.load(container_id)
    status = container_status(store, state)
    result: dict[str, Any] = {
        "ociVersion": OCI_VERSION, "id": state.id,
        "pid": state.pid if status != st.STOPPED else 0, "status": status,
        "bundle": state.bundle, "rootfs": state.rootfs, "created": state.created,
        "owner": state.owner,
    }
    if state.annotations:
        result["annotations"] = state.annotations
    return result


def container_pids(state: st.ContainerState) -> list[int]:
    """Every host pid in the container's pid namespace (init first)."""
    try:
        init_ns = os.readlink(f"/proc/{state.pid}/ns/pid")
    except OSError:
        return [state.pid]
    if init_ns == os.readlink("/proc/self/ns/pid"):
        return [state.pid]  # shares our pid namespace: only the init is known to be its own
    pids = [state.pid]
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != state.pid:
            try:
                if os.readlink(f"/proc/{name}/ns/pid") == init_ns:
                    pids.append(int(name))
            except OSError:
                continue
    return pids
