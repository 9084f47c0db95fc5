"""Entry points: choose a manager for a config, set it up, save and load it.

    from runtime.cgroups.manager import plan, realize, save, load, teardown
    cg = plan(config, container_id, rootless=...)     # the dirs, nothing written yet
    realize(cg, config)                                # dirs + limits
    cg.join(pid)                                       # the init (see INTEGRATION.md)
    save(cg, state_dir)                                # recorded in the state dir
    teardown(state_dir)                                # on delete: kill leftovers, remove
"""

from __future__ import annotations

import os

from runtime.cgroups import paths
from runtime.cgroups import resources as res
from runtime.cgroups.detect import HYBRID, NONE, V2, Host, detect
from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

    from runtime.cgroups.v1 import V1Manager
    from runtime.cgroups.v2 import V2Manager

    Manager = V1Manager | V2Manager
# The v1 and v2 managers are imported where needed: a host uses one of them, and every
# module costs the container start a fraction of a millisecond.

STATE_FILE = "cgroup.json"


def plan(config: dict[str, Any], container_id: str, *, rootless: bool = False,
         host: Host | None = None, tracer: Any = None) -> Manager | None:
    """The manager for a container, with its directories decided; nothing is written.

    None when the host mounts no cgroups (or, rootless, none is delegated) and no limit
    needs one.
    """
    linux = config.get("linux") or {}
    resources = linux.get("resources") or {}
    if not isinstance(resources, dict):
        raise RuntimeFailure("linux.resources must be an object")
    host = host or detect()
    tgt = paths.target(linux.get("cgroupsPath"), container_id)
    needed = res.needed_controllers(resources)
    has_rules = bool(resources.get("devices"))
    common = {"tracer": tracer, "rootless": rootless, "default_parent": tgt.default}
    if host.mode == NONE:
        if needed or resources.get("unified"):
            raise RuntimeFailure(f"{next(iter(needed.values()), 'linux.resources.unified')} "
                                 "needs cgroups, but this host mounts no cgroup hierarchy")
        return None
    if host.mode == V2:
        directory = paths.v2_dir(host, tgt)
        assert directory is not None and host.unified is not None
        warnings: list[str] = []
        if rootless:
            from runtime.cgroups.rootless import decide
            need_v2 = {"": next(iter(needed.values()))} if needed else {}
            if resources.get("unified"):
                need_v2 = {"": "linux.resources.unified"}
            decision = decide({"": directory}, need_v2)
            warnings += decision.warnings
            if not decision.use:
                if has_rules:
                    warnings.append("rootless: linux.resources.devices is not applied")
                return None
        from runtime.cgroups.v2 import V2Manager
        return V2Manager(directory, host.real(host.unified.mountpoint), warnings=warnings,
                         **common)
    dirs = paths.v1_dirs(host, tgt)
    unified = paths.v2_dir(host, tgt) if host.mode == HYBRID else None
    warnings = []
    if rootless:
        from runtime.cgroups.rootless import decide
        wanted = dict(dirs)
        if unified:
            wanted[""] = unified
        need = dict(needed)
        if has_rules:
            need["devices"] = "linux.resources.devices"
        decision = decide(wanted, need)
        warnings += decision.warnings
        unified = decision.use.pop("", None)
        dirs = decision.use
        if not dirs and not unified:
            return None
    elif unified and not _may_create(unified):
        warnings.append(f"the unified hierarchy at {os.path.dirname(unified)} is not "
                        "writable; the container joins the v1 controllers only")
        unified = None
    from runtime.cgroups.v1 import V1Manager
    return V1Manager(dirs, unified, warnings=warnings, **common)


