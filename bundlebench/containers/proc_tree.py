"""The processes of a container as a tree, read from /proc and the cgroup filesystem.

Who belongs: every pid of the container's own cgroup (recursively) and of its own pid
namespace, so an exec'd process (a child of the runtime, not of the init) is there too.
Each row has the host PID and the PID inside (the last NSpid of /proc/PID/status), the
user, the state, CPU since the previous sample and RSS. Every reader takes ``proc`` so
tests can hand it a fake tree.
"""

from __future__ import annotations

import os
import pwd
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from runtime.linux import mountinfo
from runtime.linux.mountinfo import MountInfo as Mount

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
# Which hierarchy tells a container's cgroup, best first (the unified one is "").
V1_KEYS = ("pids", "memory", "name=systemd")


@dataclass(frozen=True)
class ProcessRow:
    depth: int
    pid: int
    user: str
    command: str
    cpu: float
    rss: int
    nspid: int | None = None  # the pid inside the container's pid namespace
    ppid: int = 0
    state: str = ""


@dataclass(frozen=True)
class Stat:
    """The fields of /proc/PID/stat the inspector uses."""

    pid: int
    comm: str
    state: str
    ppid: int
    ticks: int  # utime + stime
    start: int  # starttime: tells a reused pid apart
    rss: int  # bytes


def parse_stat(text: str) -> Stat | None:
    """/proc/PID/stat; the comm may hold spaces and parentheses, so split at the last ')'."""
    open_at, close_at = text.find("("), text.rfind(")")
    if open_at < 0 or close_at < open_at:
        return None
    rest = text[close_at + 2:].split()
    try:
        return Stat(int(text[:open_at]), text[open_at + 1:close_at], rest[0], int(rest[1]),
                    int(rest[11]) + int(rest[12]), int(rest[19]), int(rest[21]) * PAGE_SIZE)
    except (IndexError, ValueError):
        return None


def parse_status(text: str) -> dict[str, str]:
    fields = {}
    for line in text.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def nspid(fields: dict[str, str]) -> int | None:
    """The innermost pid of "NSpid: host ... inner" (None before Linux 4.1)."""
    words = fields.get("NSpid", "").split()
    return int(words[-1]) if words and words[-1].isdigit() else None


def real_uid(fields: dict[str, str]) -> int | None:
    words = fields.get("Uid", "").split()
    return int(words[0]) if words and words[0].isdigit() else None


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            return handle.read()
    except OSError:
        return None


def _proc_cgroups(text: str) -> dict[str, str]:
    """/proc/PID/cgroup as {controller or name=X: path}; the unified line under ''."""
    paths = {}
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) == 3:
            for key in parts[1].split(",") if parts[1] else [""]:
                paths[key] = parts[2]
    return paths


def cgroup_dir(pid: int, host: list[Mount], proc: str = "/proc") -> str | None:
    """The directory of the container's own cgroup in a mounted hierarchy, or None when it
    has none of its own (it shares ours, or one of our ancestors')."""
    theirs = _proc_cgroups(_read(f"{proc}/{pid}/cgroup") or "")
    ours = _proc_cgroups(_read(f"{proc}/self/cgroup") or "")
    for key in ("", *V1_KEYS):
        path = theirs.get(key)
        mine = ours.get(key, "/")
        if not path or path == "/" or mine == path or mine.startswith(path.rstrip("/") + "/"):
            continue
        for mount in host:
            if _serves(mount, key) and _within(path, mount.root):
                rest = path[len(mount.root.rstrip("/")):]
                return mount.target.rstrip("/") + rest
    return None


def _serves(mount: Mount, key: str) -> bool:
    if key == "":
        return mount.fstype == "cgroup2"
    return mount.fstype == "cgroup" and key in mount.super_options.split(",")


def _within(path: str, top: str) -> bool:
    return top == "/" or path == top or path.startswith(top.rstrip("/") + "/")


def cgroup_pids(directory: str) -> set[int]:
    """Every pid in cgroup.procs of the directory and of the cgroups below it."""
    pids: set[int] = set()
    for dirpath, _dirs, _files in os.walk(directory):
        for word in (_read(f"{dirpath}/cgroup.procs") or "").split():
            if word.isdigit():
                pids.add(int(word))
    return pids


def _pid_ns(pid: int | str, proc: str) -> str | None:
    try:
        return os.readlink(f"{proc}/{pid}/ns/pid")
    except OSError:
        return None


def namespace_pids(pid: int, proc: str = "/proc") -> set[int] | None:
    """Every pid in the pid namespace of ``pid``, or None when that is ours (the host's)."""
    theirs = _pid_ns(pid, proc)
    if theirs is None or theirs == _pid_ns("self", proc):
        return None
    return {int(name) for name in _pids(proc) if _pid_ns(name, proc) == theirs}


def _pids(proc: str) -> list[str]:
    try:
        return [name for name in os.listdir(proc) if name.isdigit()]
    except OSError:
        return []


