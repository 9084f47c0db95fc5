"""The cgroup v2 (unified) manager: one directory; spec values converted to v2 files."""

from __future__ import annotations

import os

from runtime.cgroups import convert
from runtime.cgroups import resources as res
from runtime.cgroups.base import Base
from runtime.cgroups.files import read_int, read_text
from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

# linux.resources field -> the v2 controller it needs.
CONTROLLER_OF = {"memory": "memory", "cpu": "cpu", "cpuset": "cpuset", "pids": "pids",
                 "blkio": "io", "hugetlb": "hugetlb"}


V2_CONTROLLERS = frozenset({"cpu", "cpuset", "io", "memory", "hugetlb", "pids", "rdma",
                            "misc"})


def wanted_controllers(resources: dict[str, Any] | None) -> dict[str, str]:
    """v2 controller -> the linux.resources field that needs it enabled."""
    wanted = {CONTROLLER_OF[c]: f for c, f in res.needed_controllers(resources).items()
              if c in CONTROLLER_OF}
    for key in (resources or {}).get("unified") or {}:
        controller = str(key).split(".", 1)[0]
        if controller in V2_CONTROLLERS:
            wanted.setdefault(controller, f"linux.resources.unified[{key!r}]")
    return wanted


class V2Manager(Base):
    """A container's cgroup on a unified (v2) host."""

    version = "v2"
    HUGETLB_LIMIT = "hugetlb.{}.max"
    HUGETLB_RSVD = "hugetlb.{}.rsvd.max"

    def __init__(self, path: str, mount_root: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.path = path
        self.mount_root = mount_root

    def dirs(self) -> list[str]:
        return [self.path]

    def to_dict(self) -> dict[str, Any]:
        return {"version": "v2", "path": self.path, "mountRoot": self.mount_root,
                "rootless": self.rootless, "defaultParent": self.default_parent,
                "owned": self.owned}

    # -- create ---------------------------------------------------------------------------
    def create(self, resources: dict[str, Any] | None = None) -> None:
        """Make the directory and enable, on the way down, the controllers the limits
        need (a v2 controller works in a cgroup only when its parent enables it)."""
        cpu = res.section(resources, "cpu")
        if cpu.get("realtimeRuntime") or cpu.get("realtimePeriod"):
            raise RuntimeFailure("linux.resources.cpu.realtimeRuntime/realtimePeriod are "
                                 "not supported on cgroup v2")
        try:
            self._make(self.path)
            self._enable_controllers(resources)
        except BaseException:
            self._remove_made(self.created)
            self.created = []
            raise
        self._claim()

    def _enable_controllers(self, resources: dict[str, Any] | None) -> None:
        wanted = wanted_controllers(resources)
        if not wanted:
            return
        chain = []
        probe = os.path.dirname(self.path)
        while probe.startswith(self.mount_root):
            chain.append(probe)
            if probe == self.mount_root:
                break
            probe = os.path.dirname(probe)
        for directory in reversed(chain):
            available = set((read_text(os.path.join(directory, "cgroup.controllers"))
                             or "").split())
            enabled = set((read_text(os.path.join(directory, "cgroup.subtree_control"))
                           or "").split())
            for controller in sorted(set(wanted) - enabled):
                if controller not in available:
                    raise RuntimeFailure(f"{wanted[controller]} needs the {controller} "
                                         f"controller, which {directory} does not offer "
                                         "(see its cgroup.controllers)")
                self.writer.write(directory, "cgroup.subtree_control", f"+{controller}",
                                  f"the {controller} controller for the container's cgroup")

    # -- resources ------------------------------------------------------------------------
    def apply(self, resources: dict[str, Any] | None, device_rules: list[Any] | None = None,
              update: bool = False) -> list[str]:
        """Write every limit the resources object sets; returns warnings (ignored fields).

        device_rules go into an eBPF program attached to the cgroup."""
        r = resources or {}
        warnings: list[str] = []
        d = self.path
        warnings += self._set_memory(d, r, update)
        self._set_cpu(d, r)
        limit = res.number(res.section(r, "pids"), "limit", "linux.resources.pids")
        if limit:
            self.writer.write(d, "pids.max", convert.limit_text(limit),
                              "linux.resources.pids.limit")
        self._set_io(d, r)
        self._set_hugetlb(d, r)
        network = res.section(r, "network")
        if network.get("classID") is not None or network.get("priorities"):
            warnings.append("linux.resources.network (net_cls, net_prio) does not exist on "
                            "cgroup v2 and is not applied")
        self._set_unified(d, r)
        if device_rules is not None:
            from runtime.cgroups import ebpf
            ebpf.apply_device_filter(d, device_rules, self.writer.tracer)
        self.warnings += warnings
        return warnings

    def _set_memory(self, d: str, r: dict[str, Any], update: bool) -> list[str]:
        mem = res.section(r, "memory")
        where = "linux.resources.memory"
        warnings = []
        limit = res.number(mem, "limit", where)
        swap = convert.swap_v1_to_v2(res.number(mem, "swap", where), limit)
        if limit is not None and limit > 0 and update and mem.get("checkBeforeUpdate"):
            usage = read_int(os.path.join(d, "memory.current"))
            swap_usage = read_int(os.path.join(d, "memory.swap.current"))
            if limit < usage:
                raise RuntimeFailure(f"{where}.limit {limit} is below the current usage "
                                     f"{usage} and checkBeforeUpdate is set: not updated")
            if swap is not None and swap >= 0 and swap < swap_usage:
                raise RuntimeFailure(f"{where}.swap leaves {swap} bytes of swap, below the "
                                     f"current swap usage {swap_usage}: not updated")
        if swap is not None:
            # memory.swap.max may be missing when the kernel has no swap accounting.
            if os.path.exists(os.path.join(d, "memory.swap.max")):
                self.writer.write(d, "memory.swap.max", convert.limit_text(swap),
                                  f"{where}.swap")
            elif swap != -1:
                warnings.append(f"{where}.swap is not applied: no swap accounting here")
        if limit:
            self.writer.write(d, "memory.max", convert.limit_text(limit), f"{where}.limit")
        reservation = res.number(mem, "reservation", where)
        if reservation:
            self.writer.write(d, "memory.low", convert.limit_text(reservation),
                              f"{where}.reservation")
        for key, why in (("kernel", "is deprecated"), ("kernelTCP", "has no v2 file"),
                         ("swappiness", "has no v2 file")):
            value = res.number(mem, key, where)
            if value not in (None, 0, -1) or (key == "swappiness" and value == 0):
                warnings.append(f"{where}.{key} {why} and is not applied on cgroup v2")
        if res.flag(mem, "disableOOMKiller", where):
            warnings.append(f"{where}.disableOOMKiller has no cgroup v2 equivalent and is "
                            "not applied")
        return warnings

    def _set_cpu(self, d: str, r: dict[str, Any]) -> None:
        cpu = res.section(r, "cpu")
        where = "linux.resources.cpu"
        if res.number(cpu, "realtimeRuntime", where) or res.number(cpu, "realtimePeriod",
                                                                    where):
            raise RuntimeFailure(f"{where}.realtimeRuntime/realtimePeriod are not supported "
                                 "on cgroup v2")
        idle = res.number(cpu, "idle", where)
        if idle is not None:
            self.writer.write(d, "cpu.idle", idle, f"{where}.idle")
        shares = res.number(cpu, "shares", where)
        if shares:
            self.writer.write(d, "cpu.weight", convert.shares_to_weight(shares),
                              f"{where}.shares (as cpu.weight)")
        burst = res.number(cpu, "burst", where)
        if burst is not None:
            self.writer.write(d, "cpu.max.burst", burst, f"{where}.burst")
        text = convert.cpu_max(res.number(cpu, "quota", where), res.number(cpu, "period",
                                                                            where))
        if text:
            self.writer.write(d, "cpu.max", text, f"{where}.quota/period")
        cpus = res.text(cpu, "cpus", where)
        mems = res.text(cpu, "mems", where)
        if cpus:
            self.writer.write(d, "cpuset.cpus", cpus, f"{where}.cpus")
        if mems:
            self.writer.write(d, "cpuset.mems", mems, f"{where}.mems")

    def _set_io(self, d: str, r: dict[str, Any]) -> None:
        bio = res.section(r, "blockIO")
        where = "linux.resources.blockIO"
        bfq = os.path.exists(os.path.join(d, "io.bfq.weight"))
        weight = res.number(bio, "weight", where)
        if weight:
            if bfq:  # BFQ takes blkio's own range
                self.writer.write(d, "io.bfq.weight", weight, f"{where}.weight")
            else:
                self.writer.write(d, "io.weight", convert.blkio_weight_to_io_weight(weight),
                                  f"{where}.weight (as io.weight)")
        if res.number(bio, "leafWeight", where):
            raise RuntimeFailure(f"{where}.leafWeight has no cgroup v2 equivalent: remove it")
        for i, entry in enumerate(res.entries(bio, "weightDevice", where)):
            here = f"{where}.weightDevice[{i}]"
            dev = res.device_numbers(entry, here)
            w = res.number(entry, "weight", here)
            if res.number(entry, "leafWeight", here):
                raise RuntimeFailure(f"{here}.leafWeight has no cgroup v2 equivalent")
            if w:
                if bfq:
                    self.writer.write(d, "io.bfq.weight", f"{dev} {w}", here)
                else:
                    self.writer.write(d, "io.weight",
                                      f"{dev} {convert.blkio_weight_to_io_weight(w)}", here)
        for key, name in (("throttleReadBpsDevice", "rbps"),
                          ("throttleWriteBpsDevice", "wbps"),
                          ("throttleReadIOPSDevice", "riops"),
                          ("throttleWriteIOPSDevice", "wiops")):
            for i, entry in enumerate(res.entries(bio, key, where)):
                here = f"{where}.{key}[{i}]"
                dev = res.device_numbers(entry, here)
                rate = res.number(entry, "rate", here)
                if rate is None:
                    raise RuntimeFailure(f"{here} needs a rate")
                value = "max" if rate == 0 else str(rate)
                self.writer.write(d, "io.max", f"{dev} {name}={value}", here)

    def _set_unified(self, d: str, r: dict[str, Any]) -> None:
        unified = r.get("unified") or {}
        if not isinstance(unified, dict):
            raise RuntimeFailure("linux.resources.unified must be an object of "
                                 "\"file\": \"value\" pairs")
        for key, value in unified.items():
            where = f"linux.resources.unified[{key!r}]"
            if not isinstance(value, str):
                raise RuntimeFailure(f"{where} must be a string")
            if "/" in key or key in (".", "..") or "." not in key or \
                    key.startswith("cgroup.") and key not in ("cgroup.max.depth",
                                                              "cgroup.max.descendants",
                                                              "cgroup.type"):
                raise RuntimeFailure(f"{where}: {key!r} is not a controller file of the "
                                     "container's cgroup")
            if not os.path.exists(os.path.join(d, key)):
                controller = key.split(".", 1)[0]
                raise RuntimeFailure(f"{where}: the cgroup has no file {key!r} (is the "
                                     f"{controller} controller enabled for it?)")
            self.writer.write(d, key, value, where)
