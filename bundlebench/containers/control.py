"""The OCI lifecycle of one container, step by step: start, pause, resume, kill, delete.

Each call goes through the runtime's public API (none of them forks a namespace, so they
may run in a thread of the TUI), turns its failure into one sentence (BundlebenchError),
and notes the transition in the workbench's record of the container.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from bundlebench.containers import records
from bundlebench.errors import BundlebenchError

T = TypeVar("T")

# Why a container can wait in `created`, in the words of the lifecycle (runtime-spec).
CREATED_WHY = (
    "created: the runtime has made its namespaces, mounts, pivot_root and cgroup, and the "
    "prestart/createRuntime/createContainer hooks have run; the init waits on exec.fifo, "
    "before execve of process.args, until `start`. This pause lets a caller (podman, "
    "containerd) set up networking or attach before the program runs."
)
PAUSED_WHY = ("paused: the cgroup freezer holds every process; they keep their memory "
              "and use no CPU until resume.")


def _call(action: Callable[[], T]) -> T:
    from runtime.api import RuntimeFailure

    try:
        return action()
    except RuntimeFailure as error:
        raise BundlebenchError(str(error)) from None


def check_new_id(root: str, container_id: str) -> str | None:
    """Why ``container_id`` cannot be used for a new container on ``root``, or None."""
    from runtime.ids import validate_id

    try:
        validate_id(container_id)
    except Exception as error:  # noqa: BLE001 - the runtime's sentence is the answer
        return str(error)
    if os.path.lexists(os.path.join(root, container_id)):
        return f"a container called {container_id!r} already exists"
    return None


def start(root: str, container_id: str) -> None:
    """Let a created container's init go on to execve."""
    from runtime.api import Runtime

    _call(lambda: Runtime(root).start(container_id))
    records.add_transition(root, container_id, "started")


def pause(root: str, container_id: str) -> None:
    from runtime.api import Runtime

    _call(lambda: Runtime(root).pause(container_id))
    records.add_transition(root, container_id, "paused")


def resume(root: str, container_id: str) -> None:
    from runtime.api import Runtime

    _call(lambda: Runtime(root).resume(container_id))
    records.add_transition(root, container_id, "resumed")


def kill(root: str, container_id: str, signal: str) -> None:
    from runtime.api import Runtime

    _call(lambda: Runtime(root).kill(container_id, signal))
    records.add_transition(root, container_id, f"sent SIG{signal}")


def delete(root: str, container_id: str) -> None:
    """Delete a container (a live one is killed first) and the workbench's record of it."""
    from bundlebench.containers.listing import remove_container

    _call(lambda: remove_container(root, container_id))
    records.remove_record(root, container_id)


def stop(root: str, container_id: str, timeout: float) -> str:
    """SIGTERM, then SIGKILL after ``timeout``; returns the signal that ended it."""
    from bundlebench.containers.listing import stop_container

    how = _call(lambda: stop_container(root, container_id, timeout))
    records.add_transition(root, container_id, f"stopped with SIG{how}")
    return how