def descendants(pid: int, proc: str = "/proc") -> set[int]:
    """``pid`` and every process below it by PPid (for a process tree that is no
    container: no cgroup nor pid namespace of its own)."""
    children: dict[int, list[int]] = {}
    for name in _pids(proc):
        stat = parse_stat(_read(f"{proc}/{name}/stat") or "")
        if stat is not None:
            children.setdefault(stat.ppid, []).append(stat.pid)
    found, todo = {pid}, [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def members(pid: int, host: list[Mount], proc: str = "/proc") -> set[int]:
    """The container's pids: its cgroup's and its pid namespace's; the init's descendants
    when it has neither of its own."""
    directory = cgroup_dir(pid, host, proc)
    in_cgroup = cgroup_pids(directory) if directory else None
    in_namespace = namespace_pids(pid, proc)
    if in_cgroup is None and in_namespace is None:
        return descendants(pid, proc)
    return {pid} | (in_cgroup or set()) | (in_namespace or set())


def tree_order(stats: dict[int, Stat], init: int) -> list[tuple[int, int]]:
    """(pid, depth) depth-first by PPid; the init's tree first, then any other root (an
    exec'd process, whose parent lives outside) by pid."""
    children: dict[int, list[int]] = {}
    roots = []
    for pid, stat in stats.items():
        if stat.ppid in stats and stat.ppid != pid:
            children.setdefault(stat.ppid, []).append(pid)
        else:
            roots.append(pid)
    roots.sort(key=lambda pid: (pid != init, pid))
    order: list[tuple[int, int]] = []
    stack = [(pid, 0) for pid in reversed(roots)]
    while stack:
        pid, depth = stack.pop()
        order.append((pid, depth))
        stack.extend((kid, depth + 1) for kid in sorted(children.get(pid, ()), reverse=True))
    return order


_USERS: dict[int, str] = {}


def parse_id_map(text: str) -> list[tuple[int, int, int]]:
    """uid_map or gid_map rows: (inside, outside, count)."""
    rows = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            rows.append((int(parts[0]), int(parts[1]), int(parts[2])))
    return rows


def uid_inside(uid: int, id_map: list[tuple[int, int, int]]) -> int | None:
    """The container's uid for a host uid through its uid_map (None: unmapped)."""
    for inside, outside, count in id_map:
        if outside <= uid < outside + count:
            return inside + uid - outside
    return None


def show_user(uid: int | None, id_map: list[tuple[int, int, int]]) -> str:
    """The host's name of the uid; in a user namespace, the uid inside first."""
    name = user_name(uid)
    if uid is None or not id_map or id_map == [(0, 0, 4294967295)]:
        return name
    inside = uid_inside(uid, id_map)
    return f"{'unmapped' if inside is None else inside} (host {name})"


def user_name(uid: int | None) -> str:
    """The host's name of a uid (cached), else the number."""
    if uid is None:
        return "?"
    if uid not in _USERS:
        try:
            _USERS[uid] = pwd.getpwuid(uid).pw_name
        except KeyError:
            _USERS[uid] = str(uid)
    return _USERS[uid]


def _host_mounts(proc: str) -> list[Mount]:
    return mountinfo.parse(_read(f"{proc}/self/mountinfo") or "")


class ProcessSampler:
    """The container's process tree with CPU and memory, sampled again on each call.

    CPU percent is the ticks since the previous sample of the same process (same pid and
    start time) over the wall time between them, so the last ticks are kept.
    """

    def __init__(self, init_pid: int, history: int = 60, proc: str = "/proc",
                 clock: Callable[[], float] | None = None) -> None:
        import time

        self.init_pid = init_pid
        self.proc = proc
        self._clock = clock or time.monotonic
        self._ticks: dict[int, tuple[int, int, float]] = {}
        self.cpu_history: deque[float] = deque(maxlen=history)
        self.memory_history: deque[int] = deque(maxlen=history)

    def sample(self, host: list[Mount] | None = None) -> list[ProcessRow]:
        """Rows depth-first from the init; empty when the init is gone. ``host`` is the
        table of our own mounts (read here when not given)."""
        proc = self.proc
        if _read(f"{proc}/{self.init_pid}/stat") is None:
            return []
        pids = members(self.init_pid, _host_mounts(proc) if host is None else host, proc)
        now = self._clock()
        stats: dict[int, Stat] = {}
        for pid in pids:
            stat = parse_stat(_read(f"{proc}/{pid}/stat") or "")
            if stat is not None:
                stats[pid] = stat
        id_map = parse_id_map(_read(f"{proc}/{self.init_pid}/uid_map") or "")
        rows = []
        ticks: dict[int, tuple[int, int, float]] = {}
        for pid, depth in tree_order(stats, self.init_pid):
            stat = stats[pid]
            fields = parse_status(_read(f"{proc}/{pid}/status") or "")
            ticks[pid] = (stat.start, stat.ticks, now)
            rows.append(ProcessRow(depth, pid, show_user(real_uid(fields), id_map),
                                   self._command(pid, stat), self._cpu(stat, now), stat.rss,
                                   nspid(fields), stat.ppid, stat.state))
        self._ticks = ticks
        self.cpu_history.append(sum(row.cpu for row in rows))
        self.memory_history.append(sum(row.rss for row in rows))
        return rows

    def _cpu(self, stat: Stat, now: float) -> float:
        before = self._ticks.get(stat.pid)
        if before is None or before[0] != stat.start or now <= before[2]:
            return 0.0
        return (stat.ticks - before[1]) / CLOCK_TICKS / (now - before[2]) * 100

    def _command(self, pid: int, stat: Stat) -> str:
        words = (_read(f"{self.proc}/{pid}/cmdline") or "").split("\0")
        return " ".join(word for word in words if word) or f"[{stat.comm}]"
