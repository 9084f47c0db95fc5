"""linux.sysctl, written through a verified procfs; and the verified-procfs helpers.

``check(config)`` runs in the runtime parent before fork: it refuses keys whose kernel
namespace is not private to the container (a shared one would change the host).
``apply(config)`` runs in the container init after pivot_root, before readonlyPaths
(which may make /proc/sys read-only): each key is opened below an fd of /proc/sys that
fstatfs proves to be procfs, with openat2 RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|
RESOLVE_NO_XDEV, so neither a fake /proc (CVE-2019-16884) nor a symlink or a mount
swapped in below /proc/sys (CVE-2025-52881) can redirect the write.
Import this module before pivot_root (the host's modules are out of reach after it).
"""

from __future__ import annotations

import os
import stat

from runtime.errors import RuntimeFailure
from runtime.linux import openat2, seam
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


PROC_SUPER_MAGIC = 0x9FA0

IPC_PREFIXES = ("kernel.msg", "kernel.shm", "kernel.sem", "fs.mqueue.")
UTS_KEYS = ("kernel.hostname", "kernel.domainname")
# runtime-spec namespace type -> name under /proc/self/ns
_NS_FILES = {"network": "net", "ipc": "ipc", "uts": "uts"}


def fs_type(fd: int) -> int:
    """f_type of fstatfs(fd)."""
    from runtime.linux import libc
    return libc.fstatfs_type(fd)


def open_verified_dir(path: str) -> int:
    """An O_PATH fd of a directory that must lie on procfs; RuntimeFailure otherwise."""
    fd = os.open(path, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        kind = fs_type(fd)
    except OSError:
        kind = -1
    if kind != PROC_SUPER_MAGIC:
        os.close(fd)
        raise RuntimeFailure(f"{path} is not a procfs (fstatfs type {kind:#x}); refusing to "
                             "write security settings through it")
    return fd


def open_beneath(dir_fd: int, rel: str, flags: int, allow_symlinks: bool = False) -> int:
    """Open rel below dir_fd without leaving it, its mount, or following magic links
    (and, unless allowed, any symlink); the result must be on procfs too."""
    resolve = openat2.RESOLVE_BENEATH | openat2.RESOLVE_NO_MAGICLINKS | openat2.RESOLVE_NO_XDEV
    if not allow_symlinks:
        resolve |= openat2.RESOLVE_NO_SYMLINKS
    if openat2.available():
        fd = openat2.openat2(dir_fd, rel, flags, resolve)
    else:
        fd = _walk_beneath(dir_fd, rel, flags)
    if fs_type(fd) != PROC_SUPER_MAGIC:
        os.close(fd)
        raise OSError(18, "not on procfs", rel)  # EXDEV
    return fd


def _walk_beneath(dir_fd: int, rel: str, flags: int) -> int:
    """Fallback for kernels without openat2: one component at a time, no symlinks,
    no mount crossings."""
    parts = rel.split("/")
    device = os.fstat(dir_fd).st_dev
    current = os.dup(dir_fd)
    try:
        for name in parts[:-1]:
            nxt = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC,
                          dir_fd=current)
            os.close(current)
            current = nxt
            if os.fstat(current).st_dev != device:
                raise OSError(18, "crosses a mount", rel)
        fd = os.open(parts[-1], flags | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=current)
        st = os.fstat(fd)
        if st.st_dev != device or stat.S_ISLNK(st.st_mode):
            os.close(fd)
            raise OSError(18, "crosses a mount", rel)
        return fd
    finally:
        os.close(current)


def key_path(key: Any) -> str:
    """'net.ipv4.ip_forward' -> 'net/ipv4/ip_forward'; a key with '/' keeps its dots."""
    if not isinstance(key, str) or not key:
        raise RuntimeFailure(f"linux.sysctl key {key!r} must be a non-empty string")
    path = key if "/" in key else key.replace(".", "/")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise RuntimeFailure(f"linux.sysctl key {key!r} is not a valid sysctl name")
    return path


