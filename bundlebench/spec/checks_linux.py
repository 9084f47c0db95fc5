"""Checks of linux devices, network devices, Intel RDT, memory policy and personality."""

from __future__ import annotations

from collections.abc import Iterator

from bundlebench.spec.checks_base import Context, as_dict, as_list, is_int, valid_cpu_list
from bundlebench.spec.problems import Problem, error, pointer, warning

_NODES_FORBIDDEN = frozenset({"MPOL_DEFAULT", "MPOL_LOCAL"})
_NODES_REQUIRED = frozenset(
    {"MPOL_BIND", "MPOL_INTERLEAVE", "MPOL_WEIGHTED_INTERLEAVE", "MPOL_PREFERRED_MANY"}
)
IFNAMSIZ = 16  # interface names hold at most 15 bytes plus the terminating NUL


def check_devices(ctx: Context) -> Iterator[Problem]:
    paths: dict[str, int] = {}
    numbers: dict[tuple[str, int, int], int] = {}
    for index, item in enumerate(as_list(ctx.section("linux").get("devices"))):
        device = as_dict(item)
        base = pointer("linux", "devices", index)
        path, kind = device.get("path"), device.get("type")
        if isinstance(path, str):
            if not path.startswith("/"):
                yield error(
                    base + "/path",
                    f"linux.devices[{index}].path {path!r} is not an absolute path.",
                    'Give the full path inside the container, e.g. "/dev/fuse".',
                )
            elif not path.startswith("/dev/"):
                yield warning(
                    base + "/path",
                    f"linux.devices[{index}].path {path} is outside /dev.",
                    "The spec allows it, but programs look for device nodes under /dev; "
                    "put it there unless you mean otherwise.",
                )
            if path in paths:
                yield error(
                    base + "/path",
                    f"linux.devices[{index}].path {path} repeats entry {paths[path]}.",
                    "Keep one device per path.",
                )
            else:
                paths[path] = index
        major, minor = device.get("major"), device.get("minor")
        if kind in ("c", "b", "u"):
            if not (is_int(major) and is_int(minor)):
                yield error(
                    base,
                    f"linux.devices[{index}] of type {kind} has no major and minor number.",
                    "Add major and minor (see /proc/devices or `ls -l` of the host node).",
                )
            else:
                key = ("b" if kind == "b" else "c", major, minor)
                if key in numbers:
                    yield warning(
                        base,
                        f"linux.devices[{index}] uses the same type and numbers "
                        f"{major}:{minor} as entry {numbers[key]}.",
                        "Create each device once.",
                    )
                else:
                    numbers[key] = index
        yield from _check_file_mode(index, device.get("fileMode"))


def _check_file_mode(index: int, mode: object) -> Iterator[Problem]:
    if not is_int(mode):
        return
    ptr = pointer("linux", "devices", index, "fileMode")
    if not 0 <= mode <= 0o7777:
        yield error(
            ptr,
            f"linux.devices[{index}].fileMode {mode} holds more than permission bits.",
            "Give only permission bits, in decimal: 438 for rw-rw-rw- (0666).",
        )
    elif mode & 0o7000:
        digits = str(mode)
        guess = (
            f" Did you mean octal {digits}? In decimal that is {int(digits, 8)}."
            if len(digits) <= 4 and set(digits) <= set("01234567") else ""
        )
        yield warning(
            ptr,
            f"linux.devices[{index}].fileMode {mode} is {oct(mode)}, which sets "
            "setuid, setgid or sticky bits.",
            "fileMode is a decimal number, not octal." + guess,
        )


def check_net_devices(ctx: Context) -> Iterator[Problem]:
    devices = ctx.section("linux").get("netDevices")
    if not isinstance(devices, dict) or not devices:
        return
    if not ctx.has_namespace("network"):
        yield error(
            "/linux/netDevices",
            "linux.netDevices is set but the container has no network namespace to move "
            "the devices into.",
            'Add {"type": "network"} to linux.namespaces.',
        )
    targets: dict[str, str] = {}
    for host_name, value in devices.items():
        target = as_dict(value).get("name") or host_name
        if not isinstance(target, str):
            continue
        for name, ptr in ((host_name, pointer("linux", "netDevices", host_name)),
                          (target, pointer("linux", "netDevices", host_name, "name"))):
            if not _valid_ifname(name):
                yield error(
                    ptr,
                    f"linux.netDevices names interface {name!r}, which is not a valid "
                    "interface name.",
                    "Use 1 to 15 characters without '/', ':' or whitespace.",
                )
                break
        if target in targets:
            yield error(
                pointer("linux", "netDevices", host_name),
                f"linux.netDevices moves {host_name} and {targets[target]} to the same "
                f"name {target!r}.",
                "Give each device its own name in the container (or end it with %d).",
            )
        elif "%d" not in target:
            targets[target] = host_name


