"""runc's cgroup commands for bundlebench-runtime: pause, resume, ps, events, update.

Each handler takes the runtime's StateStore, the parsed flags (the CLI's dict, keys as in
FLAGS below) and the operands, prints what runc prints, and returns the exit code;
failures raise RuntimeFailure with one sentence. Wiring in runtime/cli.py:

    COMMAND_FLAGS.update(cgroups.commands.FLAGS); OPERANDS.update(cgroups.commands.OPERANDS)
    if command in cgroups.commands.HANDLERS:
        return cgroups.commands.HANDLERS[command](store, flags, operands)
"""

from __future__ import annotations

import os
import sys
import time

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

FlagTable = dict[str, tuple[str, bool, bool]]

_UPDATE_VALUE_FLAGS = ("blkio-weight", "cpu-period", "cpu-quota", "cpu-burst", "cpu-share",
                       "cpu-rt-period", "cpu-rt-runtime", "cpuset-cpus", "cpuset-mems",
                       "kernel-memory", "kernel-memory-tcp", "memory", "memory-reservation",
                       "memory-swap", "pids-limit", "l3-cache-schema", "mem-bw-schema",
                       "cpu-idle")

FLAGS: dict[str, FlagTable] = {
    "pause": {},
    "resume": {},
    "ps": {"format": ("format", True, False), "f": ("format", True, False)},
    "events": {"stats": ("stats", False, False), "interval": ("interval", True, False)},
    "update": {"resources": ("resources", True, False), "r": ("resources", True, False),
               **{name: (name.replace("-", "_"), True, False)
                  for name in _UPDATE_VALUE_FLAGS}},
}
OPERANDS: dict[str, tuple[int, int | None]] = {
    "pause": (1, 1), "resume": (1, 1), "ps": (1, None), "events": (1, 1), "update": (1, 1)}

# The runtime-spec features document's linux.cgroup object for this implementation.
FEATURES_CGROUP = {"v1": True, "v2": True, "systemd": False, "systemdUser": False,
                   "rdma": False}

PAUSED = "paused"


# -- shared -----------------------------------------------------------------------------------

def load_manager(store: Any, container_id: str) -> Any:
    """The cgroup manager recorded for a container, or None."""
    from runtime.cgroups.manager import load
    return load(store.path(container_id))


def status(store: Any, state: Any, manager: Any = None) -> str:
    """The container's status with `paused` for a frozen cgroup (runc's rule: a created or
    running container whose cgroup is frozen is paused)."""
    from runtime.cgroups.freeze import is_paused
    base = store.status(state)
    if base in ("created", "running"):
        if manager is None:
            manager = load_manager(store, state.id)
        if manager is not None and is_paused(manager):
            return PAUSED
    return base


def signal_all(manager: Any, signal_number: int) -> list[int]:
    """kill --all: the signal to every process of the cgroup (see freeze.signal_all)."""
    from runtime.cgroups.freeze import signal_all as _signal_all
    return _signal_all(manager, signal_number)


def _locked(store: Any, container_id: str, func: Callable[[Any, Any], Any]) -> Any:
    lock = store.lock(container_id)
    try:
        state = store.load(container_id)
        return func(state, load_manager(store, container_id))
    finally:
        os.close(lock)


def _need_manager(manager: Any, container_id: str, what: str) -> Any:
    if manager is None:
        raise RuntimeFailure(f"cannot {what} container {container_id!r}: it has no cgroup "
                             "(cgroups were not available when it was created)")
    return manager


# -- pause / resume ---------------------------------------------------------------------------

def pause(store: Any, flags: dict[str, Any], operands: list[str]) -> int:
    """`pause ID`: freeze every process of a created or running container."""
    from runtime.cgroups import freeze
    container_id = operands[0]

    def run(state: Any, manager: Any) -> int:
        current = status(store, state, manager)
        if current not in ("created", "running"):
            raise RuntimeFailure(f"cannot pause container {container_id!r}: it is {current}, "
                                 "not running")
        freeze.freeze(_need_manager(manager, container_id, "pause"))
        return 0
    return _locked(store, container_id, run)


def resume(store: Any, flags: dict[str, Any], operands: list[str]) -> int:
    """`resume ID`: thaw a paused container."""
    from runtime.cgroups import freeze
    container_id = operands[0]

    def run(state: Any, manager: Any) -> int:
        current = status(store, state, manager)
        if current != PAUSED:
            raise RuntimeFailure(f"cannot resume container {container_id!r}: it is "
                                 f"{current}, not paused")
        freeze.thaw(manager)
        return 0
    return _locked(store, container_id, run)


# -- ps ---------------------------------------------------------------------------------------

def container_pids(store: Any, state: Any, manager: Any) -> list[int]:
    """Host pids of the container: its cgroup's, else (no cgroup) its pid namespace's."""
    if manager is not None:
        return manager.pids()
    from runtime.status import container_pids as by_namespace
    return by_namespace(state)