def dotted(key: str) -> str:
    return key.replace("/", ".") if "/" in key else key


def namespace_for(key: str) -> str | None:
    """The namespace type that makes key private to the container, or None."""
    name = dotted(key)
    if name.startswith("net."):
        return "network"
    if name.startswith(IPC_PREFIXES):
        return "ipc"
    if name in UTS_KEYS:
        return "uts"
    return None


def _is_host_namespace(kind: str, path: str) -> bool:
    try:
        joined = os.stat(path)
        own = os.stat(f"/proc/self/ns/{_NS_FILES[kind]}")
    except OSError:
        return False
    return (joined.st_dev, joined.st_ino) == (own.st_dev, own.st_ino)


def private_namespaces(config: dict[str, Any], is_host=_is_host_namespace) -> set[str]:
    """Namespace types the container does not share with the runtime: new ones, and
    joined ones whose path is not the runtime's own."""
    result = set()
    for ns in (config.get("linux") or {}).get("namespaces") or []:
        kind = ns.get("type")
        path = ns.get("path") or ""
        if kind in _NS_FILES and (not path or not is_host(kind, path)):
            result.add(kind)
    return result


def check(config: dict[str, Any], is_host=_is_host_namespace) -> list[tuple[str, str, str]]:
    """(key, relative path, value) for linux.sysctl; RuntimeFailure for a key that would
    change the host. Call in the runtime parent (it compares with /proc/self/ns)."""
    sysctl = (config.get("linux") or {}).get("sysctl") or {}
    if not isinstance(sysctl, dict):
        raise RuntimeFailure("linux.sysctl must be an object of key: value strings")
    private = private_namespaces(config, is_host) if sysctl else set()
    result = []
    for key, value in sysctl.items():
        path = key_path(key)
        if not isinstance(value, str):
            raise RuntimeFailure(f"linux.sysctl {key}: the value must be a string")
        kind = namespace_for(key)
        if kind is None:
            raise RuntimeFailure(f"linux.sysctl {key} is not namespaced: setting it in a "
                                 "container would change the host, so it is refused")
        if kind not in private:
            raise RuntimeFailure(f"linux.sysctl {key} needs a private {kind} namespace: add "
                                 f"{{\"type\": \"{kind}\"}} to linux.namespaces or remove "
                                 "the key")
        result.append((key, path, value))
    return result


def write_key(sys_fd: int, key: str, path: str, value: str,
              tracer: Tracer = NULL_TRACER) -> None:
    """Write one value below the verified /proc/sys fd."""
    def do_write() -> None:
        fd = open_beneath(sys_fd, path, os.O_WRONLY)
        try:
            seam.kernel().write_fd(fd, value)
        finally:
            os.close(fd)
    try:
        tracer.call("sysctl", f"write(/proc/sys/{path}, {value!r})", do_write)
    except OSError as exc:
        why = exc.strerror or str(exc)
        if exc.errno == 2:
            why = "no such key in this kernel"
        elif exc.errno in (18, 40):  # EXDEV, ELOOP
            why = "its path is a symlink or another mount, refused"
        raise RuntimeFailure(f"linux.sysctl {key} cannot be set to {value!r}: {why}") from None


def apply(config: dict[str, Any], proc: str = "/proc", tracer: Tracer = NULL_TRACER,
          is_host=_is_host_namespace) -> list[str]:
    """check() then write every key through proc/sys; returns the keys written.

    In the container init the namespace check compares with the container's own
    namespaces, so prefer calling check() in the parent and write_all() here."""
    return write_all(check(config, is_host), proc, tracer)


def write_all(items: list[tuple[str, str, str]], proc: str = "/proc",
              tracer: Tracer = NULL_TRACER) -> list[str]:
    """Write the (key, path, value) triples from check() through a verified proc/sys."""
    if not items:
        return []
    sys_fd = open_verified_dir(os.path.join(proc, "sys"))
    try:
        for key, path, value in items:
            write_key(sys_fd, key, path, value, tracer)
    finally:
        os.close(sys_fd)
    return [key for key, _, _ in items]
