"""Pause and resume: the v1 freezer (freezer.state) or v2's cgroup.freeze.

On a hybrid host without a mounted freezer controller the unified hierarchy's
cgroup.freeze still works: it is a core file of every non-root v2 cgroup.
"""

from __future__ import annotations

import os
import time

from runtime.cgroups.files import read_keyed, read_text
from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

FROZEN, THAWED, FREEZING = "FROZEN", "THAWED", "FREEZING"


def _target(manager: Any) -> tuple[str, str] | None:
    """('v1', freezer dir) or ('v2', dir with cgroup.freeze), or None."""
    if manager.version == "v2":
        return "v2", manager.path
    freezer = manager.paths.get("freezer")
    if freezer:
        return "v1", freezer
    if manager.unified:
        return "v2", manager.unified
    return None


def _require(manager: Any) -> tuple[str, str]:
    target = _target(manager) if manager is not None else None
    if target is None:
        raise RuntimeFailure("pause and resume need the freezer cgroup controller (v1) or "
                             "cgroup v2, and this container has neither")
    return target


def freeze(manager: Any, timeout: float = 5.0) -> None:
    """Freeze every process of the cgroup; returns once the kernel reports it frozen."""
    kind, directory = _require(manager)
    if kind == "v2":
        manager.writer.write(directory, "cgroup.freeze", 1, "the container's freezer")
        _wait_v2(directory, 1, timeout)
        return
    deadline = time.monotonic() + timeout
    while True:
        manager.writer.write(directory, "freezer.state", FROZEN, "the container's freezer")
        for _ in range(50):
            if _v1_state(directory) == FROZEN:
                return
            time.sleep(0.002)
        if time.monotonic() >= deadline:
            manager.writer.write(directory, "freezer.state", THAWED, "the container's freezer")
            raise RuntimeFailure(f"the container did not freeze within {timeout:g}s (a "
                                 "process may be stuck in uninterruptible sleep)")
        # A task in an uninterruptible wait can block FREEZING for ever: thaw and retry.
        manager.writer.write(directory, "freezer.state", THAWED, "the container's freezer")


def thaw(manager: Any, timeout: float = 5.0) -> None:
    """Let the processes of a frozen cgroup run again."""
    kind, directory = _require(manager)
    if kind == "v2":
        manager.writer.write(directory, "cgroup.freeze", 0, "the container's freezer")
        _wait_v2(directory, 0, timeout)
        return
    deadline = time.monotonic() + timeout
    while True:
        manager.writer.write(directory, "freezer.state", THAWED, "the container's freezer")
        if _v1_state(directory) == THAWED:
            return
        if time.monotonic() >= deadline:
            raise RuntimeFailure(f"the container did not thaw within {timeout:g}s")
        time.sleep(0.002)


def _v1_state(directory: str) -> str:
    return (read_text(os.path.join(directory, "freezer.state")) or "").strip()


def _wait_v2(directory: str, frozen: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    events = os.path.join(directory, "cgroup.events")
    while True:
        state = read_keyed(events)
        if "frozen" not in state or state["frozen"] == frozen:
            return
        if time.monotonic() >= deadline:
            word = "freeze" if frozen else "thaw"
            raise RuntimeFailure(f"the container did not {word} within {timeout:g}s")
        time.sleep(0.002)


def is_paused(manager: Any) -> bool:
    """Whether the container's cgroup is frozen (the runtime state `paused`)."""
    return frozen(_target(manager) if manager is not None else None)


def frozen(target: tuple[str, str] | None) -> bool:
    """Whether a freezer target (kind, dir) reports frozen (or freezing)."""
    if target is None:
        return False
    kind, directory = target
    if kind == "v2":
        return (read_text(os.path.join(directory, "cgroup.freeze")) or "0").strip() == "1"
    return _v1_state(directory) in (FROZEN, FREEZING)


def can_pause(manager: Any) -> bool:
    """Whether pause/resume can work for this container."""
    return manager is not None and _target(manager) is not None


def signal_all(manager: Any, signal_number: int) -> list[int]:
    """Send a signal to every process of the cgroup (kill --all), with the cgroup frozen
    meanwhile so that a forking process cannot slip a child past it. A paused container
    stays paused. Returns the pids signalled."""
    was_paused = is_paused(manager)
    can_freeze = can_pause(manager)
    if can_freeze and not was_paused:
        freeze(manager)
    try:
        pids = manager.pids()
        for pid in pids:
            try:  # noqa: SIM105
                os.kill(pid, signal_number)
            except ProcessLookupError:
                pass
    finally:
        if can_freeze and not was_paused:
            thaw(manager)
    return pids


def kill_all(manager: Any) -> None:
    """SIGKILL every process of the cgroup: through cgroup.kill where the kernel has it
    (v2, or a hybrid host's unified dir, which every container process joins), which no
    fork can race; else freeze, signal, thaw."""
    directory = manager.path if manager.version == "v2" else manager.unified
    if directory and os.path.exists(os.path.join(directory, "cgroup.kill")):
        manager.writer.write(directory, "cgroup.kill", 1, "the container's processes (kill)")
        return
    signal_all(manager, 9)
