"""Resource usage in the shape of runc's `events --stats` data, and OOM events.

Field names and omissions follow runc's JSON (a zero number with omitempty is left out).
"""

from __future__ import annotations

import os

from runtime.cgroups.files import read_int, read_keyed, read_text

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

NS_PER_USEC = 1000
# cpuacct.stat counts in USER_HZ, which Linux fixes at 100 for userspace.
USER_HZ = 100


def _omit_zero(mapping: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        if not mapping.get(key):
            mapping.pop(key, None)
    return mapping


def _ints(text: str | None) -> list[int]:
    return [int(x) for x in (text or "").split() if x.lstrip("-").isdigit()]


def hugepage_sizes(fs_root: str = "") -> list[str]:
    """Huge page sizes of the host as the cgroup files name them ('2MB', '1GB')."""
    from runtime.cgroups.convert import hugepage_size_name
    try:
        names = os.listdir(fs_root + "/sys/kernel/mm/hugepages")
    except OSError:
        return []
    sizes = []
    for name in sorted(names):
        if name.startswith("hugepages-") and name.endswith("kB"):
            try:
                sizes.append(hugepage_size_name(int(name[10:-2])))
            except ValueError:
                continue
    return sizes


def stats(manager: Any, fs_root: str = "") -> dict[str, Any]:
    """The `data` of a runc stats event for this container's cgroup."""
    if manager is None:
        return {}
    v2 = manager.version == "v2"
    data = _v2(manager.path, fs_root) if v2 else _v1(manager.paths, fs_root)
    data.setdefault("intel_rdt", {})
    data.setdefault("network_interfaces", None)
    return data


# -- v1 ------------------------------------------------------------------------------------

def _v1(paths: dict[str, str], fs_root: str) -> dict[str, Any]:
    data: dict[str, Any] = {"cpu": _v1_cpu(paths.get("cpuacct"), paths.get("cpu")),
                            "cpuset": _cpuset(paths.get("cpuset"), "cpuset.cpus",
                                              "cpuset.mems"),
                            "memory": _v1_memory(paths.get("memory")),
                            "pids": _pids(paths.get("pids"), "pids.current", "pids.max"),
                            "blkio": _v1_blkio(paths.get("blkio")),
                            "hugetlb": {}}
    hugetlb = paths.get("hugetlb")
    if hugetlb:
        for size in hugepage_sizes(fs_root):
            prefix = os.path.join(hugetlb, f"hugetlb.{size}.")
            data["hugetlb"][size] = _omit_zero({
                "usage": read_int(prefix + "usage_in_bytes"),
                "max": read_int(prefix + "max_usage_in_bytes"),
                "failcnt": read_int(prefix + "failcnt")}, "usage", "max")
    return data


def _v1_cpu(cpuacct: str | None, cpu: str | None) -> dict[str, Any]:
    usage: dict[str, Any] = {}
    if cpuacct:
        usage["total"] = read_int(os.path.join(cpuacct, "cpuacct.usage"))
        usage["percpu"] = _ints(read_text(os.path.join(cpuacct, "cpuacct.usage_percpu")))
        usage["percpu_kernel"] = _ints(read_text(os.path.join(cpuacct,
                                                              "cpuacct.usage_percpu_sys")))
        usage["percpu_user"] = _ints(read_text(os.path.join(cpuacct,
                                                            "cpuacct.usage_percpu_user")))
        ticks = read_keyed(os.path.join(cpuacct, "cpuacct.stat"))
        usage["kernel"] = ticks.get("system", 0) * (10**9 // USER_HZ)
        usage["user"] = ticks.get("user", 0) * (10**9 // USER_HZ)
        _omit_zero(usage, "total", "percpu", "percpu_kernel", "percpu_user")
    usage.setdefault("kernel", 0)
    usage.setdefault("user", 0)
    throttling: dict[str, Any] = {}
    if cpu:
        stat = read_keyed(os.path.join(cpu, "cpu.stat"))
        throttling = _omit_zero({"periods": stat.get("nr_periods", 0),
                                 "throttledPeriods": stat.get("nr_throttled", 0),
                                 "throttledTime": stat.get("throttled_time", 0)},
                                "periods", "throttledPeriods", "throttledTime")
    return {"usage": usage, "throttling": throttling}


def _v1_memory_entry(directory: str, prefix: str) -> dict[str, Any]:
    entry = {"limit": read_int(os.path.join(directory, prefix + "limit_in_bytes")),
             "usage": read_int(os.path.join(directory, prefix + "usage_in_bytes")),
             "max": read_int(os.path.join(directory, prefix + "max_usage_in_bytes")),
             "failcnt": read_int(os.path.join(directory, prefix + "failcnt"))}
    return _omit_zero(entry, "usage", "max")


def _v1_memory(directory: str | None) -> dict[str, Any]:
    if not directory:
        return {"usage": {}, "swap": {}, "kernel": {}, "kernelTCP": {}}
    raw = read_keyed(os.path.join(directory, "memory.stat"))
    memory = {"cache": raw.get("cache", 0),
              "usage": _v1_memory_entry(directory, "memory."),
              "swap": _v1_memory_entry(directory, "memory.memsw."),
              "kernel": _v1_memory_entry(directory, "memory.kmem."),
              "kernelTCP": _v1_memory_entry(directory, "memory.kmem.tcp."),
              "raw": raw}
    return _omit_zero(memory, "cache", "raw")


def _v1_blkio(directory: str | None) -> dict[str, Any]:
    if not directory:
        return {}
    names = {"ioServiceBytesRecursive": "io_service_bytes_recursive",
             "ioServicedRecursive": "io_serviced_recursive",
             "ioQueueRecursive": "io_queued_recursive",
             "ioServiceTimeRecursive": "io_service_time_recursive",
             "ioWaitTimeRecursive": "io_wait_time_recursive",
             "ioMergedRecursive": "io_merged_recursive",
             "ioTimeRecursive": "time_recursive",
             "sectorsRecursive": "sectors_recursive"}
    # CFQ's files first, then BFQ's, then the throttle policy's (always there).
    for prefix in ("blkio.", "blkio.bfq."):
        if os.path.exists(os.path.join(directory, prefix + "io_service_bytes_recursive")):
            break
    else:
        prefix = "blkio.throttle."
        names = {k: v for k, v in names.items()
                 if k in ("ioServiceBytesRecursive", "ioServicedRecursive")}
    result = {}
    for key, name in names.items():
        entries = _blkio_entries(read_text(os.path.join(directory, prefix + name)))
        if entries:
            result[key] = entries
    return result


def _blkio_entries(text: str | None) -> list[dict[str, Any]]:
    entries = []
    for line in (text or "").splitlines():
        fields = line.split()
        if len(fields) < 2 or ":" not in fields[0]:
            continue  # "Total N"
        major, _, minor = fields[0].partition(":")
        try:
            if len(fields) == 2:
                entry = {"major": int(major), "minor": int(minor), "value": int(fields[1])}
            else:
                entry = {"major": int(major), "minor": int(minor), "op": fields[1],
                         "value": int(fields[2])}
        except ValueError:
            continue
        entries.append(_omit_zero(entry, "major", "minor", "op", "value"))
    return entries


# -- shared ----------------------------------------------------------------------------------

def _cpuset_list(text: str | None) -> list[int]:
    result: list[int] = []
    for part in (text or "").strip().split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            result.extend(range(int(low), int(high or low) + 1))
        except ValueError:
            continue
    return result


CPUSET_FLAGS = ("cpu_exclusive", "mem_hardwall", "mem_exclusive", "memory_migrate",
                "memory_spread_page", "memory_spread_slab", "memory_pressure",
                "sched_load_balance", "sched_relax_domain_level")


def _cpuset(directory: str | None, cpus: str, mems: str) -> dict[str, Any]:
    result: dict[str, Any] = {"cpus": [], "mems": []}
    for flag in CPUSET_FLAGS:
        result[flag] = 0
    if directory:
        result["cpus"] = _cpuset_list(read_text(os.path.join(directory, cpus)))
        result["mems"] = _cpuset_list(read_text(os.path.join(directory, mems)))
        for flag in CPUSET_FLAGS:
            result[flag] = read_int(os.path.join(directory, "cpuset." + flag))
    return _omit_zero(result, "cpus", "mems")


def _pids(directory: str | None, current: str, limit: str) -> dict[str, Any]:
    if not directory:
        return {}
    maximum = read_int(os.path.join(directory, limit))
    result = {"current": read_int(os.path.join(directory, current)),
              # runc reports an unlimited pids.max as 0.
              "limit": 0 if maximum == 2**64 - 1 else maximum}
    return _omit_zero(result, "current", "limit")


# -- v2 ------------------------------------------------------------------------------------

def _v2(directory: str, fs_root: str) -> dict[str, Any]:
    files = set(os.listdir(directory)) if os.path.isdir(directory) else set()
    stat = read_keyed(os.path.join(directory, "cpu.stat"))
    usage = _omit_zero({"total": stat.get("usage_usec", 0) * NS_PER_USEC,
                        "kernel": stat.get("system_usec", 0) * NS_PER_USEC,
                        "user": stat.get("user_usec", 0) * NS_PER_USEC}, "total")
    throttling = _omit_zero({"periods": stat.get("nr_periods", 0),
                             "throttledPeriods": stat.get("nr_throttled", 0),
                             "throttledTime": stat.get("throttled_usec", 0) * NS_PER_USEC},
                            "periods", "throttledPeriods", "throttledTime")
    data: dict[str, Any] = {"cpu": {"usage": usage, "throttling": throttling}}
    data["cpuset"] = _cpuset(directory if "cpuset.cpus.effective" in files else None,
                             "cpuset.cpus.effective", "cpuset.mems.effective")
    data["memory"] = _v2_memory(directory, files)
    data["pids"] = _pids(directory, "pids.current", "pids.max") if "pids.current" in files \
        else {}
    data["blkio"] = _v2_io(directory) if "io.stat" in files else {}
    data["hugetlb"] = {}
    for size in hugepage_sizes(fs_root):
        prefix = os.path.join(directory, f"hugetlb.{size}.")
        if os.path.exists(prefix + "current"):
            events = read_keyed(prefix + "events")
            data["hugetlb"][size] = _omit_zero({"usage": read_int(prefix + "current"),
                                                "failcnt": events.get("max", 0)}, "usage")
    return data


def _v2_memory(directory: str, files: set[str]) -> dict[str, Any]:
    if "memory.current" not in files:
        return {"usage": {}, "swap": {}, "kernel": {}, "kernelTCP": {}}
    raw = read_keyed(os.path.join(directory, "memory.stat"))
    events = read_keyed(os.path.join(directory, "memory.events"))
    usage = _omit_zero({"limit": read_int(os.path.join(directory, "memory.max")),
                        "usage": read_int(os.path.join(directory, "memory.current")),
                        "max": read_int(os.path.join(directory, "memory.peak")),
                        "failcnt": events.get("max", 0)}, "usage", "max")
    swap: dict[str, Any] = {"limit": 0, "failcnt": 0}
    if "memory.swap.current" in files:
        # runc reports v2 swap as memory+swap, as v1's memsw counted it.
        swap_limit = read_int(os.path.join(directory, "memory.swap.max"))
        mem_limit = usage["limit"]
        top = 2**64 - 1
        swap = _omit_zero({
            "limit": top if top in (swap_limit, mem_limit) else swap_limit + mem_limit,
            "usage": read_int(os.path.join(directory, "memory.swap.current"))
            + usage.get("usage", 0),
            "failcnt": 0}, "usage")
    memory = {"cache": raw.get("file", 0), "usage": usage, "swap": swap,
              "kernel": {"limit": 0, "failcnt": 0}, "kernelTCP": {"limit": 0, "failcnt": 0},
              "raw": raw}
    return _omit_zero(memory, "cache", "raw")


def _v2_io(directory: str) -> dict[str, Any]:
    service_bytes, serviced = [], []
    for line in (read_text(os.path.join(directory, "io.stat")) or "").splitlines():
        fields = line.split()
        if not fields or ":" not in fields[0]:
            continue
        major, _, minor = fields[0].partition(":")
        values = dict(f.split("=", 1) for f in fields[1:] if "=" in f)
        for key, op, target in (("rbytes", "Read", service_bytes),
                                ("wbytes", "Write", service_bytes),
                                ("rios", "Read", serviced), ("wios", "Write", serviced)):
            if key in values:
                try:
                    target.append(_omit_zero({"major": int(major), "minor": int(minor),
                                              "op": op, "value": int(values[key])},
                                             "major", "minor", "value"))
                except ValueError:
                    continue
    result = {}
    if service_bytes:
        result["ioServiceBytesRecursive"] = service_bytes
    if serviced:
        result["ioServicedRecursive"] = serviced
    return result


# -- OOM -----------------------------------------------------------------------------------

def oom_kill_count(manager: Any) -> int:
    """How many processes the OOM killer killed in the container's cgroup so far."""
    if manager is None:
        return 0
    if manager.version == "v2":
        events = read_keyed(os.path.join(manager.path, "memory.events"))
        return events.get("oom_kill", 0)
    memory = manager.paths.get("memory")
    if not memory:
        return 0
    return read_keyed(os.path.join(memory, "memory.oom_control")).get("oom_kill", 0)


def oom_count(manager: Any) -> int:
    """How many times the cgroup hit its memory limit and the OOM path ran (v2: 'oom';
    v1: oom_kill, as v1 has no separate count)."""
    if manager is None:
        return 0
    if manager.version == "v2":
        events = read_keyed(os.path.join(manager.path, "memory.events"))
        return max(events.get("oom", 0), events.get("oom_kill", 0))
    return oom_kill_count(manager)


def under_oom(manager: Any) -> bool:
    """v1: the cgroup is stalled at its limit (OOM killer disabled); v2: never reported."""
    if manager is None or manager.version == "v2":
        return False
    memory = manager.paths.get("memory")
    return bool(memory and read_keyed(os.path.join(memory, "memory.oom_control"))
                .get("under_oom", 0))


class OomNotifier:
    """An fd that becomes readable when the cgroup runs out of memory.

    v1: an eventfd registered on memory.oom_control through cgroup.event_control.
    v2: an inotify watch on memory.events (every change; compare oom_count()).
    Use fileno() with select/poll, then drain().
    """

    def __init__(self, manager: Any) -> None:
        self.fd = -1
        self._control = -1
        if manager is None:
            raise ValueError("no cgroup")
        if manager.version == "v2":
            self.fd = _inotify_modify(os.path.join(manager.path, "memory.events"))
            return
        memory = manager.paths.get("memory")
        if not memory:
            raise ValueError("no memory cgroup")
        self.fd = os.eventfd(0, os.EFD_CLOEXEC)
        try:
            self._control = os.open(os.path.join(memory, "memory.oom_control"),
                                    os.O_RDONLY | os.O_CLOEXEC)
            fd = os.open(os.path.join(memory, "cgroup.event_control"),
                         os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.write(fd, f"{self.fd} {self._control}".encode())
            finally:
                os.close(fd)
        except OSError:
            self.close()
            raise

    def fileno(self) -> int:
        return self.fd

    def drain(self) -> None:
        try:  # noqa: SIM105
            os.read(self.fd, 4096)
        except (BlockingIOError, InterruptedError):
            pass

    def close(self) -> None:
        for fd in (self.fd, self._control):
            if fd >= 0:
                os.close(fd)
        self.fd = self._control = -1


def _inotify_modify(path: str) -> int:
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    in_cloexec, in_nonblock, in_modify = 0o2000000, 0o4000, 0x2
    fd = libc.inotify_init1(in_cloexec | in_nonblock)
    if fd < 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), "inotify_init1")
    if libc.inotify_add_watch(fd, os.fsencode(path), in_modify) < 0:
        err = ctypes.get_errno()
        os.close(fd)
        raise OSError(err, os.strerror(err), path)
    return fd
