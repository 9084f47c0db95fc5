"""One process's view of the system at a step-mode stop, read from /proc.

What the step view shows beside the stop: namespaces, mounts, capabilities, ids, cgroup,
rlimits, seccomp, no_new_privs, cwd and root. Every reader takes ``proc`` so that tests
can hand it a fake tree; a process that is gone gives ``gone=True`` and empty facts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bundlebench.containers import inspect


@dataclass
class ProcessView:
    """What /proc/PID said about one process at one moment."""

    pid: int
    gone: bool = False
    namespaces: list[inspect.Namespace] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)
    security: inspect.Security = field(default_factory=inspect.Security)
    uid: str = ""
    gid: str = ""
    uid_map: list[tuple[int, int, int]] = field(default_factory=list)
    gid_map: list[tuple[int, int, int]] = field(default_factory=list)
    cgroups: list[str] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)
    cwd: str = ""
    root: str = ""


def mount_line(mount: inspect.Mount) -> str:
    """A mount in one line: target, type, source and its per-mount options."""
    return f"{mount.target} {mount.fstype} {mount.source} {mount.options}"


def _link(path: str) -> str:
    try:
        return os.readlink(path)
    except OSError as error:
        return f"({error.strerror or error})"


def _limits(pid: int, proc: str) -> list[str]:
    """Rows of /proc/PID/limits without the header, spaces squeezed."""
    try:
        with open(f"{proc}/{pid}/limits", encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()[1:]
    except OSError:
        return []
    return [" ".join(line.split()) for line in lines if line.strip()]


def read_process(pid: int, proc: str = "/proc") -> ProcessView:
    """Everything the step view shows about ``pid`` (blocking: call it off the loop)."""
    if not os.path.isdir(f"{proc}/{pid}"):
        return ProcessView(pid, gone=True)
    fields = inspect.status_fields(pid, proc)
    return ProcessView(
        pid,
        namespaces=inspect.namespaces(pid, proc),
        mounts=[mount_line(m) for m in inspect.mounts(pid, proc)],
        security=inspect.security(pid, proc),
        uid=" ".join(fields.get("Uid", "").split()),
        gid=" ".join(fields.get("Gid", "").split()),
        uid_map=inspect.id_map(pid, "uid_map", proc),
        gid_map=inspect.id_map(pid, "gid_map", proc),
        cgroups=inspect.cgroups(pid, proc),
        limits=_limits(pid, proc),
        cwd=_link(f"{proc}/{pid}/cwd"),
        root=_link(f"{proc}/{pid}/root"),
    )


def mount_diff(before: list[str] | None, after: list[str]) -> list[tuple[str, str]]:
    """``after``'s lines marked "+" (new since ``before``) or " ", then "-" for each line
    of ``before`` that is gone; no ``before`` (the first stop): nothing is marked."""
    if before is None:
        return [(" ", line) for line in after]
    left = list(before)
    rows = []
    for line in after:
        if line in left:
            left.remove(line)
            rows.append((" ", line))
        else:
            rows.append(("+", line))
    return rows + [("-", line) for line in left]
