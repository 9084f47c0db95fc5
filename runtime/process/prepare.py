"""What P prepares before the fork: the security settings compiled and checked, the
context the children inherit, and the modules they need imported (after setns/unshare(user)
or pivot_root the interpreter may no longer reach its own files)."""

from __future__ import annotations

import os

from runtime import state as st
from runtime.process.finish import Security
from runtime.process.messages import Channel
from runtime.trace import Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


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


class InitContext:
    """Everything the setup children need, handed over by fork."""

    def __init__(self, plan: Any, ns_plan: Any, ns_fds: list[tuple[str, int]],
                 channel: Channel, tracer: Tracer, fifo_fd: int, no_pivot: bool,
                 preserve_fds: int, container_id: str, lock_fd: int = -1) -> None:
        self.plan = plan
        self.ns_plan = ns_plan
        self.ns_fds = ns_fds
        self.channel = channel
        self.tracer = tracer
        self.fifo_fd = fifo_fd
        self.no_pivot = no_pivot
        self.preserve_fds = preserve_fds
        self.container_id = container_id
        self.lock_fd = lock_fd
        self.security = Security()
        self.cgroup: Any = None
        self.join_in_child = True


def preload(terminal: bool, config: dict[str, Any] | None = None, *,
            notify: bool = False) -> None:
    """Import now what the process needs after pivot_root/chroot, when the host's modules
    are out of reach. Only what config asks for: each import costs start time."""
    import _signal  # noqa: F401
    import errno  # noqa: F401
    import resource  # noqa: F401

    from runtime import capabilities, rootfs  # noqa: F401
    from runtime.linux import sealed_exec  # noqa: F401
    from runtime.process import finish, setup  # noqa: F401
    if notify:  # the notify fd goes to P by SCM_RIGHTS
        import socket  # noqa: F401
    if terminal:
        import fcntl  # noqa: F401
        import socket  # noqa: F401

        from runtime import console  # noqa: F401
    if config is None:
        return
    linux = config.get("linux") or {}
    proc = config.get("process") or {}
    if linux.get("maskedPaths") or linux.get("readonlyPaths"):
        from runtime import masking  # noqa: F401
    if linux.get("sysctl"):
        from runtime import sysctl  # noqa: F401
    if proc.get("apparmorProfile") or proc.get("selinuxLabel"):
        from runtime import lsm  # noqa: F401
    if linux.get("personality") is not None:
        from runtime import personality  # noqa: F401
    if config.get("hooks"):
        from runtime import hooks
        hooks.preload()
    if any(isinstance(m, dict) and "tmpcopyup" in (m.get("options") or [])
           for m in config.get("mounts") or []):
        from runtime import copyup, treecopy  # noqa: F401
