"""The plan: every decision about one container, made by P before the fork from a config
that `rules.refuse` has passed, and read-only after. The stages act on it; none of them
reads config.json's dict (hooks excepted: the hook runner takes the checked lists).

Making a plan refuses nothing new: the rules already did. It parses once what the init
used to parse after the namespaces existed (mount options, propagation, capability masks,
rlimits, the environment), so the init only acts.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


class Frozen:
    """Slots set once by the constructor; any later assignment is a bug."""

    __slots__ = ()

    def __init__(self, **values: Any) -> None:
        for name in self.__slots__:
            object.__setattr__(self, name, values[name])

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a plan is read-only: {type(self).__name__}.{name}")

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({fields})"


class ProcessPlan(Frozen):
    """What the process that execs becomes (the init's, or one `exec` runs)."""

    __slots__ = ("args", "env", "cwd", "uid", "gid", "additional_gids", "umask",
                 "capabilities", "rlimits", "no_new_privileges", "oom_score_adj", "terminal",
                 "console_size")


class MountPlan(Frozen):
    """One config mount with its options parsed."""

    __slots__ = ("destination", "type", "source", "options", "raw")


class Plan(Frozen):
    """The container: namespaces, root, mounts, paths, identity, process."""

    __slots__ = ("bundle", "rootfs", "rootless", "kinds", "in_userns", "hostname",
                 "domainname", "mounts", "root_propagation", "rootfs_propagation",
                 "readonly_root", "devices", "paths", "personality", "time_offsets",
                 "monotonic_shift_us", "hooks", "process", "config")


def process_plan(proc: dict[str, Any]) -> ProcessPlan:
    """The process part of a checked config (or of `exec`'s process)."""
    from runtime import capabilities
    from runtime.config import env_list_to_dict
    from runtime.process.setup import rlimit_values
    user = proc.get("user") or {}
    umask = user.get("umask")
    return ProcessPlan(
        args=list(proc["args"]), env=env_list_to_dict(proc.get("env") or []),
        cwd=proc.get("cwd") or "/", uid=int(user.get("uid") or 0),  # null: 0, as runc reads it
        gid=int(user.get("gid") or 0),
        additional_gids=[int(g) for g in user.get("additionalGids") or []],
        umask=0o022 if umask is None else int(umask),
        capabilities=capabilities.masks(proc.get("capabilities")),
        rlimits=rlimit_values(proc), no_new_privileges=bool(proc.get("noNewPrivileges")),
        oom_score_adj=proc.get("oomScoreAdj"), terminal=bool(proc.get("terminal")),
        console_size=proc.get("consoleSize"))


def make(config: dict[str, Any], bundle: str, rootfs: str, rootless: bool) -> Plan:
    """The plan of a config that rules.refuse has accepted."""
    from runtime import devices, mounts
    from runtime.linux.constants import MOUNT_PROPAGATION
    from runtime.rootfs import root_propagation
    linux = config.get("linux") or {}
    kinds = frozenset(ns["type"] for ns in linux.get("namespaces") or [])
    planned = tuple(
        MountPlan(destination=m.get("destination") or "", type=m.get("type") or "",
                  source=m.get("source") or "", raw=m,
                  options=mounts.parse_options(m.get("options"), m.get("type")))
        for m in config.get("mounts") or [])
    paths: list[tuple[str, str]] = []
    if linux.get("maskedPaths") or linux.get("readonlyPaths"):
        from runtime import masking
        paths = masking.paths_of(config)
    personality = None
    if linux.get("personality") is not None:
        from runtime.personality import persona
        personality = persona(linux["personality"])
    offsets = linux.get("timeOffsets") or {}
    propagation = linux.get("rootfsPropagation") or ""
    return Plan(
        bundle=bundle, rootfs=rootfs, rootless=rootless, kinds=kinds,
        in_userns="user" in kinds or rootless, hostname=config.get("hostname") or "",
        domainname=config.get("domainname") or "", mounts=planned,
        root_propagation=root_propagation(config),
        rootfs_propagation=MOUNT_PROPAGATION[propagation] if propagation else None,
        readonly_root=bool((config.get("root") or {}).get("readonly")),
        devices=tuple(devices.device_list(config)), paths=tuple(paths),
        personality=personality,
        time_offsets="".join(f"{clock} {int(v.get('secs', 0))} {int(v.get('nanosecs', 0))}\n"
                             for clock, v in offsets.items()),
        monotonic_shift_us=int((offsets.get("monotonic") or {}).get("secs", 0)) * 1_000_000
        + int((offsets.get("monotonic") or {}).get("nanosecs", 0)) // 1000,
        hooks=frozenset(kind for kind, items in (config.get("hooks") or {}).items() if items),
        process=process_plan(config["process"]), config=config)
