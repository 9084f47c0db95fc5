"""The one place that calls libc: thin wrappers that raise OSError with errno (C types
from ffi.py).

Everything else in the runtime goes through these names, so a unit test can replace
them (see runtime/namespaces.py and runtime/mounts.py for the seams).
"""

from __future__ import annotations

import os
import sys

from runtime.linux import ffi


class _Libc:
    """libc's functions by name, looked up once each (like a ctypes CDLL)."""

    def __getattr__(self, name: str):  # noqa: ANN204
        function = ffi.libc_function(name)
        setattr(self, name, function)
        return function


_libc = _Libc()
_syscall = ffi.libc_function("syscall", returns_long=True)

_MACHINE = os.uname().machine
# Syscall numbers that glibc may not wrap. x86_64 first, then the generic table (arm64,
# riscv64). openat2, mount_setattr and pidfd_* share one number on every architecture.
if _MACHINE == "x86_64":
    SYS_PIVOT_ROOT, SYS_CAPGET, SYS_CAPSET, SYS_EXECVEAT = 155, 125, 126, 322
else:
    SYS_PIVOT_ROOT, SYS_CAPGET, SYS_CAPSET, SYS_EXECVEAT = 41, 90, 91, 281
SYS_PIDFD_OPEN = 434
SYS_PIDFD_SEND_SIGNAL = 424

PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_RAISE = 2
PR_CAP_AMBIENT_CLEAR_ALL = 4

MNT_DETACH = 2

TIOCSCTTY = 0x540E
TIOCGWINSZ = 0x5413
TIOCSWINSZ = 0x5414
TIOCSPTLCK = 0x40045431
TIOCGPTPEER = 0x5441
NS_GET_NSTYPE = 0xB703


def _check(result: int, what: str = "") -> int:
    if result < 0:
        err = ffi.get_errno()
        raise OSError(err, os.strerror(err), what or None)
    return result


def _b(path: str | bytes | None) -> bytes | None:
    if path is None:
        return None
    return path if isinstance(path, bytes) else os.fsencode(path)


def unshare(flags: int) -> None:
    _check(_libc.unshare(ffi.c_int(flags)))


def setns(fd: int, nstype: int = 0) -> None:
    _check(_libc.setns(ffi.c_int(fd), ffi.c_int(nstype)))


def mount(source: str | None, target: str, fstype: str | None, flags: int,
          data: str | None = None) -> None:
    _check(_libc.mount(_b(source), _b(target), _b(fstype), ffi.c_ulong(flags), _b(data)),
           target)


def umount2(target: str, flags: int = 0) -> None:
    _check(_libc.umount2(_b(target), ffi.c_int(flags)), target)


def pivot_root(new_root: str, put_old: str) -> None:
    _check(_syscall(ffi.c_long(SYS_PIVOT_ROOT), _b(new_root), _b(put_old)))


def sethostname(name: str) -> None:
    raw = name.encode()
    _check(_libc.sethostname(raw, ffi.c_size_t(len(raw))))


def setdomainname(name: str) -> None:
    raw = name.encode()
    _check(_libc.setdomainname(raw, ffi.c_size_t(len(raw))))


def prctl(option: int, arg2: int = 0, arg3: int = 0, arg4: int = 0, arg5: int = 0) -> int:
    return _check(_libc.prctl(ffi.c_int(option), ffi.c_ulong(arg2), ffi.c_ulong(arg3),
                              ffi.c_ulong(arg4), ffi.c_ulong(arg5)))


def ioctl_int(fd: int, request: int, arg: int = 0) -> int:
    return _check(_libc.ioctl(ffi.c_int(fd), ffi.c_ulong(request), ffi.c_long(arg)))


def ioctl_set_int(fd: int, request: int, value: int) -> int:
    """An ioctl whose argument points to an int (TIOCSPTLCK, ...)."""
    return _check(_libc.ioctl(ffi.c_int(fd), ffi.c_ulong(request), ffi.byref(ffi.c_int(value))))


def fstatfs_type(fd: int) -> int:
    """f_type of fstatfs(fd): the filesystem's magic number."""
    buf = (ffi.c_ulong * 64)()  # larger than struct statfs on every arch
    _check(_libc.fstatfs(ffi.c_int(fd), buf))
    if _MACHINE == "s390x":  # f_type is a 32-bit unsigned int there, big-endian
        return buf[0] >> 32
    return buf[0] & 0xFFFFFFFF


