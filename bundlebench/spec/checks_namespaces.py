"""Checks of namespaces and what depends on them: id mappings, time offsets, sysctl."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from bundlebench.spec.checks_base import Context, as_dict, as_list, is_int
from bundlebench.spec.problems import Problem, error, pointer, warning
from runtime.linux.constants import NAMESPACES

_NS_FILE = re.compile(r"^/proc/(?:self|thread-self|\d+)(?:/task/\d+)?/ns/([a-z_]+)$")
MAX_ID_MAPPINGS = 340  # the kernel's limit on uid_map/gid_map lines since Linux 4.15
_IPC_SYSCTLS = frozenset({"kernel.sem"})
_IPC_PREFIXES = ("kernel.msg", "kernel.shm", "fs.mqueue.")
TIME_CLOCKS = ("boottime", "monotonic")


def check_namespaces(ctx: Context) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, item in enumerate(as_list(ctx.section("linux").get("namespaces"))):
        entry = as_dict(item)
        kind, path = entry.get("type"), entry.get("path")
        base = pointer("linux", "namespaces", index)
        if isinstance(kind, str):
            if kind not in NAMESPACES:
                yield error(
                    base + "/type",
                    f"linux.namespaces[{index}].type {kind!r} is not a Linux namespace type.",
                    "Use one of " + ", ".join(NAMESPACES) + ".",
                )
            elif kind in seen:
                yield error(
                    base + "/type",
                    f"linux.namespaces lists {kind} twice (first at index {seen[kind]}).",
                    "Keep one entry per namespace type.",
                )
            else:
                seen[kind] = index
        if isinstance(path, str) and path:
            yield from _check_ns_path(index, kind, path)


def _check_ns_path(index: int, kind: Any, path: str) -> Iterator[Problem]:
    ptr = pointer("linux", "namespaces", index, "path")
    if not path.startswith("/"):
        yield error(
            ptr,
            f"linux.namespaces[{index}].path {path!r} is not an absolute path.",
            "Give the namespace file's absolute host path, e.g. /proc/1234/ns/net.",
        )
        return
    match = _NS_FILE.match(path)
    if match and kind in NAMESPACES:
        name = match.group(1)
        expected = NAMESPACES[kind][1]
        if name not in (expected, expected + "_for_children"):
            yield error(
                ptr,
                f"linux.namespaces[{index}].path {path} is a {name} namespace, not {kind}.",
                f"Point it at a {expected} namespace file, e.g. /proc/PID/ns/{expected}.",
            )


def check_id_mappings(ctx: Context) -> Iterator[Problem]:
    linux = ctx.section("linux")
    present = [f for f in ("uidMappings", "gidMappings") if as_list(linux.get(f))]
    user = ctx.namespaces.get("user")
    if present and user is None:
        for field in present:
            yield error(
                pointer("linux", field),
                f"linux.{field} is set but there is no user namespace to map ids in.",
                'Add {"type": "user"} to linux.namespaces, or remove the mappings.',
            )
    elif user is not None and user.get("path"):
        for field in present:
            yield warning(
                pointer("linux", field),
                f"linux.{field} is set but the user namespace is joined by path, "
                "so its mappings already exist.",
                "Remove the mappings, or drop the namespace path to create a new one.",
            )
    elif user is not None:
        for field in ("uidMappings", "gidMappings"):
            if field not in present:
                yield error(
                    pointer("linux", field),
                    f"linux.{field} is missing although a new user namespace is created.",
                    f"Map at least the container's ids, e.g. {field} "
                    '[{"containerID": 0, "hostID": 1000, "size": 1}].',
                )
    for field in present:
        yield from _check_mapping_list(linux.get(field), ("linux", field))


def _check_mapping_list(mappings: Any, where: tuple[str | int, ...]) -> Iterator[Problem]:
    items = as_list(mappings)
    label = ".".join(str(w) for w in where)
    if len(items) > MAX_ID_MAPPINGS:
        yield error(
            pointer(*where),
            f"{label} has {len(items)} entries; the kernel accepts at most {MAX_ID_MAPPINGS}.",
            "Merge adjacent ranges.",
        )
    spans: dict[str, list[tuple[int, int, int]]] = {"containerID": [], "hostID": []}
    for index, item in enumerate(items):
        entry = as_dict(item)
        size = entry.get("size")
        if not is_int(size):
            continue
        if size == 0:
            yield error(
                pointer(*where, index, "size"),
                f"{label}[{index}].size is 0, which maps nothing.",
                "Give the number of ids to map (1 or more), or remove the entry.",
            )
            continue
        for key, spans_of in spans.items():
            start = entry.get(key)
            if not is_int(start):
                continue
            if start + size > 1 << 32:
                yield error(
                    pointer(*where, index, key),
                    f"{label}[{index}] maps past id 4294967295 ({key} {start} + size {size}).",
                    "Lower the start or the size.",
                )
            for other, lo, hi in spans_of:
                if start < hi and lo < start + size:
                    yield error(
                        pointer(*where, index, key),
                        f"{label}[{index}] overlaps entry {other} in its {key} range.",
                        "Make the ranges disjoint; the kernel refuses overlapping mappings.",
                    )
                    break
            spans_of.append((index, start, start + size))


def check_time_offsets(ctx: Context) -> Iterator[Problem]:
    offsets = ctx.section("linux").get("timeOffsets")
    if not isinstance(offsets, dict):
        return
    time_ns = ctx.namespaces.get("time")
    if time_ns is None:
        yield error(
            "/linux/timeOffsets",
            "linux.timeOffsets is set but there is no time namespace to apply it to.",
            'Add {"type": "time"} to linux.namespaces, or remove timeOffsets.',
        )
    elif time_ns.get("path"):
        yield error(
            "/linux/timeOffsets",
            "linux.timeOffsets is set but the time namespace is joined by path; "
            "offsets can only be set on a new one.",
            "Remove the namespace path, or remove timeOffsets.",
        )
    for clock, value in offsets.items():
        ptr = pointer("linux", "timeOffsets", clock)
        if clock not in TIME_CLOCKS:
            yield error(
                ptr,
                f"linux.timeOffsets names clock {clock!r}; only boottime and monotonic "
                "can be offset.",
                "Use boottime or monotonic.",
            )
            continue
        nanos = as_dict(value).get("nanosecs")
        if is_int(nanos) and not 0 <= nanos < 1_000_000_000:
            yield error(
                ptr + "/nanosecs",
                f"linux.timeOffsets.{clock}.nanosecs {nanos} is not below one second.",
                "Move whole seconds into secs; keep nanosecs within 0..999999999.",
            )


def sysctl_namespace(key: str) -> str | None:
    """The namespace a sysctl belongs to ('network', 'ipc', 'uts'), or None if global."""
    key = key.replace("/", ".")
    if key.startswith("net."):
        return "network"
    if key in _IPC_SYSCTLS or key.startswith(_IPC_PREFIXES):
        return "ipc"
    if key in ("kernel.hostname", "kernel.domainname"):
        return "uts"
    return None


def check_sysctl(ctx: Context) -> Iterator[Problem]:
    for key in as_dict(ctx.section("linux").get("sysctl")):
        ptr = pointer("linux", "sysctl", key)
        kind = sysctl_namespace(key)
        if key.replace("/", ".") == "kernel.hostname":
            yield error(
                ptr,
                "linux.sysctl sets kernel.hostname, which runtimes refuse.",
                "Use the top-level hostname field instead.",
            )
        elif kind is None:
            yield error(
                ptr,
                f"linux.sysctl {key} is not isolated by any namespace; setting it "
                "would change the host.",
                "Remove it; only net.*, kernel.msg*, kernel.sem, kernel.shm*, fs.mqueue.* "
                "and kernel.domainname can be set per container.",
            )
        elif not ctx.has_namespace(kind):
            yield error(
                ptr,
                f"linux.sysctl {key} needs a {kind} namespace, which the container lacks.",
                f'Add {{"type": "{kind}"}} to linux.namespaces, or remove the sysctl.',
            )


CHECKS = (check_namespaces, check_id_mappings, check_time_offsets, check_sysctl)
