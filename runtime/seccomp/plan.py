"""linux.seccomp read into a Plan of rules with libseccomp's numbers (pure; refuses bad
input naming the field)."""

from __future__ import annotations

from runtime.errors import RuntimeFailure
from runtime.linux.constants import SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_OPERATORS

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
# Only meaningful together with a notify listener; the kernel rejects it alone (EINVAL).
_LISTENER_ONLY_FLAGS = FLAG_VALUES["SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"]
# Not a config flag: set when a rule notifies, so that seccomp(2) returns the notify fd.
NEW_LISTENER = 8  # SECCOMP_FILTER_FLAG_NEW_LISTENER
# The kernel refuses TSYNC with NEW_LISTENER (EINVAL) unless TSYNC_ESRCH comes too.
_TSYNC_ESRCH = 16
NOTIFY = "SCMP_ACT_NOTIFY"
# The init hands the notify fd to the runtime with these: notified, they would wait for a
# listener that cannot have the fd yet.
_HANDOVER_SYSCALLS = ("write", "sendmsg")

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
        self.listener: str | None = None  # listenerPath, when a rule notifies
        self.metadata = ""  # listenerMetadata


def check_listener(seccomp: dict[str, Any]) -> None:
    """SCMP_ACT_NOTIFY and listenerPath come together (pure: a cheap rule of create)."""
    if not isinstance(seccomp, dict):
        return
    where = "/linux/seccomp/listenerPath"
    if seccomp.get("defaultAction") == NOTIFY:
        raise RuntimeFailure("linux.seccomp.defaultAction cannot be SCMP_ACT_NOTIFY, which "
                             "would stop the runtime's own calls until the listener answers: "
                             "use it on rules for chosen syscalls",
                             pointer="/linux/seccomp/defaultAction")
    notified = [(i, entry) for i, entry in enumerate(seccomp.get("syscalls") or [])
                if isinstance(entry, dict) and entry.get("action") == NOTIFY]
    path = seccomp.get("listenerPath")
    if notified and not path:
        raise RuntimeFailure(f"linux.seccomp.syscalls[{notified[0][0]}] is SCMP_ACT_NOTIFY "
                             "but linux.seccomp.listenerPath is not set: set it to the unix "
                             "socket of the seccomp agent", pointer=where)
    if path and not notified:
        raise RuntimeFailure("linux.seccomp.listenerPath is set but no linux.seccomp.syscalls "
                             "rule is SCMP_ACT_NOTIFY: add one or remove listenerPath",
                             pointer=where)
    for i, entry in notified:
        names = entry.get("names")
        for name in _HANDOVER_SYSCALLS:
            if isinstance(names, list) and name in names:
                raise RuntimeFailure(
                    f"linux.seccomp.syscalls[{i}]: SCMP_ACT_NOTIFY cannot be used for "
                    f"{name}, which the runtime needs to hand the notify fd to the "
                    "listener: use another action for it",
                    pointer=f"/linux/seccomp/syscalls/{i}/names")


def action_value(name: Any, errno_ret: Any, where: str) -> int:
    """libseccomp's number for an action name, with errnoRet (default EPERM) folded in."""
    if name not in SECCOMP_ACTIONS:
        raise RuntimeFailure(f"{where}: {name!r} is not a seccomp action: use one of "
                             f"{', '.join(SECCOMP_ACTIONS)}")
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
    check_listener(seccomp)
    result = Plan(default)
    if seccomp.get("listenerPath"):
        result.listener = seccomp["listenerPath"]
        result.metadata = seccomp.get("listenerMetadata") or ""
        result.flags |= NEW_LISTENER
    for i, name in enumerate(seccomp.get("architectures") or []):
        token = arch_name(name, f"linux.seccomp.architectures[{i}]")
        if token not in result.arches:
            result.arches.append(token)
    for i, name in enumerate(seccomp.get("flags") or []):
        if name not in FLAG_VALUES:
            raise RuntimeFailure(f"linux.seccomp.flags[{i}]: {name!r} is not one of "
                                 f"{', '.join(FLAG_VALUES)}")
        if FLAG_VALUES[name] & _LISTENER_ONLY_FLAGS and result.listener is None:
            result.ignored_flags.append(name)
        else:
            result.flags |= FLAG_VALUES[name]
    if result.listener is not None and result.flags & FLAG_VALUES["SECCOMP_FILTER_FLAG_TSYNC"]:
        result.flags |= _TSYNC_ESRCH
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