def personality(value: int) -> int:
    """personality(2): set the execution domain (0xffffffff only queries it)."""
    return _check(_libc.personality(ffi.c_ulong(value)))


def ioctl_ptr(fd: int, request: int, buf: ffi.Array) -> int:  # type: ignore[type-arg]
    return _check(_libc.ioctl(ffi.c_int(fd), ffi.c_ulong(request), buf))


def pidfd_open(pid: int) -> int:
    return _check(_syscall(ffi.c_long(SYS_PIDFD_OPEN), ffi.c_int(pid), ffi.c_uint(0)))


def pidfd_send_signal(pidfd: int, sig: int) -> None:
    _check(_syscall(ffi.c_long(SYS_PIDFD_SEND_SIGNAL), ffi.c_int(pidfd), ffi.c_int(sig),
                    None, ffi.c_uint(0)))


class _CapHeader(ffi.Structure):
    _fields_ = [("version", ffi.c_uint32), ("pid", ffi.c_int)]


class _CapData(ffi.Structure):
    _fields_ = [("effective", ffi.c_uint32), ("permitted", ffi.c_uint32),
                ("inheritable", ffi.c_uint32)]


_CAP_V3 = 0x20080522


def capget() -> tuple[int, int, int]:
    """(effective, permitted, inheritable) of this process as 64-bit masks."""
    head = _CapHeader(_CAP_V3, 0)
    data = (_CapData * 2)()
    _check(_syscall(ffi.c_long(SYS_CAPGET), ffi.byref(head), data))
    return (data[0].effective | data[1].effective << 32,
            data[0].permitted | data[1].permitted << 32,
            data[0].inheritable | data[1].inheritable << 32)


def capset(effective: int, permitted: int, inheritable: int) -> None:
    head = _CapHeader(_CAP_V3, 0)
    data = (_CapData * 2)()
    for i in (0, 1):
        shift = 32 * i
        data[i].effective = (effective >> shift) & 0xFFFFFFFF
        data[i].permitted = (permitted >> shift) & 0xFFFFFFFF
        data[i].inheritable = (inheritable >> shift) & 0xFFFFFFFF
    _check(_syscall(ffi.c_long(SYS_CAPSET), ffi.byref(head), data))


SYS_MOUNT_SETATTR = 442
AT_EMPTY_PATH = 0x1000
AT_RECURSIVE = 0x8000


class _MountAttr(ffi.Structure):
    _fields_ = [("attr_set", ffi.c_uint64), ("attr_clr", ffi.c_uint64),
                ("propagation", ffi.c_uint64), ("userns_fd", ffi.c_uint64)]


def mount_setattr(fd: int, attr_set: int, attr_clr: int, propagation: int = 0) -> None:
    """mount_setattr(fd, "", AT_EMPTY_PATH|AT_RECURSIVE, ...) on the mount tree at fd."""
    attr = _MountAttr(attr_set, attr_clr, propagation, 0)
    _check(_syscall(ffi.c_long(SYS_MOUNT_SETATTR), ffi.c_int(fd), b"",
                    ffi.c_uint(AT_EMPTY_PATH | AT_RECURSIVE), ffi.byref(attr),
                    ffi.c_size_t(ffi.sizeof(attr))))


F_ADD_SEALS = 1033


def add_seals(fd: int, seals: int) -> None:
    _check(_libc.fcntl(ffi.c_int(fd), ffi.c_int(F_ADD_SEALS), ffi.c_int(seals)))


def execveat(fd: int, path: bytes, argv: list[bytes], envp: list[bytes], flags: int) -> None:
    """execveat(2); returns only by raising OSError (glibc before 2.34 has no wrapper)."""
    _check(_syscall(ffi.c_long(SYS_EXECVEAT), ffi.c_int(fd), path, ffi.pointer_array(argv),
                    ffi.pointer_array(envp), ffi.c_int(flags)), path.decode(errors="replace"))


def execve(path: bytes, argv: list[bytes], envp: list[bytes]) -> None:
    """execve(2) with bytes as given; returns only by raising OSError."""
    _check(_libc.execve(path, ffi.pointer_array(argv), ffi.pointer_array(envp)),
           path.decode(errors="replace"))