def ps(store: Any, flags: dict[str, Any], operands: list[str],
       run_ps: Callable[[list[str]], str] | None = None) -> int:
    """`ps [-f table|json] ID [-- ps options]`: the host's ps output (default -ef) filtered
    to the container's processes; json prints the pid list."""
    container_id = operands[0]
    fmt = flags.get("format") or "table"
    if fmt not in ("table", "json"):
        raise RuntimeFailure(f"ps --format {fmt!r}: use table or json", 2)
    state = store.load(container_id)
    manager = load_manager(store, container_id)
    if store.status(state) == "stopped":
        raise RuntimeFailure(f"cannot ps container {container_id!r}: it is stopped")
    pids = container_pids(store, state, manager)
    if fmt == "json":
        import json
        sys.stdout.write(json.dumps(pids, separators=(",", ":")) + "\n")
        return 0
    args = list(operands[1:])
    if args and args[0] == "--":
        args = args[1:]
    output = (run_ps or _run_ps)(args or ["-ef"])
    sys.stdout.write(filter_ps(output, pids))
    return 0


def _run_ps(args: list[str]) -> str:
    import subprocess
    try:
        done = subprocess.run(["ps", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              check=False)
    except FileNotFoundError:
        raise RuntimeFailure("ps: the ps command is not installed on this host") from None
    text = done.stdout.decode(errors="replace")
    if done.returncode != 0:
        raise RuntimeFailure(f"ps {' '.join(args)} failed: {text.strip()}")
    return text


def filter_ps(output: str, pids: list[int]) -> str:
    """The header line and the lines whose PID column is one of pids."""
    lines = output.split("\n")
    header = lines[0]
    columns = header.split()
    if "PID" not in columns:
        raise RuntimeFailure("ps: its output has no PID column (pass ps options that "
                             "print one, such as -ef)")
    index = columns.index("PID")
    wanted = set(pids)
    result = [header]
    for line in lines[1:]:
        fields = line.split()
        if len(fields) > index and fields[index].isdigit() and int(fields[index]) in wanted:
            result.append(line)
    return "\n".join(result) + "\n"


# -- events -----------------------------------------------------------------------------------

def parse_duration(text: str) -> float:
    """A Go duration ('5s', '100ms', '1m30s', '1.5h') in seconds."""
    units = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0,
             "h": 3600.0}
    rest = text.strip()
    if not rest:
        raise RuntimeFailure("--interval needs a duration such as 5s or 500ms")
    total = 0.0
    while rest:
        number = ""
        while rest and (rest[0].isdigit() or rest[0] == "."):
            number, rest = number + rest[0], rest[1:]
        unit = ""
        while rest and not (rest[0].isdigit() or rest[0] == "."):
            unit, rest = unit + rest[0], rest[1:]
        if not number or unit not in units:
            raise RuntimeFailure(f"--interval {text!r} is not a duration such as 5s or "
                                 "500ms")
        try:
            total += float(number) * units[unit]
        except ValueError:
            raise RuntimeFailure(f"--interval {text!r} is not a duration") from None
    if total <= 0:
        raise RuntimeFailure("--interval must be greater than zero")
    return total


def event(kind: str, container_id: str, data: Any = None) -> str:
    """One line of `events` output, as Go's json.Encoder writes it."""
    import json
    record: dict[str, Any] = {"type": kind, "id": container_id}
    if data is not None:
        record["data"] = data
    return json.dumps(record, separators=(",", ":")) + "\n"


def events(store: Any, flags: dict[str, Any], operands: list[str],
           out: Any = None, max_rounds: int | None = None) -> int:
    """`events [--stats] [--interval D] ID`: stats once, or a stream of stats every
    interval (default 5s) plus an `oom` event whenever the OOM killer strikes, until the
    container stops."""
    import select

    from runtime.cgroups import stats
    out = out or sys.stdout
    container_id = operands[0]
    interval = parse_duration(flags.get("interval") or "5s")
    state = store.load(container_id)
    if store.status(state) == "stopped":
        raise RuntimeFailure(f"container {container_id!r} is not running")
    manager = _need_manager(load_manager(store, container_id), container_id,
                            "report events of")
    if flags.get("stats"):
        out.write(event("stats", container_id, stats.stats(manager)))
        out.flush()
        return 0
    try:
        notifier: Any = stats.OomNotifier(manager)
    except (OSError, ValueError):
        notifier = None
    ooms = stats.oom_count(manager)
    rounds = 0

    def report_ooms() -> None:
        nonlocal ooms
        count = stats.oom_count(manager)
        if count > ooms:
            ooms = count
            out.write(event("oom", container_id))
            out.flush()
    try:
        next_stats = time.monotonic()
        while store.status(state) != "stopped":
            now = time.monotonic()
            if now >= next_stats:
                out.write(event("stats", container_id, stats.stats(manager)))
                out.flush()
                next_stats = now + interval
                rounds += 1
                if max_rounds is not None and rounds >= max_rounds:
                    break
            wait = min(max(next_stats - time.monotonic(), 0), 1.0)
            if notifier is not None:
                ready, _, _ = select.select([notifier], [], [], wait)
                if ready:
                    notifier.drain()
            else:
                time.sleep(wait)
            report_ooms()
        report_ooms()  # an OOM that ended the container is still news
    finally:
        if notifier is not None:
            notifier.close()
    return 0


