"""Which cgroups a rootless container may use: only delegated ones, as runc's auto mode.

A cgroup dir is delegated when the caller can write where it would be created (the
nearest existing ancestor) and, once it exists, its cgroup.procs. A controller that is not
delegated is skipped with a warning when no limit needs it; a limit that needs it fails
with a sentence naming the field (silently running a container without its memory limit
would be worse). Devices are the exception: a rootless container never gets a device
controller, so its rules are skipped with a warning.
"""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Callable


def _writable(path: str) -> bool:
    return os.access(path, os.W_OK | os.X_OK) if os.path.isdir(path) else \
        os.access(path, os.W_OK)


class Decision:
    """The dirs to use, and what was skipped and why."""

    __slots__ = ("use", "skipped", "warnings")

    def __init__(self) -> None:
        self.use: dict[str, str] = {}
        self.skipped: list[str] = []
        self.warnings: list[str] = []


def delegated(directory: str, writable: Callable[[str], bool] | None = None) -> bool:
    """Whether the caller may create (or already owns) this cgroup dir and move tasks."""
    writable = writable or _writable
    probe = directory
    while not os.path.isdir(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            return False
        probe = parent
    if not writable(probe):
        return False
    return writable(os.path.join(probe, "cgroup.procs"))


def decide(dirs: dict[str, str], needed: dict[str, str],
           writable: Callable[[str], bool] | None = None) -> Decision:
    """Split controller -> dir into usable and skipped ones for a rootless caller.

    needed: controller -> the linux.resources field that sets a limit on it.
    Raises RuntimeFailure when a needed controller is not delegated (devices excepted).
    """
    decision = Decision()
    for controller, directory in dirs.items():
        if delegated(directory, writable):
            decision.use[controller] = directory
            continue
        decision.skipped.append(controller)
        if controller in needed and controller != "devices":
            raise RuntimeFailure(
                f"{needed[controller]} needs the {controller or 'unified'} cgroup, but "
                f"{directory} is not delegated to this user: run as root, ask for a "
                "delegated cgroup (systemd Delegate=yes) and set linux.cgroupsPath inside "
                "it, or remove the limit")
        label = controller or "unified"
        decision.warnings.append(f"rootless: the {label} cgroup {directory} is not "
                                 "delegated to this user; the container runs without it")
    for controller in needed:
        if controller == "devices" and controller not in decision.use:
            decision.warnings.append("rootless: linux.resources.devices is not applied (no "
                                     "device cgroup for an unprivileged container)")
    return decision