# The new mount API (Linux 5.2; one number on every architecture): a filesystem mounted
# detached, filled through its fd, then moved onto its place in one step (tmpcopyup).
SYS_MOVE_MOUNT, SYS_FSOPEN, SYS_FSCONFIG, SYS_FSMOUNT = 429, 430, 431, 432
FSOPEN_CLOEXEC = 0x1
FSCONFIG_SET_FLAG, FSCONFIG_SET_STRING, FSCONFIG_CMD_CREATE = 0, 1, 6
FSMOUNT_CLOEXEC = 0x1
MOVE_MOUNT_F_EMPTY_PATH, MOVE_MOUNT_T_EMPTY_PATH = 0x4, 0x40


def fsmount_new(fstype: str, options: list[tuple[str, str | None]], attr_flags: int) -> int:
    """fsopen + fsconfig (each key, or key=value) + fsmount: the fd of a detached mount."""
    fs_fd = _check(_syscall(ffi.c_long(SYS_FSOPEN), _b(fstype), ffi.c_uint(FSOPEN_CLOEXEC)),
                   fstype)
    try:
        for key, value in options:
            if value is None:
                _check(_syscall(ffi.c_long(SYS_FSCONFIG), ffi.c_int(fs_fd),
                                ffi.c_uint(FSCONFIG_SET_FLAG), _b(key), None, ffi.c_int(0)), key)
            else:
                _check(_syscall(ffi.c_long(SYS_FSCONFIG), ffi.c_int(fs_fd),
                                ffi.c_uint(FSCONFIG_SET_STRING), _b(key), _b(value),
                                ffi.c_int(0)), f"{key}={value}")
        _check(_syscall(ffi.c_long(SYS_FSCONFIG), ffi.c_int(fs_fd),
                        ffi.c_uint(FSCONFIG_CMD_CREATE), None, None, ffi.c_int(0)), fstype)
        return _check(_syscall(ffi.c_long(SYS_FSMOUNT), ffi.c_int(fs_fd),
                               ffi.c_uint(FSMOUNT_CLOEXEC), ffi.c_uint(attr_flags)), fstype)
    finally:
        os.close(fs_fd)


def move_mount(from_fd: int, to_fd: int) -> None:
    """move_mount(from_fd, "", to_fd, ""): the mount at from_fd onto the dir at to_fd."""
    _check(_syscall(ffi.c_long(SYS_MOVE_MOUNT), ffi.c_int(from_fd), b"", ffi.c_int(to_fd), b"",
                    ffi.c_uint(MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH)))


# rtnetlink: RTM_NEWLINK with IFF_UP, as `ip link set lo up` sends it.
AF_NETLINK, SOCK_RAW, SOCK_CLOEXEC, NETLINK_ROUTE = 16, 3, 0o2000000, 0
RTM_NEWLINK, NLM_F_REQUEST, NLM_F_ACK, NLMSG_ERROR, IFF_UP = 16, 1, 4, 2, 1


def _u(value: int, size: int, signed: bool = False) -> bytes:
    return value.to_bytes(size, _BYTEORDER, signed=signed)


_BYTEORDER = sys.byteorder


def link_up(ifindex: int) -> None:
    """Set the link ifindex of this network namespace up over a NETLINK_ROUTE socket."""
    fd = _check(_libc.socket(ffi.c_int(AF_NETLINK), ffi.c_int(SOCK_RAW | SOCK_CLOEXEC),
                             ffi.c_int(NETLINK_ROUTE)), "netlink socket")
    try:
        # struct nlmsghdr (len, type, flags, seq, pid) + struct ifinfomsg (family, pad,
        # type, index, flags, change): 16 + 16 bytes.
        message = (_u(32, 4) + _u(RTM_NEWLINK, 2) + _u(NLM_F_REQUEST | NLM_F_ACK, 2)
                   + _u(1, 4) + _u(0, 4) + _u(0, 1) + _u(0, 1) + _u(0, 2)
                   + _u(ifindex, 4, True) + _u(IFF_UP, 4) + _u(IFF_UP, 4))
        os.write(fd, message)
        reply = os.read(fd, 4096)
    finally:
        os.close(fd)
    kind = int.from_bytes(reply[4:6], _BYTEORDER) if len(reply) >= 20 else -1
    if kind != NLMSG_ERROR:
        raise OSError(71, "unexpected netlink reply", "RTM_NEWLINK")  # EPROTO
    error = int.from_bytes(reply[16:20], _BYTEORDER, signed=True)
    if error:
        raise OSError(-error, os.strerror(-error), "RTM_NEWLINK")
