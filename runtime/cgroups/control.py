"""The cgroup operations of a live container behind the API and the command line: its
manager, every pid, limits updated in place, stats."""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure
from runtime.status import PAUSED, container_status

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def load_manager(store: Any, container_id: str) -> Any:
    """The cgroup manager recorded for a container, or None."""
    from runtime.cgroups.manager import load
    return load(store.path(container_id))


def locked(store: Any, container_id: str, func: Callable[[Any, Any], Any]) -> Any:
    lock = store.lock(container_id)
    try:
        state = store.load(container_id)
        return func(state, load_manager(store, container_id))
    finally:
        os.close(lock)


def need_manager(manager: Any, container_id: str, what: str) -> Any:
    if manager is None:
        raise RuntimeFailure(f"cannot {what} container {container_id!r}: it has no cgroup "
                             "(cgroups were not available when it was created)")
    return manager


def container_pids(store: Any, state: Any, manager: Any) -> list[int]:
    """Host pids of the container: its cgroup's, else (no cgroup) its pid namespace's."""
    if manager is not None:
        return manager.pids()
    from runtime.status import container_pids as by_namespace
    return by_namespace(state)


def merge_resources(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """current with update's fields laid over it, one level deep (runc's update keeps
    every field the update does not name). Devices cannot be updated."""
    import copy
    merged = copy.deepcopy(current or {})
    for key, value in update.items():
        if key == "devices":
            raise RuntimeFailure("update cannot change linux.resources.devices (runc "
                                 "neither): recreate the container")
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def apply_update(store: Any, container_id: str, fragment: dict[str, Any]) -> list[str]:
    """Lay a linux.resources fragment over a live container's limits, apply them, and
    record them in its state (the API behind `update`). Returns warnings."""

    def run(state: Any, manager: Any) -> list[str]:
        current = container_status(store, state)
        if current == "stopped":
            raise RuntimeFailure(f"cannot update container {container_id!r}: it is stopped")
        manager = need_manager(manager, container_id, "update")
        linux = state.config.setdefault("linux", {})
        merged = merge_resources(linux.get("resources") or {}, fragment)
        applied = {k: v for k, v in merged.items() if k != "devices"}
        warnings = manager.apply(applied, None, update=True)
        linux["resources"] = merged
        store.save(state)
        return warnings
    return locked(store, container_id, run)


def container_stats(store: Any, container_id: str) -> dict[str, Any]:
    """The runc stats data of a container (the API behind `events --stats`)."""
    from runtime.cgroups import stats
    manager = need_manager(load_manager(store, container_id), container_id,
                            "report the stats of")
    return stats.stats(manager)


def pause(store: Any, container_id: str) -> None:
    """Freeze every process of a created or running container."""
    from runtime.cgroups import freeze

    def run(state: Any, manager: Any) -> int:
        current = container_status(store, state)
        if current not in ("created", "running"):
            raise RuntimeFailure(f"cannot pause container {container_id!r}: it is {current}, "
                                 "not running")
        freeze.freeze(need_manager(manager, container_id, "pause"))
        return 0
    return locked(store, container_id, run)


def resume(store: Any, container_id: str) -> None:
    """Thaw a paused container."""
    from runtime.cgroups import freeze

    def run(state: Any, manager: Any) -> int:
        current = container_status(store, state)
        if current != PAUSED:
            raise RuntimeFailure(f"cannot resume container {container_id!r}: it is "
                                 f"{current}, not paused")
        freeze.thaw(manager)
        return 0
    return locked(store, container_id, run)
