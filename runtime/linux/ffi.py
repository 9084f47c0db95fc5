"""The few C types the syscall wrappers need, built on `_ctypes` directly.

`import ctypes` costs about 2 ms on every container start (its __init__ defines every
type it offers and builds a libffi closure); the runtime's wrappers in libc.py need six
integer types, structures and errno. These classes are made the way ctypes makes its
own, by the same C module, and behave the same. Code off the start path (seccomp, eBPF,
the console, sysctl) imports ctypes itself; the two kinds of types are not mixed in one
call's argtypes (the wrappers set none).
"""

from __future__ import annotations

import _ctypes
from _ctypes import Array, Structure, byref, get_errno, sizeof

__all__ = ["Array", "Structure", "byref", "get_errno", "sizeof", "c_int", "c_uint", "c_long",
           "c_ulong", "c_char_p", "pointer_array", "c_uint32", "c_uint64", "c_size_t",
           "libc_function"]


class c_int(_ctypes._SimpleCData):  # noqa: N801 - named like ctypes' own
    _type_ = "i"


class c_uint(_ctypes._SimpleCData):  # noqa: N801
    _type_ = "I"


class c_long(_ctypes._SimpleCData):  # noqa: N801
    _type_ = "l"


class c_ulong(_ctypes._SimpleCData):  # noqa: N801
    _type_ = "L"


class c_char_p(_ctypes._SimpleCData):  # noqa: N801
    _type_ = "z"


def pointer_array(items: list[bytes]) -> Array:
    """A NULL-terminated char *[] (argv, envp) holding `items`."""
    kind = type("char_p_array", (Array,), {"_type_": c_char_p, "_length_": len(items) + 1})
    return kind(*items, None)


# Linux is LP64 on every architecture the runtime supports (x86_64, arm64, riscv64).
c_uint32 = c_uint
c_uint64 = c_ulong
c_size_t = c_ulong


class _IntFunction(_ctypes.CFuncPtr):
    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = c_int


class _LongFunction(_ctypes.CFuncPtr):
    _flags_ = _ctypes.FUNCFLAG_CDECL | _ctypes.FUNCFLAG_USE_ERRNO
    _restype_ = c_long


class _Process:
    """The symbols of the running program (libc among them), as CDLL(None) sees them."""

    def __init__(self) -> None:
        self._handle = _ctypes.dlopen(None, _ctypes.RTLD_LOCAL)


_PROCESS = _Process()


def libc_function(name: str, returns_long: bool = False) -> _ctypes.CFuncPtr:
    """A libc function that saves errno for get_errno(); it returns int (or long)."""
    kind = _LongFunction if returns_long else _IntFunction
    return kind((name, _PROCESS))
