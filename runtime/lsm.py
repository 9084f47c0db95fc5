"""process.apparmorProfile and process.selinuxLabel: the label the process gets at execve.

``plan(process)`` runs in the runtime parent (it reads the host's /sys to learn which
LSM is enabled) and refuses a field whose LSM is not enabled, naming it, as runc does.
``apply(actions)`` runs in the container init after pivot_root, before the seccomp
filter is loaded and before execve: it writes each value to this thread's
/proc/thread-self/attr/... file, opened below a procfs that fstatfs verifies and
without following magic links or crossing mounts (CVE-2019-16884).
"""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure
from runtime.linux import seam
from runtime.sysctl import open_beneath, open_verified_dir
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


APPARMOR_ENABLED = "/sys/module/apparmor/parameters/enabled"
SELINUX_ENFORCE = "/sys/fs/selinux/enforce"


class LabelWrite:
    """Write `payload` to the first attr file of `candidates` (relative to /proc) that
    exists; `field` names the config field for errors."""

    __slots__ = ("field", "candidates", "payload")

    def __init__(self, field: str, candidates: tuple[str, ...], payload: str) -> None:
        self.field, self.candidates, self.payload = field, candidates, payload

    def __repr__(self) -> str:
        return f"LabelWrite({self.field!r}, {self.candidates!r}, {self.payload!r})"


def _read_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read(64)
    except OSError:
        return ""


def apparmor_enabled(read: Callable[[str], str] = _read_text) -> bool:
    return read(APPARMOR_ENABLED).startswith("Y")


def selinux_enabled(exists: Callable[[str], bool] = os.path.exists) -> bool:
    return exists(SELINUX_ENFORCE)


def plan(process: dict[str, Any], apparmor: bool | None = None,
         selinux: bool | None = None) -> list[LabelWrite]:
    """The label writes process asks for; RuntimeFailure when its LSM is not enabled."""
    actions = []
    profile = process.get("apparmorProfile") or ""
    if profile:
        if not isinstance(profile, str) or "\n" in profile:
            raise RuntimeFailure("process.apparmorProfile must be a profile name")
        if not (apparmor_enabled() if apparmor is None else apparmor):
            raise RuntimeFailure(f"process.apparmorProfile {profile!r} is set but AppArmor is "
                                 "not enabled on this host: remove the field")
        actions.append(LabelWrite("process.apparmorProfile",
                                  ("thread-self/attr/apparmor/exec", "thread-self/attr/exec"),
                                  f"exec {profile}"))
    label = process.get("selinuxLabel") or ""
    if label:
        if not isinstance(label, str) or "\n" in label:
            raise RuntimeFailure("process.selinuxLabel must be an SELinux context")
        if not (selinux_enabled() if selinux is None else selinux):
            raise RuntimeFailure(f"process.selinuxLabel {label!r} is set but SELinux is not "
                                 "enabled on this host: remove the field")
        actions.append(LabelWrite("process.selinuxLabel", ("thread-self/attr/exec",), label))
    return actions


def apply(actions: list[LabelWrite], proc: str = "/proc", tracer: Tracer = NULL_TRACER) -> None:
    """Write each planned label through a verified procfs (in the process that execs)."""
    if not actions:
        return
    proc_fd = open_verified_dir(proc)
    try:
        for action in actions:
            _write_label(proc_fd, action, tracer)
    finally:
        os.close(proc_fd)


def _write_label(proc_fd: int, action: LabelWrite, tracer: Tracer) -> None:
    last: OSError | None = None
    for rel in action.candidates:
        try:
            # thread-self is procfs's own symlink to PID/task/TID, inside the same mount.
            fd = open_beneath(proc_fd, rel, os.O_WRONLY, allow_symlinks=True)
        except OSError as exc:
            last = exc
            if exc.errno == 2:
                continue
            break
        try:
            seam.traced(tracer).write_fd(fd, action.payload, step="lsm",
                                         text=f"write(/proc/{rel}, {action.payload!r})")
            return
        except OSError as exc:
            raise RuntimeFailure(f"{action.field}: the kernel refused {action.payload!r}: "
                                 f"{exc.strerror}") from None
        finally:
            os.close(fd)
    why = last.strerror if last is not None else "no attr file"
    raise RuntimeFailure(f"{action.field} cannot be applied: /proc/{action.candidates[-1]}: "
                         f"{why}")
