"""linux.seccomp through the system's libseccomp, loaded as late as possible.

Three steps, so that each can run where it belongs:

- ``plan(seccomp)``: pure. Reads the config into a ``Plan`` of ``Rule`` objects with
  libseccomp's action and operator numbers; refuses bad input naming the field.
- ``compile_plan(plan)``: ctypes on libseccomp.so.2. Builds the filter (default action,
  architectures, rules; unknown syscall names skipped as runc does) and exports it as a
  classic BPF program. Run it in the runtime parent before fork: the container never
  needs the library, and the rootfs need not contain it.
- ``Program.load()``: one seccomp(2) (or prctl) call with the exported program and the
  config's filter flags. Call it last, after no_new_privs, right before execve.
"""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure
from runtime.linux.constants import SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_OPERATORS
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


# libseccomp action values (seccomp.h); ERRNO and TRACE carry 16 bits of data.
ACTION_VALUES: dict[str, int] = {
    "SCMP_ACT_KILL": 0x00000000,
    "SCMP_ACT_KILL_THREAD": 0x00000000,
    "SCMP_ACT_KILL_PROCESS": 0x80000000,
    "SCMP_ACT_TRAP": 0x00030000,
    "SCMP_ACT_ERRNO": 0x00050000,
    "SCMP_ACT_TRACE": 0x7FF00000,
    "SCMP_ACT_LOG": 0x7FFC0000,
    "SCMP_ACT_ALLOW": 0x7FFF0000,
    "SCMP_ACT_NOTIFY": 0x7FC00000,
}
_WITH_DATA = ("SCMP_ACT_ERRNO", "SCMP_ACT_TRACE")
EPERM = 1

# enum scmp_compare
OPERATOR_VALUES: dict[str, int] = {name: index + 1 for index, name in enumerate(SECCOMP_OPERATORS)}

# Kernel SECCOMP_FILTER_FLAG_* bits passed to seccomp(2).
FLAG_VALUES: dict[str, int] = {
    "SECCOMP_FILTER_FLAG_TSYNC": 1,
    "SECCOMP_FILTER_FLAG_LOG": 2,
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW": 4,
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV": 32,
}
# Only meaningful together with a notify listener, which we refuse; the kernel rejects
# it alone with EINVAL.
_LISTENER_ONLY_FLAGS = FLAG_VALUES["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]

MAX_ARGS = 6
_U64 = (1 << 64) - 1
_NR_SCMP_ERROR = -1
_SECCOMP_SET_MODE_FILTER = 1
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SYS_SECCOMP = {"x86_64": 317, "aarch64": 277, "riscv64": 277, "i686": 354, "i386": 354,
                "armv7l": 383, "armv8l": 383, "ppc64le": 358, "ppc64": 358, "s390x": 348}


class Condition:
    """One struct scmp_arg_cmp: arg index, operator number, datum_a, datum_b."""

    __slots__ = ("index", "op", "a", "b")

    def __init__(self, index: int, op: int, a: int, b: int = 0) -> None:
        self.index, self.op, self.a, self.b = index, op, a, b

    def _key(self) -> tuple[int, int, int, int]:
        return (self.index, self.op, self.a, self.b)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Condition) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"Condition(index={self.index}, op={self.op}, a={self.a:#x}, b={self.b:#x})"


class Rule:
    """One seccomp_rule_add_array call; `where` names the config entry for errors."""

    __slots__ = ("syscall", "action", "conditions", "where")

    def __init__(self, syscall: str, action: int, conditions: tuple[Condition, ...] = (),
                 where: str = "") -> None:
        self.syscall, self.action, self.conditions, self.where = (syscall, action, conditions,
                                                                  where)

    def __repr__(self) -> str:
        return f"Rule({self.syscall!r}, {self.action:#x}, {self.conditions!r})"


class Plan:
    """What the filter will be, before libseccomp is asked to build it."""

    def __init__(self, default_action: int) -> None:
        self.default_action = default_action
        self.arches: list[str] = []
        self.flags = 0
        self.rules: list[Rule] = []
        self.ignored_flags: list[str] = []


