"""Checks of linux.seccomp: actions, errno returns, notify listener, rule shapes."""

from __future__ import annotations

from collections.abc import Iterator

from bundlebench.spec.checks_base import Context, as_dict, as_list
from bundlebench.spec.problems import Problem, error, pointer, warning
from runtime.linux.constants import SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_OPERATORS

_ERRNO_ACTIONS = frozenset({"SCMP_ACT_ERRNO", "SCMP_ACT_TRACE"})
_KILL_ACTIONS = frozenset({"SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD"})
MAX_SYSCALL_ARGS = 6
# What the container's setup calls after the filter is loaded to give the agent its fd.
_HANDOVER_SYSCALLS = ("write", "sendmsg")
_BASE = "/linux/seccomp"


def check_seccomp(ctx: Context) -> Iterator[Problem]:
    seccomp = ctx.section("linux", "seccomp")
    if not seccomp:
        return
    default = seccomp.get("defaultAction")
    yield from _check_action(default, _BASE + "/defaultAction", "defaultAction")
    if default == "SCMP_ACT_NOTIFY":
        yield error(
            _BASE + "/defaultAction",
            "linux.seccomp.defaultAction cannot be SCMP_ACT_NOTIFY.",
            "Use SCMP_ACT_NOTIFY only on rules for chosen syscalls.",
        )
    if "defaultErrnoRet" in seccomp and isinstance(default, str) and default not in _ERRNO_ACTIONS:
        yield error(
            _BASE + "/defaultErrnoRet",
            f"linux.seccomp.defaultErrnoRet is set but defaultAction {default} returns no errno.",
            "Remove defaultErrnoRet, or use SCMP_ACT_ERRNO or SCMP_ACT_TRACE.",
        )
    for index, arch in enumerate(as_list(seccomp.get("architectures"))):
        if isinstance(arch, str) and arch not in SECCOMP_ARCHES:
            yield error(
                pointer("linux", "seccomp", "architectures", index),
                f"linux.seccomp.architectures names {arch!r}, which libseccomp does not know.",
                "Use an SCMP_ARCH_* name such as SCMP_ARCH_X86_64.",
            )
    if "listenerMetadata" in seccomp and "listenerPath" not in seccomp:
        yield error(
            _BASE + "/listenerMetadata",
            "linux.seccomp.listenerMetadata is set without listenerPath.",
            "Set listenerPath to the seccomp agent's socket, or remove listenerMetadata.",
        )
    syscalls = as_list(seccomp.get("syscalls"))
    if default in _KILL_ACTIONS and not syscalls:
        yield warning(
            _BASE + "/defaultAction",
            f"linux.seccomp.defaultAction {default} with no syscalls rules kills the "
            "process at its first system call.",
            "Add rules that allow the syscalls the program needs.",
        )
    notify_used = False
    for index, item in enumerate(syscalls):
        rule = as_dict(item)
        notify_used |= rule.get("action") == "SCMP_ACT_NOTIFY"
        yield from _check_rule(index, rule)
    # The runtime refuses both at listenerPath too (runtime.seccomp.plan.check_listener):
    # at one pointer, validate shows its sentence with this hint.
    if notify_used and not seccomp.get("listenerPath"):
        yield error(
            _BASE + "/listenerPath",
            "linux.seccomp uses SCMP_ACT_NOTIFY but sets no listenerPath.",
            "Set listenerPath to the UNIX socket of the seccomp agent.",
        )
    if seccomp.get("listenerPath") and not notify_used and default != "SCMP_ACT_NOTIFY":
        yield error(
            _BASE + "/listenerPath",
            "linux.seccomp.listenerPath is set but no syscalls rule uses SCMP_ACT_NOTIFY.",
            "Add a rule with SCMP_ACT_NOTIFY for the syscalls the agent handles, or remove "
            "listenerPath.",
        )


def _check_action(action: object, ptr: str, label: str) -> Iterator[Problem]:
    if isinstance(action, str) and action not in SECCOMP_ACTIONS:
        yield error(
            ptr,
            f"linux.seccomp.{label} {action!r} is not a seccomp action.",
            "Use one of " + ", ".join(SECCOMP_ACTIONS) + ".",
        )


def _check_rule(index: int, rule: dict) -> Iterator[Problem]:
    base = pointer("linux", "seccomp", "syscalls", index)
    label = f"syscalls[{index}]"
    names = rule.get("names")
    if isinstance(names, list) and not names:
        yield error(
            base + "/names",
            f"linux.seccomp.{label}.names is empty.",
            "List at least one syscall name.",
        )
    action = rule.get("action")
    yield from _check_action(action, base + "/action", label + ".action")
    if action == "SCMP_ACT_NOTIFY" and isinstance(names, list):
        for name in _HANDOVER_SYSCALLS:
            if name in names:
                yield error(
                    base + "/names",
                    f"linux.seccomp.{label} notifies {name}, which the runtime needs to "
                    "hand the notify fd to the listener.",
                    f"Use another action for {name}.",
                )
    if "errnoRet" in rule and isinstance(action, str) and action not in _ERRNO_ACTIONS:
        yield error(
            base + "/errnoRet",
            f"linux.seccomp.{label}.errnoRet is set but action {action} returns no errno.",
            "Remove errnoRet, or use SCMP_ACT_ERRNO or SCMP_ACT_TRACE.",
        )
    for arg_index, arg in enumerate(as_list(rule.get("args"))):
        entry = as_dict(arg)
        where = f"{base}/args/{arg_index}"
        position, op = entry.get("index"), entry.get("op")
        if isinstance(position, int) and not 0 <= position < MAX_SYSCALL_ARGS:
            yield error(
                where + "/index",
                f"linux.seccomp.{label}.args[{arg_index}].index {position} is not 0..5.",
                "A syscall has at most six arguments, numbered 0 to 5.",
            )
        if isinstance(op, str) and op not in SECCOMP_OPERATORS:
            yield error(
                where + "/op",
                f"linux.seccomp.{label}.args[{arg_index}].op {op!r} is not an operator.",
                "Use one of " + ", ".join(SECCOMP_OPERATORS) + ".",
            )


CHECKS = (check_seccomp,)
