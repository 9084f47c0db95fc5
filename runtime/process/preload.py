"""Import before the fork what the setup children need: after setns/unshare(user) or
pivot_root the interpreter may no longer reach its own files (a mapped uid cannot read
/root, the new root holds none of them)."""

from __future__ import annotations

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


def preload(terminal: bool, config: dict[str, Any] | None = None) -> None:
    """Import now what the process needs after pivot_root/chroot, when the host's modules
    are out of reach. Only what config asks for: each import costs start time."""
    import _signal  # noqa: F401
    import errno  # noqa: F401
    import resource  # noqa: F401

    from runtime import capabilities, rootfs  # noqa: F401
    from runtime.linux import sealed_exec  # noqa: F401
    from runtime.process import finish, setup  # noqa: F401
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
