"""Checks of linux.resources (cgroups): memory, cpu, block I/O, RDMA, hugepages, unified."""

from __future__ import annotations

import re
from collections.abc import Iterator

from bundlebench.spec.checks_base import Context, as_dict, as_list, is_int, valid_cpu_list
from bundlebench.spec.problems import Problem, error, pointer, warning

_PAGE_SIZE = re.compile(r"^[1-9]\d*[KMG]B$")
_UNIFIED_KEY = re.compile(r"^[a-z_][a-z0-9_]*\.[A-Za-z0-9_.-]+$")
_BASE = "/linux/resources"


def _resources(ctx: Context) -> dict:
    return ctx.section("linux", "resources")


def check_device_rules(ctx: Context) -> Iterator[Problem]:
    for index, item in enumerate(as_list(_resources(ctx).get("devices"))):
        access = as_dict(item).get("access")
        if isinstance(access, str) and (not access or set(access) - set("rwm")):
            yield error(
                pointer("linux", "resources", "devices", index, "access"),
                f"linux.resources.devices[{index}].access {access!r} is not made of r, w and m.",
                'Write a combination of r (read), w (write) and m (mknod), e.g. "rwm".',
            )


def check_memory(ctx: Context) -> Iterator[Problem]:
    memory = as_dict(_resources(ctx).get("memory"))
    limit, swap, reservation = memory.get("limit"), memory.get("swap"), memory.get("reservation")
    base = _BASE + "/memory"
    if is_int(limit) and limit > 0 and is_int(swap) and 0 <= swap < limit:
        yield error(
            base + "/swap",
            f"linux.resources.memory.swap {swap} is below limit {limit}; swap counts "
            "memory plus swap.",
            "Set swap to at least limit (equal means no swap), or -1 for unlimited.",
        )
    if is_int(limit) and limit > 0 and is_int(reservation) and reservation > limit:
        yield warning(
            base + "/reservation",
            f"linux.resources.memory.reservation {reservation} is above limit {limit}, "
            "so it never applies.",
            "Set the reservation (soft limit) below the limit.",
        )
    swappiness = memory.get("swappiness")
    if is_int(swappiness) and not 0 <= swappiness <= 100:
        yield error(
            base + "/swappiness",
            f"linux.resources.memory.swappiness {swappiness} is outside 0..100.",
            "Use a value from 0 to 100.",
        )
    for field in ("kernel", "kernelTCP"):
        if field in memory:
            yield warning(
                f"{base}/{field}",
                f"linux.resources.memory.{field} is not recommended; kernels deprecated it.",
                "Remove it; the overall memory limit covers kernel memory.",
            )


def check_cpu(ctx: Context) -> Iterator[Problem]:
    cpu = as_dict(_resources(ctx).get("cpu"))
    base = _BASE + "/cpu"
    quota, burst = cpu.get("quota"), cpu.get("burst")
    if is_int(quota) and quota > 0 and is_int(burst) and burst > quota:
        yield error(
            base + "/burst",
            f"linux.resources.cpu.burst {burst} is larger than quota {quota}.",
            "Keep burst at most the quota.",
        )
    runtime, period = cpu.get("realtimeRuntime"), cpu.get("realtimePeriod")
    if is_int(runtime) and is_int(period) and period > 0 and runtime > period:
        yield error(
            base + "/realtimeRuntime",
            f"linux.resources.cpu.realtimeRuntime {runtime} exceeds realtimePeriod {period}.",
            "Keep the realtime runtime within its period.",
        )
    for field in ("cpus", "mems"):
        value = cpu.get(field)
        if isinstance(value, str) and value and not valid_cpu_list(value):
            yield error(
                f"{base}/{field}",
                f"linux.resources.cpu.{field} {value!r} is not a list like \"0-3,7\".",
                'Write numbers and ranges separated by commas, e.g. "0-3,7".',
            )
    idle = cpu.get("idle")
    if is_int(idle) and idle not in (0, 1):
        yield error(
            base + "/idle",
            f"linux.resources.cpu.idle {idle} is neither 0 nor 1.",
            "Use 1 for SCHED_IDLE weighting, 0 for the default.",
        )


def check_block_io(ctx: Context) -> Iterator[Problem]:
    block = as_dict(_resources(ctx).get("blockIO"))
    for index, item in enumerate(as_list(block.get("weightDevice"))):
        entry = as_dict(item)
        if "weight" not in entry and "leafWeight" not in entry:
            yield error(
                pointer("linux", "resources", "blockIO", "weightDevice", index),
                f"linux.resources.blockIO.weightDevice[{index}] has neither weight nor "
                "leafWeight.",
                "Give the device a weight (10..1000).",
            )


def check_pids(ctx: Context) -> Iterator[Problem]:
    limit = as_dict(_resources(ctx).get("pids")).get("limit")
    if is_int(limit) and limit < -1:
        yield error(
            _BASE + "/pids/limit",
            f"linux.resources.pids.limit {limit} is negative.",
            "Use a number of tasks, or -1 for no limit.",
        )


def check_rdma(ctx: Context) -> Iterator[Problem]:
    for name, value in as_dict(_resources(ctx).get("rdma")).items():
        entry = as_dict(value)
        if "hcaHandles" not in entry and "hcaObjects" not in entry:
            yield error(
                pointer("linux", "resources", "rdma", name),
                f"linux.resources.rdma.{name} sets neither hcaHandles nor hcaObjects.",
                "Give at least one of the two limits.",
            )


def check_hugepages(ctx: Context) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, item in enumerate(as_list(_resources(ctx).get("hugepageLimits"))):
        size = as_dict(item).get("pageSize")
        if not isinstance(size, str):
            continue
        ptr = pointer("linux", "resources", "hugepageLimits", index, "pageSize")
        if not _PAGE_SIZE.match(size):
            yield error(
                ptr,
                f"linux.resources.hugepageLimits[{index}].pageSize {size!r} is not like "
                "\"2MB\".",
                "Write a size with KB, MB or GB, as in /sys/kernel/mm/hugepages.",
            )
        elif size in seen:
            yield warning(
                ptr,
                f"linux.resources.hugepageLimits sets {size} twice (first at {seen[size]}).",
                "Keep one limit per page size.",
            )
        else:
            seen[size] = index


def check_unified(ctx: Context) -> Iterator[Problem]:
    for key in as_dict(_resources(ctx).get("unified")):
        if not _UNIFIED_KEY.match(key) or ".." in key:
            yield error(
                pointer("linux", "resources", "unified", key),
                f"linux.resources.unified key {key!r} is not a cgroup file name.",
                'Name a file of the cgroup directory, such as "memory.max" or "io.weight".',
            )


CHECKS = (
    check_device_rules,
    check_memory,
    check_cpu,
    check_block_io,
    check_pids,
    check_rdma,
    check_hugepages,
    check_unified,
)