def _may_create(directory: str) -> bool:
    probe = directory
    while not os.path.isdir(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            return False
        probe = parent
    return os.access(probe, os.W_OK | os.X_OK)


def setup(config: dict[str, Any], container_id: str, *, rootless: bool = False,
          host: Host | None = None, tracer: Any = None) -> Manager | None:
    """Create the container's cgroup and apply linux.resources, before any of its
    processes exists. On failure nothing is left behind and RuntimeFailure says why."""
    manager = plan(config, container_id, rootless=rootless, host=host, tracer=tracer)
    if manager is not None:
        realize(manager, config)
    return manager


def realize(manager: Manager, config: dict[str, Any], rules: list[Any] | None = None) -> None:
    """Create the planned cgroup and apply linux.resources (rules: device_rules(), if
    already known); on failure nothing is left."""
    if rules is None:
        rules = device_rules(config, manager)
    manager.create((config.get("linux") or {}).get("resources") or {})
    try:
        manager.apply((config.get("linux") or {}).get("resources") or {}, rules)
    except BaseException:
        try:  # noqa: SIM105
            manager.destroy()
        except RuntimeFailure:
            pass
        raise


def device_rules(config: dict[str, Any], manager: Manager) -> list[Any] | None:
    """The device rules to apply, or None to leave device access alone.

    As root the container always gets "deny all but the defaults, its own rules and its
    linux.devices". Without a way to enforce that (a rootless caller, no devices
    controller, no eBPF) explicit rules are an error as root and a warning rootless;
    the implicit default only a warning."""
    from runtime.cgroups.devices import effective_rules
    explicit = bool(((config.get("linux") or {}).get("resources") or {}).get("devices"))
    if manager.version == "v1":
        enforceable = "devices" in manager.paths and not manager.rootless
    else:
        from runtime.cgroups import ebpf
        enforceable = not manager.rootless and ebpf.can_attach()
    if enforceable or (explicit and not manager.rootless):
        return effective_rules(config)  # apply() names the field if it cannot be done
    if explicit:
        manager.warnings.append("rootless: linux.resources.devices is not applied (an "
                                "unprivileged container gets no device cgroup)")
    elif not manager.rootless:
        manager.warnings.append("device access is not restricted by the cgroup: this host "
                                "offers neither a devices controller nor an eBPF filter")
    return None


def teardown(state_dir: str, tracer: Any = None) -> None:
    """On delete: SIGKILL whatever is left in the container's cgroup (a v1 freezer holds
    a frozen task's SIGKILL until thawed, so a paused cgroup is thawed), then remove it.
    A cgroup the container joined but did not create is left alone, processes and all.
    A container without a recorded cgroup is fine."""
    cg = load(state_dir, tracer)
    if cg is None:
        return
    main = cg.procs_dir()
    if main is not None and cg.owns(main) and cg.exists() and cg.pids():
        from runtime.cgroups import freeze
        freeze.kill_all(cg)
        if freeze.is_paused(cg):
            freeze.thaw(cg)
    cg.destroy()  # an empty cgroup goes even while frozen


def to_dict(manager: Manager) -> dict[str, Any]:
    return manager.to_dict()


def from_dict(data: dict[str, Any], tracer: Any = None) -> Manager:
    """Rebuild a manager saved with to_dict()."""
    owned = data.get("owned")
    common = {"tracer": tracer, "rootless": bool(data.get("rootless")),
              "default_parent": bool(data.get("defaultParent")),
              "owned": list(owned) if isinstance(owned, list) else None}
    if data.get("version") == "v2":
        from runtime.cgroups.v2 import V2Manager
        return V2Manager(data["path"], data.get("mountRoot") or os.path.dirname(data["path"]),
                         **common)
    if data.get("version") == "v1":
        from runtime.cgroups.v1 import V1Manager
        return V1Manager(dict(data.get("paths") or {}), data.get("unified"), **common)
    raise RuntimeFailure("the saved cgroup record is corrupt (unknown version)")


def save(manager: Manager | None, state_dir: str) -> None:
    """Record the manager in the container's state dir (cgroup.json), atomically."""
    if manager is None:
        return
    from runtime.atomic import write_file
    from runtime.jsonlite import dumps
    write_file(os.path.join(state_dir, STATE_FILE), dumps(manager.to_dict()).encode(), 0o600)


def load(state_dir: str, tracer: Any = None) -> Manager | None:
    """The manager saved in a state dir, or None when the container has no cgroup."""
    from runtime.cgroups import saved
    record = saved.load(state_dir)
    if record is None:
        return None
    try:
        return from_dict(record, tracer)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise RuntimeFailure(f"{os.path.join(state_dir, STATE_FILE)} is corrupt") from None
