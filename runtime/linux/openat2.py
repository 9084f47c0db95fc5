"""openat2(2): open a path resolved under rules the kernel enforces.

RESOLVE_IN_ROOT makes the kernel treat ``dirfd`` as the root for this lookup: absolute
symlinks and ``..`` can never leave it. Kernels before 5.6 lack the call; callers then
fall back to a component-by-component walk (``available()`` tells which).
"""

from __future__ import annotations

import errno
import os

from runtime.linux import ffi

RESOLVE_NO_XDEV = 0x01
RESOLVE_NO_MAGICLINKS = 0x02
RESOLVE_NO_SYMLINKS = 0x04
RESOLVE_BENEATH = 0x08
RESOLVE_IN_ROOT = 0x10

# openat2 got the same number on every architecture (the unified syscall table).
_SYS_OPENAT2 = 437


class _OpenHow(ffi.Structure):
    _fields_ = [("flags", ffi.c_uint64), ("mode", ffi.c_uint64), ("resolve", ffi.c_uint64)]


_syscall = ffi.libc_function("syscall", returns_long=True)
_available: bool | None = None


def openat2(dirfd: int, path: str | bytes, flags: int, resolve: int, mode: int = 0) -> int:
    """Open ``path`` relative to ``dirfd``; return the fd or raise OSError."""
    raw = os.fsencode(path)
    how = _OpenHow(flags | os.O_CLOEXEC, mode, resolve)
    fd = _syscall(
        ffi.c_long(_SYS_OPENAT2),
        ffi.c_int(dirfd),
        raw,
        ffi.byref(how),
        ffi.c_size_t(ffi.sizeof(how)),
    )
    if fd < 0:
        err = ffi.get_errno()
        raise OSError(err, os.strerror(err), os.fsdecode(raw))
    return int(fd)


def available() -> bool:
    """True when this kernel (and its seccomp policy) allows openat2."""
    global _available
    if _available is None:
        try:
            os.close(openat2(-100, "/", os.O_PATH, RESOLVE_IN_ROOT))  # AT_FDCWD
            _available = True
        except OSError as error:
            _available = error.errno not in (errno.ENOSYS, errno.EPERM, errno.EINVAL)
    return _available
