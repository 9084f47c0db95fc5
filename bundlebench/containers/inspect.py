"""What a running container looks like from the host, read from /proc.

Every reader takes ``proc`` (default /proc) so that tests can hand it a fake tree.
Nothing here needs a screen: the inspector widgets only lay these facts out. The process
tree lives in proc_tree, the mounts in words in mount_labels.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bundlebench.containers.mount_labels import MountView, describe
from bundlebench.containers.proc_tree import (
    ProcessRow,
    ProcessSampler,
    parse_id_map,
    parse_status,
)
from runtime.linux import mountinfo
from runtime.linux.constants import CAPABILITIES
from runtime.linux.mountinfo import MountInfo as Mount

NAMESPACE_KINDS = ("cgroup", "ipc", "mnt", "net", "pid", "time", "user", "uts")
CAP_SETS = (("CapInh", "inheritable"), ("CapPrm", "permitted"), ("CapEff", "effective"),
            ("CapBnd", "bounding"), ("CapAmb", "ambient"))
SECCOMP_MODES = {"0": "disabled", "1": "strict", "2": "filter"}
_CAP_NAMES = {number: name for name, number in CAPABILITIES.items()}
__all__ = ["Mount", "MountView", "ProcessRow", "ProcessSampler"]  # re-exported


@dataclass(frozen=True)
class Namespace:
    kind: str
    container: int | None
    host: int | None

    @property
    def shared(self) -> bool:
        return self.container is not None and self.container == self.host

    @property
    def verdict(self) -> str:
        if self.container is None or self.host is None:
            return "unknown"
        return "shared with host" if self.shared else "private"


@dataclass
class Security:
    capabilities: dict[str, list[str]] = field(default_factory=dict)
    no_new_privs: bool | None = None
    seccomp: str = "unknown"
    seccomp_filters: int | None = None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def namespace_inode(pid: int | str, kind: str, proc: str = "/proc") -> int | None:
    """The inode of /proc/PID/ns/KIND ("net:[4026531840]"), or None when unreadable."""
    try:
        link = os.readlink(f"{proc}/{pid}/ns/{kind}")
    except OSError:
        return None
    start, end = link.find("["), link.rfind("]")
    if start < 0 or end < start:
        return None
    try:
        return int(link[start + 1:end])
    except ValueError:
        return None


def host_pid(proc: str = "/proc") -> int | str:
    """The host's reference process: init when we may read its namespaces, else us."""
    return 1 if namespace_inode(1, "mnt", proc) is not None else "self"


def namespaces(pid: int, proc: str = "/proc") -> list[Namespace]:
    """The container's namespaces beside the host's, one per kind the kernel has."""
    host = host_pid(proc)
    rows = []
    for kind in NAMESPACE_KINDS:
        mine, theirs = namespace_inode(pid, kind, proc), namespace_inode(host, kind, proc)
        if mine is None and theirs is None:
            continue
        rows.append(Namespace(kind, mine, theirs))
    return rows


def decode_caps(mask: int) -> list[str]:
    """Capability names of a bit mask, lowest bit first; unknown bits as CAP_<n>."""
    return [_CAP_NAMES.get(bit, f"CAP_{bit}") for bit in range(64) if mask >> bit & 1]


def status_fields(pid: int, proc: str = "/proc") -> dict[str, str]:
    return parse_status(_read(f"{proc}/{pid}/status") or "")


def security(pid: int, proc: str = "/proc") -> Security:
    """Capability sets by name, no_new_privs and the seccomp mode of a process."""
    fields = status_fields(pid, proc)
    result = Security()
    for key, name in CAP_SETS:
        if key in fields:
            result.capabilities[name] = decode_caps(int(fields[key], 16))
    if "NoNewPrivs" in fields:
        result.no_new_privs = fields["NoNewPrivs"] == "1"
    if "Seccomp" in fields:
        result.seccomp = SECCOMP_MODES.get(fields["Seccomp"], fields["Seccomp"])
    if fields.get("Seccomp_filters", "").isdigit():
        result.seccomp_filters = int(fields["Seccomp_filters"])
    return result


def id_map(pid: int, which: str, proc: str = "/proc") -> list[tuple[int, int, int]]:
    """uid_map or gid_map rows: (inside, outside, count)."""
    return parse_id_map(_read(f"{proc}/{pid}/{which}") or "")


def parse_mountinfo(text: str) -> list[Mount]:
    """Rows of /proc/PID/mountinfo (see proc(5)); malformed lines are skipped."""
    return mountinfo.parse(text)


def mounts(pid: int, proc: str = "/proc") -> list[Mount]:
    return parse_mountinfo(_read(f"{proc}/{pid}/mountinfo") or "")


def host_mounts(proc: str = "/proc") -> list[Mount]:
    """Our own mount table: where a bind's source is found by the path we know it by."""
    return parse_mountinfo(_read(f"{proc}/self/mountinfo") or "")


def mount_views(pid: int, host: list[Mount] | None = None,
                proc: str = "/proc") -> list[MountView]:
    """The container's mounts in words (see mount_labels), against our own table unless
    the container shares our mount namespace."""
    if host is None:
        host = host_mounts(proc)
    shared = namespace_inode(pid, "mnt", proc) == namespace_inode("self", "mnt", proc)
    return describe(mounts(pid, proc), None if shared else host)


def cgroups(pid: int, proc: str = "/proc") -> list[str]:
    """The cgroup paths: "0::/path" on cgroup v2, "N:controllers:/path" on v1."""
    return [line for line in (_read(f"{proc}/{pid}/cgroup") or "").splitlines() if line]


def cgroup_path(pid: int, proc: str = "/proc") -> str:
    """The one path to show: the unified one, else the memory (or first) controller's."""
    lines = cgroups(pid, proc)
    for line in lines:
        if line.startswith("0::"):
            return line[3:]
    for line in lines:
        if ":memory:" in line:
            return line.split(":", 2)[2]
    return lines[0].split(":", 2)[2] if lines else ""
