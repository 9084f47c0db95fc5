"""The cgroup v1 manager: one directory per mounted controller (co-mounted ones share).

On a hybrid host the container also gets a directory in the unified hierarchy, which
holds no controllers but gives cgroup.freeze and cgroup.kill, and keeps the container's
processes together there too.
"""

from __future__ import annotations

import os

from runtime.cgroups import resources as res
from runtime.cgroups.base import Base
from runtime.cgroups.files import read_int, read_text
from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

# runc's order: cpuset before everything (an empty cpuset refuses tasks), devices early.
APPLY_ORDER = ("cpuset", "devices", "memory", "cpu", "pids", "blkio", "hugetlb",
               "net_cls", "net_prio")
# Which dir answers `ps` and kill --all: the first of these that exists.
PROCS_PREFERENCE = ("pids", "freezer", "memory", "devices", "cpu", "name=systemd")


class V1Manager(Base):
    """A container's cgroup on a v1 (or hybrid) host."""

    version = "v1"
    HUGETLB_LIMIT = "hugetlb.{}.limit_in_bytes"
    HUGETLB_RSVD = "hugetlb.{}.rsvd.limit_in_bytes"

    def __init__(self, paths: dict[str, str], unified: str | None = None, **kwargs: Any
                 ) -> None:
        super().__init__(**kwargs)
        self.paths = dict(paths)
        self.unified = unified

    def dirs(self) -> list[str]:
        seen: list[str] = []
        for name in PROCS_PREFERENCE + tuple(sorted(self.paths)):
            path = self.paths.get(name)
            if path and path not in seen:
                seen.append(path)
        if self.unified and self.unified not in seen:
            seen.append(self.unified)
        return seen

    def path(self, controller: str) -> str | None:
        return self.paths.get(controller)

    def to_dict(self) -> dict[str, Any]:
        return {"version": "v1", "paths": self.paths, "unified": self.unified,
                "rootless": self.rootless, "defaultParent": self.default_parent,
                "owned": self.owned}

    # -- create ---------------------------------------------------------------------------
    def create(self, resources: dict[str, Any] | None = None) -> None:
        """Make the directories (copying cpuset values down), then set realtime cpu
        limits, which must be in place before a task joins."""
        try:
            for directory in self.dirs():
                made = self._make(directory)
                if directory == self.paths.get("cpuset"):
                    for new in made:
                        self._inherit_cpuset(new)
            cpu = res.section(resources, "cpu")
            self._set_realtime(cpu)
        except BaseException:
            self._remove_made(self.created)
            self.created = []
            raise
        self._claim()

    def _inherit_cpuset(self, directory: str) -> None:
        # A new v1 cpuset starts with no cpus and no mems and accepts no task until given
        # some: copy the parent's.
        parent = os.path.dirname(directory)
        for name in ("cpuset.cpus", "cpuset.mems"):
            current = (read_text(os.path.join(directory, name)) or "").strip()
            if current:
                continue
            value = (read_text(os.path.join(parent, name)) or "").strip()
            if value:
                self.writer.write(directory, name, value, f"{name} (copied from the parent)")

    # -- resources ------------------------------------------------------------------------
    def apply(self, resources: dict[str, Any] | None, device_rules: list[Any] | None = None,
              update: bool = False) -> list[str]:
        """Write every limit the resources object sets; returns warnings (ignored fields).

        device_rules: runtime.cgroups.devices.Rule list (None: leave devices alone).
        update: `update` semantics (checkBeforeUpdate honoured, realtime rewritten).
        """
        r = resources or {}
        if r.get("unified"):
            raise RuntimeFailure("linux.resources.unified needs cgroup v2, but this host "
                                 "uses cgroup v1 controllers: express the limits with the "
                                 "v1 fields (memory, cpu, pids, blockIO, ...)")
        warnings: list[str] = []
        needed = res.needed_controllers(r)
        if device_rules is not None:
            needed.setdefault("devices", "linux.resources.devices")
        for controller in APPLY_ORDER:
            if controller not in needed:
                continue
            directory = self.paths.get(controller)
            if directory is None:
                if controller == "devices" and self.rootless:
                    warnings.append("devices cgroup not available to a rootless container: "
                                    "linux.resources.devices is not applied")
                    continue
                raise RuntimeFailure(f"{needed[controller]} needs the {controller} cgroup "
                                     "controller, which is not mounted (or not delegated) "
                                     "on this host")
            setter = getattr(self, "_set_" + controller)
            if controller == "devices":
                warnings += setter(directory, device_rules) or []
            elif controller in ("memory",):
                warnings += setter(directory, r, update) or []
            else:
                warnings += setter(directory, r) or []
        if update:
            self._set_realtime(res.section(r, "cpu"))
        self.warnings += warnings
        return warnings

    def _set_cpuset(self, directory: str, r: dict[str, Any]) -> None:
        cpu = res.section(r, "cpu")
        where = "linux.resources.cpu"
        cpus = res.text(cpu, "cpus", where)
        mems = res.text(cpu, "mems", where)
        if cpus:
            self.writer.write(directory, "cpuset.cpus", cpus, f"{where}.cpus")
        if mems:
            self.writer.write(directory, "cpuset.mems", mems, f"{where}.mems")

    def _set_devices(self, directory: str, rules: list[Any]) -> list[str]:
        from runtime.cgroups.devices import v1_writes
        for name, line in v1_writes(rules):
            self.writer.write(directory, name, line, f"linux.resources.devices ({line})")
        return []

    def _set_memory(self, directory: str, r: dict[str, Any], update: bool) -> list[str]:
        mem = res.section(r, "memory")
        where = "linux.resources.memory"
        warnings = []
        limit = res.number(mem, "limit", where)
        swap = res.number(mem, "swap", where)
        reservation = res.number(mem, "reservation", where)
        memsw = os.path.exists(os.path.join(directory, "memory.memsw.limit_in_bytes"))
        asked_swap = bool(swap)
        if limit == -1 and not swap:
            swap = -1  # unlimited memory with swap unset: unlimited memory+swap as well
        if swap and not memsw:
            if asked_swap:
                warnings.append(f"{where}.swap is not applied: this kernel has no swap "
                                "accounting (memory.memsw.* is missing)")
            swap = None
        if limit is not None and limit > 0 and update and mem.get("checkBeforeUpdate"):
            usage = read_int(os.path.join(directory, "memory.usage_in_bytes"))
            if limit < usage:
                raise RuntimeFailure(f"{where}.limit {limit} is below the current usage "
                                     f"{usage} and checkBeforeUpdate is set: not updated")
        if swap is not None and swap not in (-1,) and limit and limit > 0 and swap < limit:
            raise RuntimeFailure(f"{where}.swap ({swap}) is memory+swap and must be at least "
                                 f"{where}.limit ({limit})")
        if limit and swap:
            current = read_int(os.path.join(directory, "memory.limit_in_bytes"))
            # memsw may never be below the memory limit: raise memsw first when growing.
            if swap == -1 or current < swap:
                self._write_memsw(directory, swap, where)
                self.writer.write(directory, "memory.limit_in_bytes", limit, f"{where}.limit")
            else:
                self.writer.write(directory, "memory.limit_in_bytes", limit, f"{where}.limit")
                self._write_memsw(directory, swap, where)
        elif limit:
            self.writer.write(directory, "memory.limit_in_bytes", limit, f"{where}.limit")
        elif swap:
            self._write_memsw(directory, swap, where)
        if reservation:
            self.writer.write(directory, "memory.soft_limit_in_bytes", reservation,
                              f"{where}.reservation")
        if res.number(mem, "kernel", where):
            warnings.append(f"{where}.kernel is deprecated and ignored (kernel memory is "
                            "accounted with user memory on current kernels)")
        tcp = res.number(mem, "kernelTCP", where)
        if tcp:
            self.writer.write(directory, "memory.kmem.tcp.limit_in_bytes", tcp,
                              f"{where}.kernelTCP")
        swappiness = res.number(mem, "swappiness", where)
        if swappiness is not None and swappiness != -1:
            if not 0 <= swappiness <= 100:
                raise RuntimeFailure(f"{where}.swappiness {swappiness} is outside 0-100")
            self.writer.write(directory, "memory.swappiness", swappiness,
                              f"{where}.swappiness")
        if res.flag(mem, "disableOOMKiller", where):
            self.writer.write(directory, "memory.oom_control", 1, f"{where}.disableOOMKiller")
        hierarchy = res.flag(mem, "useHierarchy", where)
        if hierarchy is not None and os.path.exists(os.path.join(directory,
                                                                 "memory.use_hierarchy")):
            current = read_int(os.path.join(directory, "memory.use_hierarchy"), -1)
            if current != int(hierarchy):
                self.writer.write(directory, "memory.use_hierarchy", int(hierarchy),
                                  f"{where}.useHierarchy")
        return warnings

    def _write_memsw(self, directory: str, swap: int, where: str) -> None:
        self.writer.write(directory, "memory.memsw.limit_in_bytes", swap, f"{where}.swap")

    def _set_cpu(self, directory: str, r: dict[str, Any]) -> list[str]:
        cpu = res.section(r, "cpu")
        where = "linux.resources.cpu"
        shares = res.number(cpu, "shares", where)
        if shares:
            self.writer.write(directory, "cpu.shares", shares, f"{where}.shares")
            got = read_int(os.path.join(directory, "cpu.shares"), shares)
            if got != shares:
                bound = "maximum" if shares > got else "minimum"
                raise RuntimeFailure(f"{where}.shares {shares} is out of range: the {bound} "
                                     f"this kernel allows is {got}")
        period = res.number(cpu, "period", where)
        quota = res.number(cpu, "quota", where)
        retry_period = False
        if period:
            try:
                self.writer.write(directory, "cpu.cfs_period_us", period, f"{where}.period")
            except RuntimeFailure:
                # A shorter period may break the parent's quota until the quota is set.
                if not quota:
                    raise
                retry_period = True
        if quota:
            self.writer.write(directory, "cpu.cfs_quota_us", quota, f"{where}.quota")
            if retry_period:
                self.writer.write(directory, "cpu.cfs_period_us", period, f"{where}.period")
        burst = res.number(cpu, "burst", where)
        if burst is not None:
            self.writer.write(directory, "cpu.cfs_burst_us", burst, f"{where}.burst")
        idle = res.number(cpu, "idle", where)
        if idle is not None:
            self.writer.write(directory, "cpu.idle", idle, f"{where}.idle")
        return []

    def _set_realtime(self, cpu: dict[str, Any]) -> None:
        directory = self.paths.get("cpu")
        where = "linux.resources.cpu"
        period = res.number(cpu, "realtimePeriod", where)
        runtime = res.number(cpu, "realtimeRuntime", where)
        if not period and not runtime:
            return
        if directory is None:
            raise RuntimeFailure(f"{where}.realtimeRuntime/realtimePeriod need the cpu "
                                 "cgroup controller, which is not mounted on this host")
        if period:
            self.writer.write(directory, "cpu.rt_period_us", period, f"{where}.realtimePeriod")
        if runtime:
            self.writer.write(directory, "cpu.rt_runtime_us", runtime,
                              f"{where}.realtimeRuntime")

    def _set_pids(self, directory: str, r: dict[str, Any]) -> None:
        limit = res.number(res.section(r, "pids"), "limit", "linux.resources.pids")
        if limit:
            self.writer.write(directory, "pids.max", limit if limit > 0 else "max",
                              "linux.resources.pids.limit")

    def _set_blkio(self, directory: str, r: dict[str, Any]) -> None:
        bio = res.section(r, "blockIO")
        where = "linux.resources.blockIO"
        # CFQ's files are gone from current kernels; BFQ offers the same under bfq.*.
        prefix = "blkio." if os.path.exists(os.path.join(directory, "blkio.weight")) \
            else "blkio.bfq."
        weight = res.number(bio, "weight", where)
        if weight:
            self._blkio_write(directory, prefix + "weight", weight, f"{where}.weight")
        leaf = res.number(bio, "leafWeight", where)
        if leaf:
            self._blkio_write(directory, "blkio.leaf_weight", leaf, f"{where}.leafWeight")
        for i, entry in enumerate(res.entries(bio, "weightDevice", where)):
            here = f"{where}.weightDevice[{i}]"
            dev = res.device_numbers(entry, here)
            w = res.number(entry, "weight", here)
            lw = res.number(entry, "leafWeight", here)
            if w:
                self._blkio_write(directory, prefix + "weight_device", f"{dev} {w}", here)
            if lw:
                self._blkio_write(directory, "blkio.leaf_weight_device", f"{dev} {lw}", here)
        for key, name in (("throttleReadBpsDevice", "read_bps_device"),
                          ("throttleWriteBpsDevice", "write_bps_device"),
                          ("throttleReadIOPSDevice", "read_iops_device"),
                          ("throttleWriteIOPSDevice", "write_iops_device")):
            for i, entry in enumerate(res.entries(bio, key, where)):
                here = f"{where}.{key}[{i}]"
                dev = res.device_numbers(entry, here)
                rate = res.number(entry, "rate", here)
                if rate is None:
                    raise RuntimeFailure(f"{here} needs a rate")
                self.writer.write(directory, "blkio.throttle." + name, f"{dev} {rate}", here)

    def _blkio_write(self, directory: str, name: str, value: Any, what: str) -> None:
        if not os.path.exists(os.path.join(directory, name)):
            raise RuntimeFailure(f"{what} cannot be applied: this host's blkio controller has "
                                 f"no {name} (weights need the BFQ I/O scheduler)")
        self.writer.write(directory, name, value, what)

    def _set_net_cls(self, directory: str, r: dict[str, Any]) -> None:
        where = "linux.resources.network"
        class_id = res.number(res.section(r, "network"), "classID", where)
        if class_id is not None:
            self.writer.write(directory, "net_cls.classid", class_id, f"{where}.classID")

    def _set_net_prio(self, directory: str, r: dict[str, Any]) -> None:
        where = "linux.resources.network"
        for i, entry in enumerate(res.entries(res.section(r, "network"), "priorities", where)):
            here = f"{where}.priorities[{i}]"
            name = res.text(entry, "name", here)
            prio = res.number(entry, "priority", here)
            if not name or prio is None:
                raise RuntimeFailure(f"{here} needs a name and a priority")
            self.writer.write(directory, "net_prio.ifpriomap", f"{name} {prio}", here)
