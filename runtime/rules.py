"""What the runtime decides about a config before anything forks, and the one check that
`bundlebench validate` and `create` share (validate == run).

Every rule here is the runtime's own: `create` runs the same functions (the cheap ones
through `refuse()`, the ones that prepare something, like the seccomp program or the
namespace fds, where it prepares them), so a config that `check()` finds nothing wrong
with is one `create` does not refuse, and each refusal of `create` is a problem of
`check()` with the same sentence. Each problem names its field by JSON pointer and says
whether it depends on this host (a kernel feature, an LSM, a path that must exist).
"""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import Any

ERROR, WARNING = "error", "warning"


class Problem:
    """One finding: pointer, severity, the runtime's sentence, and whether it is the host's."""

    __slots__ = ("pointer", "severity", "message", "host")

    def __init__(self, pointer: str, severity: str, message: str, host: bool = False) -> None:
        self.pointer = pointer
        self.severity = severity
        self.message = message
        self.host = host

    def __repr__(self) -> str:
        return f"Problem({self.pointer!r}, {self.severity!r}, {self.message!r})"

    def to_dict(self) -> dict[str, Any]:
        return {"pointer": self.pointer, "severity": self.severity, "message": self.message,
                "host": self.host}


def _as_problem(failure: RuntimeFailure, pointer: str, host: bool) -> Problem:
    return Problem(failure.pointer or pointer, ERROR, str(failure), failure.host or host)


