"""A Plan compiled by the system's libseccomp into classic BPF, and the Program that loads
it with one seccomp(2) call."""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure
from runtime.seccomp.plan import (
    _NR_SCMP_ERROR,
    _PR_SET_SECCOMP,
    _SECCOMP_MODE_FILTER,
    _SECCOMP_SET_MODE_FILTER,
    _SYS_SECCOMP,
    NEW_LISTENER,
    Plan,
)
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

_lib: Any = None



def _library() -> Any:
    """libseccomp.so.2 with its prototypes; RuntimeFailure naming linux.seccomp if absent."""
    global _lib
    if _lib is not None:
        return _lib
    import ctypes
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError:
        raise RuntimeFailure("linux.seccomp is set but libseccomp.so.2 cannot be loaded: "
                             "install libseccomp (libseccomp2) or remove linux.seccomp") from None
    ctx = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_init.restype = ctx
    lib.seccomp_release.argtypes = [ctx]
    lib.seccomp_release.restype = None
    lib.seccomp_arch_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_arch_resolve_name.restype = ctypes.c_uint32
    lib.seccomp_arch_add.argtypes = [ctx, ctypes.c_uint32]
    lib.seccomp_arch_add.restype = ctypes.c_int
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_syscall_resolve_name.restype = ctypes.c_int
    lib.seccomp_rule_add_array.argtypes = [ctx, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.c_void_p]
    lib.seccomp_rule_add_array.restype = ctypes.c_int
    lib.seccomp_export_bpf.argtypes = [ctx, ctypes.c_int]
    lib.seccomp_export_bpf.restype = ctypes.c_int
    _lib = lib
    return lib


def available() -> bool:
    """True when libseccomp.so.2 can be loaded."""
    try:
        _library()
    except RuntimeFailure:
        return False
    return True


class Program:
    """An exported classic BPF filter, ready for one seccomp(2) call."""

    def __init__(self, bpf: bytes, flags: int = 0, rules: int = 0) -> None:
        self.bpf = bpf
        self.flags = flags
        self.rules = rules
        self.skipped_syscalls: list[str] = []
        self.skipped_arches: list[str] = []
        self.listener: str | None = None  # listenerPath, for a filter that notifies
        self.metadata = ""
        self._prog: Any = None

    @property
    def instructions(self) -> int:
        return len(self.bpf) // 8

    @property
    def notify(self) -> bool:
        """Whether load() returns a notify fd for the listener (a rule is SCMP_ACT_NOTIFY)."""
        return bool(self.flags & NEW_LISTENER)

    def prepare(self) -> None:
        """Build the sock_fprog now, so load() does nothing but the syscall."""
        if self._prog is not None:
            return
        import ctypes

        class SockFprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        buffer = ctypes.create_string_buffer(self.bpf, len(self.bpf))
        libc = ctypes.CDLL(None, use_errno=True)
        prog = SockFprog(self.instructions, ctypes.cast(buffer, ctypes.c_void_p))
        self._prog = (prog, buffer, libc, ctypes)

    def load(self, tracer: Tracer = NULL_TRACER) -> int:
        """Install the filter on this thread (needs no_new_privs or CAP_SYS_ADMIN); the
        notify fd (close-on-exec) when the filter has a listener, else 0."""
        self.prepare()
        prog, _buffer, libc, ctypes = self._prog

        def install() -> int:
            if self.flags:
                number = _SYS_SECCOMP.get(os.uname().machine)
                if number is None:
                    raise OSError(38, "seccomp filter flags need the seccomp syscall number "
                                  "of this architecture")
                rc = libc.syscall(ctypes.c_long(number), ctypes.c_uint(_SECCOMP_SET_MODE_FILTER),
                                  ctypes.c_uint(self.flags), ctypes.byref(prog))
            else:
                rc = libc.prctl(ctypes.c_int(_PR_SET_SECCOMP),
                                ctypes.c_ulong(_SECCOMP_MODE_FILTER), ctypes.byref(prog),
                                ctypes.c_ulong(0), ctypes.c_ulong(0))
            if rc < 0:
                err = ctypes.get_errno()
                raise OSError(err, os.strerror(err))
            return rc
        try:
            return tracer.call("seccomp", f"seccomp(SECCOMP_SET_MODE_FILTER, {self.flags:#x}, "
                        f"<{self.rules} rules, {self.instructions} BPF instructions>)", install)
        except OSError as exc:
            hint = ""
            if exc.errno == 13:
                hint = " (set process.noNewPrivileges or load it while CAP_SYS_ADMIN is held)"
            elif exc.errno == 22 and self.flags:
                hint = " (this kernel rejects one of linux.seccomp.flags)"
            raise RuntimeFailure(f"linux.seccomp: the filter cannot be loaded: "
                                 f"{exc.strerror}{hint}") from None


