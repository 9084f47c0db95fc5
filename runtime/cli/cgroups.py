"""runc's cgroup commands for bundlebench-runtime: pause, resume, ps, events, update.

Each handler takes the runtime's StateStore, the parsed flags (the CLI's dict, keys as in
FLAGS below) and the operands, prints what runc prints, and returns the exit code;
failures raise RuntimeFailure with one sentence. The work itself is runtime.cgroups.control
(which the API calls too); runtime/cli/__init__.py merges FLAGS, OPERANDS and HANDLERS.
"""

from __future__ import annotations

import sys
import time

from runtime.cgroups import control
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


PAUSED = "paused"


# -- pause / resume ---------------------------------------------------------------------------

def pause(store: Any, flags: dict[str, Any], operands: list[str]) -> int:
    """`pause ID`: freeze every process of a created or running container."""
    control.pause(store, operands[0])
    return 0


def resume(store: Any, flags: dict[str, Any], operands: list[str]) -> int:
    """`resume ID`: thaw a paused container."""
    control.resume(store, operands[0])
    return 0


# -- ps ---------------------------------------------------------------------------------------


def ps(store: Any, flags: dict[str, Any], operands: list[str],
       run_ps: Callable[[list[str]], str] | None = None) -> int:
    """`ps [-f table|json] ID [-- ps options]`: the host's ps output (default -ef) filtered
    to the container's processes; json prints the pid list."""
    container_id = operands[0]
    fmt = flags.get("format") or "table"
    if fmt not in ("table", "json"):
        raise RuntimeFailure(f"ps --format {fmt!r}: use table or json", 2)
    state = store.load(container_id)
    manager = control.load_manager(store, container_id)
    if store.status(state) == "stopped":
        raise RuntimeFailure(f"cannot ps container {container_id!r}: it is stopped")
    pids = control.container_pids(store, state, manager)
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
    manager = control.need_manager(control.load_manager(store, container_id), container_id,
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
    from runtime.jsonread import read_json
    update: dict[str, Any] = {}
    source = flags.get("resources")
    if source:
        try:
            if source == "-":
                text = (stdin or sys.stdin).read()
            else:
                with open(source, encoding="utf-8") as handle:
                    text = handle.read()
            loaded = read_json(text, f"update -r {source}")
        except OSError as exc:
            raise RuntimeFailure(f"update -r {source}: {exc.strerror}") from None
        except ValueError as exc:
            raise RuntimeFailure(str(exc)) from None
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


def update(store: Any, flags: dict[str, Any], operands: list[str], stdin: Any = None) -> int:
    """`update [-r FILE|-] [--memory N --cpu-quota N --pids-limit N ...] ID`: change the
    limits of a live container and record them in its state."""
    fragment = resources_from_flags(flags, stdin)
    for warning in control.apply_update(store, operands[0], fragment):
        sys.stderr.write(f"bundlebench-runtime: warning: {warning}\n")
    return 0


HANDLERS: dict[str, Callable[[Any, dict[str, Any], list[str]], int]] = {
    "pause": pause, "resume": resume, "ps": ps, "events": events, "update": update}