def _valid_ifname(name: str) -> bool:
    return (
        0 < len(name.encode()) < IFNAMSIZ
        and name not in (".", "..")
        and not any(c in name for c in "/:") and not any(c.isspace() for c in name)
    )


def check_intel_rdt(ctx: Context) -> Iterator[Problem]:
    rdt = as_dict(ctx.section("linux").get("intelRdt"))
    base = "/linux/intelRdt"
    clos = rdt.get("closID")
    if isinstance(clos, str) and clos != "/" and ("/" in clos or clos in ("", ".", "..")):
        yield error(
            base + "/closID",
            f"linux.intelRdt.closID {clos!r} is not a plain directory name.",
            'Use a name without "/" (or exactly "/" for the default class).',
        )
    l3 = rdt.get("l3CacheSchema")
    if isinstance(l3, str) and (not l3.startswith("L3:") or "\n" in l3):
        yield warning(
            base + "/l3CacheSchema",
            "linux.intelRdt.l3CacheSchema should start with 'L3:' and hold one line.",
            'Write it like "L3:0=7f0;1=1f", or use schemata for several lines.',
        )
    mb = rdt.get("memBwSchema")
    if isinstance(mb, str) and (not mb.startswith("MB:") or "\n" in mb):
        yield error(
            base + "/memBwSchema",
            "linux.intelRdt.memBwSchema must start with 'MB:' and hold one line.",
            'Write it like "MB:0=20;1=70".',
        )
    for index, line in enumerate(as_list(rdt.get("schemata"))):
        if isinstance(line, str) and "\n" in line:
            yield error(
                pointer("linux", "intelRdt", "schemata", index),
                f"linux.intelRdt.schemata[{index}] contains a newline.",
                "Put each line of the schemata file in its own array element.",
            )


def check_memory_policy(ctx: Context) -> Iterator[Problem]:
    policy = as_dict(ctx.section("linux").get("memoryPolicy"))
    mode, nodes = policy.get("mode"), policy.get("nodes")
    base = "/linux/memoryPolicy"
    has_nodes = isinstance(nodes, str) and nodes != ""
    if has_nodes and not valid_cpu_list(nodes):
        yield error(
            base + "/nodes",
            f"linux.memoryPolicy.nodes {nodes!r} is not a node list.",
            'Write nodes and ranges separated by commas, e.g. "0-3,7".',
        )
    if mode in _NODES_FORBIDDEN and has_nodes:
        yield error(
            base + "/nodes",
            f"linux.memoryPolicy.nodes must be empty with {mode}.",
            "Remove nodes, or choose a mode that takes nodes.",
        )
    elif mode in _NODES_REQUIRED and not has_nodes:
        yield error(
            base + "/nodes",
            f"linux.memoryPolicy.mode {mode} needs at least one node in nodes.",
            'Set nodes, e.g. "0".',
        )
    flags = [f for f in as_list(policy.get("flags")) if isinstance(f, str)]
    if "MPOL_F_STATIC_NODES" in flags and "MPOL_F_RELATIVE_NODES" in flags:
        yield error(
            base + "/flags",
            "linux.memoryPolicy.flags has both MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES.",
            "Keep one of them; the kernel refuses the pair.",
        )


def check_personality(ctx: Context) -> Iterator[Problem]:
    flags = as_list(as_dict(ctx.section("linux").get("personality")).get("flags"))
    if flags:
        yield warning(
            "/linux/personality/flags",
            "linux.personality.flags is set, but no personality flag is supported.",
            "Remove the flags.",
        )


CHECKS = (
    check_devices,
    check_net_devices,
    check_intel_rdt,
    check_memory_policy,
    check_personality,
)