def action_value(name: Any, errno_ret: Any, where: str) -> int:
    """libseccomp's number for an action name, with errnoRet (default EPERM) folded in."""
    if name not in SECCOMP_ACTIONS:
        raise RuntimeFailure(f"{where}: {name!r} is not a seccomp action: use one of "
                             f"{', '.join(SECCOMP_ACTIONS)}")
    if name == "SCMP_ACT_NOTIFY":
        raise RuntimeFailure(f"{where}: SCMP_ACT_NOTIFY (linux.seccomp.listenerPath) is not "
                             "supported by bundlebench-runtime: use another action")
    value = ACTION_VALUES[name]
    if name in _WITH_DATA:
        ret = EPERM if errno_ret is None else errno_ret
        if not isinstance(ret, int) or isinstance(ret, bool) or not 0 <= ret <= 0xFFFF:
            raise RuntimeFailure(f"{where}: errnoRet {errno_ret!r} must be a number 0-65535")
        value |= ret
    return value


def arch_name(name: Any, where: str) -> str:
    """The libseccomp token name ('x86_64') of an SCMP_ARCH_* name."""
    if name not in SECCOMP_ARCHES:
        raise RuntimeFailure(f"{where}: {name!r} is not a seccomp architecture such as "
                             "SCMP_ARCH_X86_64")
    return name[len("SCMP_ARCH_"):].lower()