# -- update -----------------------------------------------------------------------------------

_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
               "p": 1 << 50}


def parse_size(text: str, flag: str) -> int:
    """A memory size as runc takes it: bytes or 1024-based units (64m, 1.5g, 512KiB);
    -1 means unlimited."""
    import re
    raw = text.strip()
    if raw == "-1":
        return -1
    match = re.fullmatch(r"(\d+(?:\.\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?", raw)
    if not match:
        raise RuntimeFailure(f"--{flag} {text!r} is not a size such as 67108864, 64m or 1g")
    return int(float(match.group(1)) * _SIZE_UNITS[(match.group(2) or "").lower()])


def _int(text: str, flag: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise RuntimeFailure(f"--{flag} {text!r} must be an integer") from None


def resources_from_flags(flags: dict[str, Any], stdin: Any = None) -> dict[str, Any]:
    """The linux.resources fragment an `update` command line asks for."""
    import json
    update: dict[str, Any] = {}
    source = flags.get("resources")
    if source:
        try:
            if source == "-":
                text = (stdin or sys.stdin).read()
            else:
                with open(source, encoding="utf-8") as handle:
                    text = handle.read()
            loaded = json.loads(text)
        except OSError as exc:
            raise RuntimeFailure(f"update -r {source}: {exc.strerror}") from None
        except ValueError as exc:
            raise RuntimeFailure(f"update -r {source}: not valid JSON ({exc})") from None
        if not isinstance(loaded, dict):
            raise RuntimeFailure(f"update -r {source}: expected a linux.resources object")
        update = loaded

    def put(section: str, key: str, value: Any) -> None:
        target = update.setdefault(section, {})
        if not isinstance(target, dict):
            raise RuntimeFailure(f"update: resources.{section} must be an object")
        target[key] = value

    table: list[tuple[str, str, str, Callable[[str, str], Any]]] = [
        ("blkio_weight", "blockIO", "weight", _int),
        ("cpu_period", "cpu", "period", _int), ("cpu_quota", "cpu", "quota", _int),
        ("cpu_burst", "cpu", "burst", _int), ("cpu_share", "cpu", "shares", _int),
        ("cpu_rt_period", "cpu", "realtimePeriod", _int),
        ("cpu_rt_runtime", "cpu", "realtimeRuntime", _int),
        ("cpu_idle", "cpu", "idle", _int),
        ("cpuset_cpus", "cpu", "cpus", lambda v, f: v),
        ("cpuset_mems", "cpu", "mems", lambda v, f: v),
        ("memory", "memory", "limit", parse_size),
        ("memory_reservation", "memory", "reservation", parse_size),
        ("memory_swap", "memory", "swap", parse_size),
        ("kernel_memory", "memory", "kernel", parse_size),
        ("kernel_memory_tcp", "memory", "kernelTCP", parse_size),
        ("pids_limit", "pids", "limit", _int),
    ]
    for dest, section, key, convert in table:
        value = flags.get(dest)
        if value is not None:
            put(section, key, convert(value, dest.replace("_", "-")))
    for dest in ("l3_cache_schema", "mem_bw_schema"):
        if flags.get(dest):
            raise RuntimeFailure(f"--{dest.replace('_', '-')}: Intel RDT is not supported by "
                                 "bundlebench-runtime")
    return update


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
        current = status(store, state, manager)
        if current == "stopped":
            raise RuntimeFailure(f"cannot update container {container_id!r}: it is stopped")
        manager = _need_manager(manager, container_id, "update")
        linux = state.config.setdefault("linux", {})
        merged = merge_resources(linux.get("resources") or {}, fragment)
        applied = {k: v for k, v in merged.items() if k != "devices"}
        warnings = manager.apply(applied, None, update=True)
        linux["resources"] = merged
        store.save(state)
        return warnings
    return _locked(store, container_id, run)


def update(store: Any, flags: dict[str, Any], operands: list[str], stdin: Any = None) -> int:
    """`update [-r FILE|-] [--memory N --cpu-quota N --pids-limit N ...] ID`: change the
    limits of a live container and record them in its state."""
    fragment = resources_from_flags(flags, stdin)
    for warning in apply_update(store, operands[0], fragment):
        sys.stderr.write(f"bundlebench-runtime: warning: {warning}\n")
    return 0


def container_stats(store: Any, container_id: str) -> dict[str, Any]:
    """The runc stats data of a container (the API behind `events --stats`)."""
    from runtime.cgroups import stats
    manager = _need_manager(load_manager(store, container_id), container_id,
                            "report the stats of")
    return stats.stats(manager)


HANDLERS: dict[str, Callable[[Any, dict[str, Any], list[str]], int]] = {
    "pause": pause, "resume": resume, "ps": ps, "events": events, "update": update}
