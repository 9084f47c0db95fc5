"""What P prepares before the fork: the security settings compiled and checked, and the
modules the children need imported (after pivot_root the host's files are out of reach)."""

from __future__ import annotations

import os

from runtime import state as st
from runtime.trace import Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


def not_applied(config: dict[str, Any]) -> list[str]:
    """Config fields this part of the runtime accepts but does not apply yet."""
    linux = config.get("linux") or {}
    process = config.get("process") or {}
    fields = [f"linux.{key}" for key in ("intelRdt", "mountLabel") if linux.get(key)]
    fields += [f"process.{key}" for key in ("ioPriority", "scheduler", "execCPUAffinity")
               if process.get(key)]
    return fields


class Security:
    """What P prepares before fork for the init (or an exec'd process) to apply."""

    def __init__(self, seccomp: Any = None, sysctl: list[Any] | None = None,
                 labels: list[Any] | None = None) -> None:
        self.seccomp = seccomp
        self.sysctl = sysctl or []
        self.labels = labels or []


def _seccomp_cache_dir(store: st.StateStore) -> str | None:
    """An owner-only dir under the runtime root for exported filters (None if unusable)."""
    path = os.path.join(store.root, ".seccomp-cache")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    return path


def prepare_security(config: dict[str, Any], process: dict[str, Any], store: st.StateStore,
                     tracer: Tracer, *, sysctl: bool = True) -> Security:
    """seccomp compiled, sysctl keys checked, LSM labels planned: all in P, before fork."""
    linux = config.get("linux") or {}
    security = Security()
    if linux.get("seccomp") is not None:
        from runtime import seccomp
        security.seccomp = seccomp.prepare(config, tracer, cache_dir=_seccomp_cache_dir(store))
    if sysctl and linux.get("sysctl"):
        from runtime import sysctl as sysctl_module
        security.sysctl = sysctl_module.check(config)
    if process.get("apparmorProfile") or process.get("selinuxLabel"):
        from runtime import lsm
        security.labels = lsm.plan(process)
    if config.get("hooks"):
        from runtime import hooks
        for kind in hooks.HOOK_KINDS:
            hooks.hooks_of(config, kind)  # refuse a malformed hook before anything runs
    return security