class _ArgCmp:  # built lazily: ctypes is not imported at module import time
    type_: Any = None

    @classmethod
    def get(cls) -> Any:
        if cls.type_ is None:
            import ctypes

            class ScmpArgCmp(ctypes.Structure):
                _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                            ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]
            cls.type_ = ScmpArgCmp
        return cls.type_


def compile_plan(filter_plan: Plan, tracer: Tracer = NULL_TRACER) -> Program:
    """Build the filter with libseccomp and export it as BPF; RuntimeFailure on errors."""
    lib = _library()
    cmp_type = _ArgCmp.get()
    ctx = lib.seccomp_init(filter_plan.default_action)
    if not ctx:
        raise RuntimeFailure("linux.seccomp.defaultAction: libseccomp refused the default "
                             "action (is the kernel or library too old for it?)")
    program = Program(b"", filter_plan.flags)
    try:
        for name in filter_plan.arches:
            token = lib.seccomp_arch_resolve_name(name.encode())
            if token == 0:
                program.skipped_arches.append(name)
                continue
            rc = lib.seccomp_arch_add(ctx, token)
            if rc < 0 and rc != -17:  # EEXIST: the native arch is always present
                raise RuntimeFailure(f"linux.seccomp.architectures: cannot add {name}: "
                                     f"{os.strerror(-rc)}")
        numbers: dict[str, int] = {}
        for rule in filter_plan.rules:
            number = numbers.get(rule.syscall)
            if number is None:
                number = lib.seccomp_syscall_resolve_name(rule.syscall.encode())
                numbers[rule.syscall] = number
            if number == _NR_SCMP_ERROR:
                if rule.syscall not in program.skipped_syscalls:
                    program.skipped_syscalls.append(rule.syscall)
                continue
            count = len(rule.conditions)
            array = (cmp_type * max(count, 1))()
            for i, cond in enumerate(rule.conditions):
                array[i].arg, array[i].op = cond.index, cond.op
                array[i].datum_a, array[i].datum_b = cond.a, cond.b
            rc = lib.seccomp_rule_add_array(ctx, rule.action, number, count, array)
            if rc < 0:
                raise RuntimeFailure(f"{rule.where}: libseccomp refused the rule for "
                                     f"{rule.syscall}: {os.strerror(-rc)}")
            program.rules += 1
        program.bpf = _export(lib, ctx)
    finally:
        lib.seccomp_release(ctx)
    tracer.emit("seccomp", f"seccomp_export_bpf(<{program.rules} rules, "
                f"{len(program.skipped_syscalls)} unknown syscalls skipped>)")
    return program


def _export(lib: Any, ctx: Any) -> bytes:
    fd = os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC)
    try:
        rc = lib.seccomp_export_bpf(ctx, fd)
        if rc < 0:
            raise RuntimeFailure(f"linux.seccomp: libseccomp cannot build the filter: "
                                 f"{os.strerror(-rc)}")
        size = os.fstat(fd).st_size
        return os.pread(fd, size, 0)
    finally:
        os.close(fd)