def _section(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


# --- the cheap rules: pure functions of the config (and the bundle's files) ----------------

def config_rules(config: dict[str, Any], bundle: str, rootless: bool
                 ) -> Iterator[tuple[str, bool, Callable[[], Any]]]:
    """(pointer, host-dependent, rule) for every check `create` makes without preparing
    anything; a rule raises RuntimeFailure to refuse."""
    from runtime import capabilities, mounts, shape
    from runtime.config import shape_problems
    from runtime.process import setup as process
    typed = list(shape.problems(config))
    for pointer, sentence in typed:
        yield pointer, False, _raiser(RuntimeFailure(sentence, pointer=pointer))
    if typed:
        return  # the rules below read the values as the types say
    for refusal in shape_problems(config, rootless):
        yield refusal.pointer, refusal.host, _raiser(refusal)
    proc = _section(config.get("process"))
    linux = _section(config.get("linux"))
    for i, mount in enumerate(_items(config.get("mounts"))):
        if not isinstance(mount, dict):
            continue
        try:  # parsed once here; the two checks below read the result
            opts = mounts.parse_options(_items(mount.get("options")), mount.get("type"))
        except RuntimeFailure as refusal:  # told once, at the options
            yield f"/mounts/{i}/options", False, _raiser(refusal)
            continue
        yield f"/mounts/{i}/type", False, _bound(mounts.check_type, mount, opts)
        yield (f"/mounts/{i}/source", True,
               _bound(mounts.check_bind_source, mount, opts, bundle))
    yield "/mounts", False, _bound(_needs_proc, config)
    if linux.get("maskedPaths") or linux.get("readonlyPaths"):
        from runtime import masking
        yield "/linux/maskedPaths", False, _bound(masking.paths_of, config)
    if linux.get("personality") is not None:
        from runtime import personality
        yield "/linux/personality", False, _bound(personality.persona, linux["personality"])
    if proc.get("oomScoreAdj") is not None:
        yield "/process/oomScoreAdj", True, _bound(_oom_score_allowed, config, rootless)
    if linux.get("rootfsPropagation"):
        from runtime import rootfs
        yield "/linux/rootfsPropagation", False, _bound(rootfs.root_propagation, config)
    for i, device in enumerate(_items(linux.get("devices"))):
        from runtime import devices
        yield f"/linux/devices/{i}/type", False, _bound(devices.check_type, device)
    if proc.get("rlimits"):
        yield "/process/rlimits", False, _bound(process.rlimit_values, proc)
    if proc.get("capabilities") is not None:
        yield "/process/capabilities", False, _bound(capabilities.masks,
                                                     proc.get("capabilities"))
    if config.get("hooks") is not None:
        from runtime import hooks
        for kind in hooks.HOOK_KINDS:
            yield f"/hooks/{kind}", False, _bound(hooks.hooks_of, config, kind)
    if isinstance(linux.get("seccomp"), dict):
        from runtime.seccomp.plan import check_listener
        yield "/linux/seccomp/listenerPath", False, _bound(check_listener, linux["seccomp"])


def _needs_proc(config: dict[str, Any]) -> None:
    """The init waits for `start` on /proc/self/fd: a container without /proc cannot."""
    for mount in _items(config.get("mounts")):
        if isinstance(mount, dict) and os.path.normpath(mount.get("destination") or ".") \
                == "/proc":
            return
    raise RuntimeFailure("the container has no /proc mounted, which the runtime needs to "
                         "wait for `start`: add a proc mount")


def _oom_score_allowed(config: dict[str, Any], rootless: bool) -> None:
    """Lowering oom_score_adj needs CAP_SYS_RESOURCE in the host's user namespace: the
    runtime must hold it, and an init in a user namespace of its own never does."""
    value = config["process"]["oomScoreAdj"]
    try:
        with open("/proc/self/oom_score_adj") as handle:
            current = int(handle.read())
    except (OSError, ValueError):
        return
    if value >= current:
        return
    from runtime.linux import libc
    from runtime.linux.constants import CAPABILITIES
    kinds = {ns.get("type") for ns in _items(_section(config.get("linux")).get("namespaces"))
             if isinstance(ns, dict)}
    if rootless or "user" in kinds:
        why = "a container in a user namespace cannot lower it"
    elif not libc.capget()[0] & 1 << CAPABILITIES["CAP_SYS_RESOURCE"]:
        why = "the runtime runs without CAP_SYS_RESOURCE here, which lowering it needs"
    else:
        return
    raise RuntimeFailure(f"process.oomScoreAdj {value} is below the runtime's own "
                         f"({current}) and {why} on this host: use {current} or more",
                         host=True)


def _bound(func: Callable[..., Any], *args: Any) -> Callable[[], Any]:
    return lambda: func(*args)


def _raiser(refusal: RuntimeFailure) -> Callable[[], None]:
    def rule() -> None:
        raise refusal
    return rule


def refuse(config: dict[str, Any], bundle: str, rootless: bool) -> None:
    """Raise the first refusal of the cheap rules, with its pointer (create's first step)."""
    for pointer, host, rule in config_rules(config, bundle, rootless):
        try:
            rule()
        except RuntimeFailure as failure:
            failure.pointer = failure.pointer or pointer
            failure.host = failure.host or host
            raise


def warnings(config: dict[str, Any]) -> list[Problem]:
    """What the runtime will change or drop silently: each is also a trace step."""
    found = [Problem("/" + field.replace(".", "/"), WARNING,
                     f"{field} is accepted but not applied by this runtime, so the container "
                     "runs without it: remove it or use a runtime that applies it (runc does)")
             for field in not_applied(config)]
    linux = _section(config.get("linux"))
    kinds = {_section(ns).get("type") for ns in _items(linux.get("namespaces"))}
    if "linux" in config and "mount" not in kinds:
        found.append(Problem(
            "/linux/namespaces", WARNING,
            "linux.namespaces has no mount namespace, so the container runs in the host's "
            "(as runc runs it): the rootfs and its mounts are mounted on the host under "
            f"{_section(config.get('root')).get('path') or 'the rootfs'} until delete, and "
            "the init chroots into it; add {\"type\": \"mount\"} to keep them private"))
    proc = _section(config.get("process"))
    if _section(proc.get("user")).get("uid", 0) == 0:
        return found  # root gets its capabilities from the bounding set at exec
    caps = _section(proc.get("capabilities"))
    inheritable = set(_items(caps.get("inheritable")))
    permitted = set(_items(caps.get("permitted")))
    for i, cap in enumerate(_items(caps.get("ambient"))):
        if cap not in inheritable or cap not in permitted:
            found.append(Problem(
                f"/process/capabilities/ambient/{i}", WARNING,
                f"ambient capability {cap} is not also inheritable and permitted, so the "
                "kernel drops it and the non-root process runs without it: add it to both "
                "sets or remove it"))
    return found


def not_applied(config: dict[str, Any]) -> list[str]:
    """Config fields this part of the runtime accepts but does not apply yet."""
    linux = config.get("linux") or {}
    process = config.get("process") or {}
    fields = [f"linux.{key}" for key in ("intelRdt", "mountLabel") if linux.get(key)]
    fields += [f"process.{key}" for key in ("ioPriority", "scheduler", "execCPUAffinity")
               if process.get(key)]
    return fields


# --- everything: what validate shows -----------------------------------------------------

def check(config: Any, bundle: str, *, rootless: bool | None = None) -> list[Problem]:
    """Every problem `create` would find with config in bundle on this host, refusals
    first, in the order create meets them; no side effects (nothing is made or written)."""
    if not isinstance(config, dict):
        return [Problem("", ERROR, "config.json must hold a JSON object")]
    from runtime.shape import without_nulls
    config = without_nulls(config)  # as load_bundle gives create the config
    rootless = os.geteuid() != 0 if rootless is None else rootless
    problems: list[Problem] = []
    seen: set[str] = set()

    def attempt(pointer: str, host: bool, rule: Callable[[], Any]) -> Any:
        try:
            return rule()
        except RuntimeFailure as failure:
            problem = _as_problem(failure, pointer, host)
            if (problem.pointer, problem.message) not in seen:
                seen.add((problem.pointer, problem.message))
                problems.append(problem)
        except (TypeError, ValueError, AttributeError, KeyError):
            pass  # a wrong shape the schema reports; the runtime's own words come above
        return None

    root = _section(config.get("root"))
    if not isinstance(root.get("path"), str) or not root.get("path"):
        attempt("/root/path", False, _raiser(RuntimeFailure(
            "config.json: root.path is missing: name the rootfs directory")))
        rootfs = None
    else:
        from runtime.config import check_rootfs_reachable, resolve_rootfs
        rootfs = attempt("/root/path", True, _bound(resolve_rootfs, bundle, root["path"]))
        if rootfs is not None:
            attempt("/root/path", True, _bound(check_rootfs_reachable, config, rootfs))
    for pointer, host, rule in config_rules(config, bundle, rootless):
        attempt(pointer, host, rule)
    if problems:
        return problems  # the rest (and the warnings) read values these refuse
    for pointer, host, rule in _prepared_rules(config, rootless):
        attempt(pointer, host, rule)
    return problems or warnings(config)


def _prepared_rules(config: dict[str, Any], rootless: bool
                    ) -> Iterator[tuple[str, bool, Callable[[], Any]]]:
    """The rules whose work create keeps (fds, programs, plans), here done and dropped."""
    from runtime import namespaces
    linux = _section(config.get("linux"))
    ns_plan = namespaces.plan(config)
    for index, (kind, path) in enumerate(ns_plan.join):
        yield (f"/linux/namespaces/{_ns_index(linux, kind, index)}/path", True,
               _bound(_try_open_ns, kind, path))
    if linux.get("seccomp") is not None:
        from runtime import seccomp
        yield "/linux/seccomp", True, _bound(seccomp.prepare, config)
    if linux.get("sysctl"):
        from runtime import sysctl
        yield "/linux/sysctl", True, _bound(sysctl.check, config)
    proc = _section(config.get("process"))
    if proc.get("apparmorProfile") or proc.get("selinuxLabel"):
        from runtime import lsm
        field = "apparmorProfile" if proc.get("apparmorProfile") else "selinuxLabel"
        yield f"/process/{field}", True, _bound(lsm.plan, proc)
    yield "/linux/resources", True, _bound(_cgroup_plan, config, rootless)


def _ns_index(linux: dict[str, Any], kind: str, fallback: int) -> int:
    for i, ns in enumerate(_items(linux.get("namespaces"))):
        if isinstance(ns, dict) and ns.get("type") == kind:
            return i
    return fallback


def _try_open_ns(kind: str, path: str) -> None:
    from runtime.namespaces import open_ns_path
    os.close(open_ns_path(kind, path))


def _cgroup_plan(config: dict[str, Any], rootless: bool) -> None:
    from runtime.cgroups import manager
    manager.plan(config, "validate", rootless=rootless)