def _uint64(value: Any, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= _U64:
        raise RuntimeFailure(f"{where} must be an unsigned 64-bit number, not {value!r}")
    return value


def conditions_of(args: list[Any], where: str) -> list[tuple[Condition, ...]]:
    """The condition groups of one syscalls entry: one rule per group.

    libseccomp cannot compare the same argument twice in one rule, so, as runc does,
    when an index repeats every condition becomes its own rule (they are ORed).
    """
    conditions = []
    for i, arg in enumerate(args):
        here = f"{where}.args[{i}]"
        if not isinstance(arg, dict):
            raise RuntimeFailure(f"{here} must be an object with index, value and op")
        index = arg.get("index")
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < MAX_ARGS:
            raise RuntimeFailure(f"{here}.index {index!r} must be 0-{MAX_ARGS - 1}")
        op = arg.get("op")
        if op not in OPERATOR_VALUES:
            raise RuntimeFailure(f"{here}.op {op!r} is not one of "
                                 f"{', '.join(SECCOMP_OPERATORS)}")
        value = _uint64(arg.get("value", 0), f"{here}.value")
        value_two = _uint64(arg.get("valueTwo", 0), f"{here}.valueTwo")
        conditions.append(Condition(index, OPERATOR_VALUES[op], value, value_two))
    if not conditions:
        return [()]
    indexes = [c.index for c in conditions]
    if len(set(indexes)) != len(indexes):
        return [(c,) for c in conditions]
    return [tuple(conditions)]


def plan(seccomp: dict[str, Any]) -> Plan:
    """Turn linux.seccomp into a Plan; RuntimeFailure names the bad field."""
    if not isinstance(seccomp, dict):
        raise RuntimeFailure("linux.seccomp must be an object")
    default = action_value(seccomp.get("defaultAction"), seccomp.get("defaultErrnoRet"),
                           "linux.seccomp.defaultAction")
    if seccomp.get("listenerPath"):
        raise RuntimeFailure("linux.seccomp.listenerPath: seccomp user notification is not "
                             "supported by bundlebench-runtime: remove it and SCMP_ACT_NOTIFY")
    result = Plan(default)
    for i, name in enumerate(seccomp.get("architectures") or []):
        token = arch_name(name, f"linux.seccomp.architectures[{i}]")
        if token not in result.arches:
            result.arches.append(token)
    for i, name in enumerate(seccomp.get("flags") or []):
        if name not in FLAG_VALUES:
            raise RuntimeFailure(f"linux.seccomp.flags[{i}]: {name!r} is not one of "
                                 f"{', '.join(FLAG_VALUES)}")
        if FLAG_VALUES[name] & _LISTENER_ONLY_FLAGS:
            result.ignored_flags.append(name)
        else:
            result.flags |= FLAG_VALUES[name]
    for i, entry in enumerate(seccomp.get("syscalls") or []):
        where = f"linux.seccomp.syscalls[{i}]"
        if not isinstance(entry, dict):
            raise RuntimeFailure(f"{where} must be an object with names and action")
        names = entry.get("names")
        if not isinstance(names, list) or not names or not all(
                isinstance(n, str) and n for n in names):
            raise RuntimeFailure(f"{where}.names must be a non-empty list of syscall names")
        action = action_value(entry.get("action"), entry.get("errnoRet"), f"{where}.action")
        groups = conditions_of(entry.get("args") or [], where)
        if action == default:
            continue  # runc skips these; libseccomp would refuse them
        for name in names:
            for group in groups:
                result.rules.append(Rule(name, action, group, where))
    return result


# --- libseccomp through ctypes -------------------------------------------------------

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
        self._prog: Any = None

    @property
    def instructions(self) -> int:
        return len(self.bpf) // 8

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

    def load(self, tracer: Tracer = NULL_TRACER) -> None:
        """Install the filter on this thread (needs no_new_privs or CAP_SYS_ADMIN)."""
        self.prepare()
        prog, _buffer, libc, ctypes = self._prog

        def install() -> None:
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
        try:
            tracer.call("seccomp", f"seccomp(SECCOMP_SET_MODE_FILTER, {self.flags:#x}, "
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


def prepare(config: dict[str, Any], tracer: Tracer = NULL_TRACER,
            cache_dir: str | None = None) -> Program | None:
    """plan + compile for a whole config; None when linux.seccomp is absent.

    With cache_dir (a directory only the runtime's user can write, such as a private
    dir under the runtime root) the exported BPF is kept per profile, so a second start
    with the same profile skips libseccomp entirely.
    """
    seccomp = (config.get("linux") or {}).get("seccomp")
    if seccomp is None:
        return None
    filter_plan = plan(seccomp)
    path = _cache_path(seccomp, cache_dir) if cache_dir else None
    program = _cache_read(path, filter_plan) if path else None
    if program is None:
        program = compile_plan(filter_plan, tracer)
        if path:
            _cache_write(path, program)
    else:
        tracer.emit("seccomp", f"<{program.rules} rules from the BPF cache>")
    program.prepare()
    return program


_CACHE_VERSION = "1"


def _cache_path(seccomp: dict[str, Any], cache_dir: str) -> str | None:
    import hashlib

    from runtime.jsonlite import dumps
    try:
        st = os.lstat(cache_dir)
    except OSError:
        return None
    # A filter read from a directory someone else can write would be theirs, not ours.
    if not (st.st_mode & 0o170000 == 0o040000 and st.st_uid == os.geteuid()
            and not st.st_mode & 0o022):
        return None
    uname = os.uname()
    key = f"{_CACHE_VERSION}\0{uname.machine}\0{uname.release}\0{dumps(seccomp)}"
    return os.path.join(cache_dir, hashlib.sha256(key.encode()).hexdigest() + ".bpf")


def _cache_read(path: str, filter_plan: Plan) -> Program | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid() or st.st_mode & 0o022 or st.st_size > 1 << 22:
            return None
        data = os.read(fd, st.st_size)
    finally:
        os.close(fd)
    head, _, bpf = data.partition(b"\n")
    if not head.isdigit() or not bpf or len(bpf) % 8:
        return None
    return Program(bpf, filter_plan.flags, int(head))


def _cache_write(path: str, program: Program) -> None:
    from runtime.atomic import write_file

    try:  # noqa: SIM105 (contextlib stays off the container start path)
        write_file(path, str(program.rules).encode() + b"\n" + program.bpf, 0o600)
    except OSError:
        pass  # a cache that cannot be written only makes the next start slower


def features() -> dict[str, Any]:
    """The linux.seccomp object of the runtime-spec features document."""
    if not available():
        return {"enabled": False}
    return {
        "enabled": True,
        "actions": [a for a in SECCOMP_ACTIONS if a != "SCMP_ACT_NOTIFY"],
        "operators": list(SECCOMP_OPERATORS),
        "archs": list(SECCOMP_ARCHES),
        "knownFlags": list(FLAG_VALUES),
        "supportedFlags": [f for f in FLAG_VALUES if not FLAG_VALUES[f] & _LISTENER_ONLY_FLAGS],
    }
