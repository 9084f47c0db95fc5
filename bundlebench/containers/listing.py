"""The containers of a runtime root, with exit codes, and stopping one gracefully."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from shim.protocol import ATTACH_SOCKET, read_exit, shim_alive

STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class ContainerRow:
    """One container as the containers screen lists it."""

    id: str
    status: str
    pid: int
    bundle: str
    created: str
    exit_code: int | None = None
    signal: str | None = None
    attachable: bool = False
    this_bundle: bool = False
    edited: bool = False  # launched with a config other than its bundle's file says
    shim_gone: bool = False  # its shim was killed: no terminal, no exit code to come

    @property
    def status_text(self) -> str:
        if self.status == "stopped" and self.exit_code is not None:
            return f"exited {self.exit_code}" + (f" ({self.signal})" if self.signal else "")
        if self.shim_gone:
            return f"{self.status}, shim gone"
        return self.status


def list_containers(root: str, bundle: Path | None = None) -> list[ContainerRow]:
    """Every container on ``root``, those of ``bundle`` first, then by creation time.

    A container launched from a private bundle (an edited config) counts as its
    original bundle's, as the workbench's record says.
    """
    from bundlebench.containers.records import prune_records, read_record
    from runtime.api import Runtime

    if not os.path.isdir(root):
        return []
    here = str(bundle.resolve()) if bundle is not None else None
    rows = []
    states = Runtime(root).list()
    prune_records(root, set(os.listdir(root)))  # every dir, even one with a broken state
    for state in states:
        state_dir = os.path.join(root, state["id"])
        record = read_exit(state_dir) or {}
        launch = read_record(root, state["id"]) or {}
        bundle_path = str(launch.get("bundle") or state.get("bundle", ""))
        rows.append(ContainerRow(
            id=state["id"], status=str(state.get("status", "?")), pid=int(state.get("pid") or 0),
            bundle=bundle_path, created=str(state.get("created", ""))[:19].replace("T", " "),
            exit_code=record.get("exit_code"), signal=record.get("signal"),
            attachable=os.path.exists(os.path.join(state_dir, ATTACH_SOCKET)),
            this_bundle=here is not None and _same(bundle_path, here),
            edited=bool(launch.get("changed")), shim_gone=shim_alive(state_dir) is False))
    rows.sort(key=lambda row: (not row.this_bundle, row.created, row.id))
    return rows


def _same(path: str, resolved: str) -> bool:
    try:
        return str(Path(path).resolve()) == resolved
    except OSError:
        return False


def stop_container(root: str, container_id: str, timeout: float = STOP_TIMEOUT) -> str:
    """SIGTERM, then SIGKILL if it still runs after ``timeout``; say which ended it."""
    from runtime.api import Runtime, RuntimeFailure

    api = Runtime(root)
    api.kill(container_id, "TERM")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if api.state(container_id)["status"] == "stopped":
                return "TERM"
        except RuntimeFailure:
            return "TERM"
        time.sleep(0.05)
    api.kill(container_id, "KILL")
    return "KILL"


def remove_container(root: str, container_id: str, timeout: float = 5.0) -> None:
    """Delete a container, killing it first; waits for its shim to record the exit.

    The shim writes exit.json when the container dies; deleting meanwhile would race
    with that write, so a running container is killed and its shim awaited first.
    """
    from runtime.api import Runtime

    api = Runtime(root)
    state_dir = os.path.join(root, container_id)
    if api.state(container_id)["status"] != "stopped":
        api.kill(container_id, "KILL")
    deadline = time.monotonic() + timeout
    # A killed shim writes nothing more: wait only for a live one.
    while time.monotonic() < deadline and (
            shim_alive(state_dir) or api.state(container_id)["status"] != "stopped"):
        time.sleep(0.02)
    api.delete(container_id, force=True)
