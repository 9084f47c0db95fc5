"""Checks of process: args and the executable, cwd, env, terminal, rlimits, capabilities,
user, scheduler, I/O priority, oom score, CPU affinity."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import Any

from bundlebench.spec.checks_base import Context, as_dict, as_list, is_int, valid_cpu_list
from bundlebench.spec.problems import Problem, as_sentence, error, pointer, warning
from runtime.linux.constants import CAPABILITIES, RLIMITS

# What execvp(3) searches when PATH is unset (glibc's confstr(_CS_PATH)).
DEFAULT_EXEC_PATH = "/bin:/usr/bin"
CAP_SETS = ("bounding", "effective", "inheritable", "permitted", "ambient")
_REALTIME = ("SCHED_FIFO", "SCHED_RR")


def _process(ctx: Context) -> dict[str, Any]:
    return ctx.section("process")


def _env_path(env: list[Any]) -> str | None:
    path = None
    for item in env:
        if isinstance(item, str) and item.startswith("PATH="):
            path = item[5:]  # the last one wins, as in execve's environment
    return path


def check_process_present(ctx: Context) -> Iterator[Problem]:
    if "process" not in ctx.config:
        yield error(
            "/process",
            "process is missing; a container cannot be started without one.",
            'Add a "process" with at least "args" and "cwd" (see `bundlebench spec`).',
        )


def check_args(ctx: Context) -> Iterator[Problem]:
    if "process" not in ctx.config:
        return
    process = _process(ctx)
    args = process.get("args", [])
    if not isinstance(args, list):
        return  # a wrong type is the schema's to report
    if not args:
        yield error(
            "/process/args",
            "process.args is empty; it needs at least the program to run.",
            'Set it to the command and its arguments, e.g. ["sh"].',
        )
        return
    program = args[0]
    if not isinstance(program, str):
        return
    if program == "":
        yield error("/process/args/0", "process.args[0] is empty.", "Name the program to run.")
        return
    yield from _check_executable(ctx, program, process)


def _check_executable(ctx: Context, program: str, process: dict[str, Any]) -> Iterator[Problem]:
    """The runtime's own lookup (and sentence), run against the rootfs from outside."""
    if ctx.rootfs is None:
        return  # root.path is reported by its own check
    from runtime.config import env_list_to_dict
    from runtime.errors import RuntimeFailure
    from runtime.process.setup import find_executable

    cwd = process.get("cwd") if isinstance(process.get("cwd"), str) else "/"
    env = env_list_to_dict([e for e in as_list(process.get("env")) if isinstance(e, str)])

    def entry(candidate: str) -> Any:
        return ctx.stat_in_rootfs(posixpath.join(cwd, candidate))

    def is_exec(candidate: str) -> bool:
        found = entry(candidate)
        return found is not None and found.kind == "file" and bool(found.mode & 0o111)

    try:
        find_executable(program, env, exists=lambda c: entry(c) is not None, is_exec=is_exec)
    except RuntimeFailure as failure:
        yield error(
            "/process/args/0",
            as_sentence(str(failure)),
            "Install the program in the rootfs (or give its path inside it) and make it an "
            "executable regular file.",
        )


def check_cwd(ctx: Context) -> Iterator[Problem]:
    cwd = _process(ctx).get("cwd")
    if not isinstance(cwd, str):
        return
    if not cwd.startswith("/"):
        yield error(
            "/process/cwd",
            f"process.cwd {cwd!r} is not an absolute path.",
            f'Write it from the container\'s root, e.g. "/{cwd}".',
        )
        return
    entry = ctx.stat_in_rootfs(cwd)
    if entry is not None and entry.kind != "dir":  # a missing cwd is created by the runtime
        yield error(
            "/process/cwd",
            f"process.cwd {cwd} is a {entry.kind} in the rootfs, not a directory.",
            "Choose a directory as the working directory.",
        )


def check_env(ctx: Context) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, item in enumerate(as_list(_process(ctx).get("env"))):
        if not isinstance(item, str):
            continue
        ptr = pointer("process", "env", index)
        key, sep, _ = item.partition("=")
        if not sep or not key:
            yield error(
                ptr,
                f"process.env entry {item!r} is not of the form KEY=value.",
                "Write it as NAME=value (an empty value is written NAME=).",
            )
            continue
        if key in seen:
            yield warning(
                ptr,
                f"process.env sets {key} again (first at index {seen[key]}); the last one wins.",
                "Keep one entry per variable.",
            )
        else:
            seen[key] = index


def check_console_size(ctx: Context) -> Iterator[Problem]:
    process = _process(ctx)
    if "consoleSize" in process and process.get("terminal") is not True:
        yield warning(
            "/process/consoleSize",
            "process.consoleSize is set but process.terminal is not true, so it is ignored.",
            "Set process.terminal to true, or remove consoleSize.",
        )


def check_rlimits(ctx: Context) -> Iterator[Problem]:
    seen: dict[str, int] = {}
    for index, item in enumerate(as_list(_process(ctx).get("rlimits"))):
        rlimit = as_dict(item)
        kind = rlimit.get("type")
        ptr = pointer("process", "rlimits", index)
        if isinstance(kind, str):
            if kind not in RLIMITS:
                yield error(
                    ptr + "/type",
                    f"process.rlimits type {kind!r} is not a Linux resource limit.",
                    "Use one of " + ", ".join(RLIMITS) + ".",
                )
            elif kind in seen:
                yield error(
                    ptr + "/type",
                    f"process.rlimits sets {kind} twice (first at index {seen[kind]}).",
                    "Keep one entry per limit type.",
                )
            else:
                seen[kind] = index
        soft, hard = rlimit.get("soft"), rlimit.get("hard")
        if is_int(soft) and is_int(hard) and soft > hard:
            yield error(
                ptr + "/soft",
                f"process.rlimits {kind} soft limit {soft} is above its hard limit {hard}.",
                "Lower soft to at most hard, or raise hard.",
            )


def check_capabilities(ctx: Context) -> Iterator[Problem]:
    caps = as_dict(_process(ctx).get("capabilities"))
    for name in CAP_SETS:
        seen: set[str] = set()
        for index, cap in enumerate(as_list(caps.get(name))):
            if not isinstance(cap, str):
                continue
            ptr = pointer("process", "capabilities", name, index)
            if cap not in CAPABILITIES:
                yield warning(
                    ptr,
                    f"process.capabilities.{name} names {cap!r}, which is not a Linux capability.",
                    "Use a name from capabilities(7), e.g. CAP_NET_BIND_SERVICE.",
                )
            elif cap in seen:
                yield warning(
                    ptr,
                    f"process.capabilities.{name} lists {cap} twice.",
                    "Remove the duplicate.",
                )
            seen.add(cap)
    permitted = {c for c in as_list(caps.get("permitted")) if isinstance(c, str)}
    for index, cap in enumerate(as_list(caps.get("effective"))):
        if isinstance(cap, str) and cap in CAPABILITIES and cap not in permitted:
            yield error(
                pointer("process", "capabilities", "effective", index),
                f"process.capabilities.effective has {cap}, which is not in permitted.",
                "Add it to permitted too: the kernel refuses an effective capability "
                "that is not permitted.",
            )


def check_user_mapped(ctx: Context) -> Iterator[Problem]:
    if not ctx.creates_namespace("user"):
        return
    user = as_dict(_process(ctx).get("user"))
    linux = ctx.section("linux")
    for field, maps in (("uid", "uidMappings"), ("gid", "gidMappings")):
        ranges = _ranges(linux.get(maps))
        if not ranges:
            continue
        ids = [(field, field, user.get(field))]
        if field == "gid":
            ids += [
                (f"additionalGids/{i}", f"additionalGids[{i}]", gid)
                for i, gid in enumerate(as_list(user.get("additionalGids")))
            ]
        for where, label, value in ids:
            if is_int(value) and not any(lo <= value < hi for lo, hi in ranges):
                yield error(
                    "/process/user/" + where,
                    f"process.user.{label} {value} is not mapped by linux.{maps}.",
                    f"Run as an id inside linux.{maps}, or extend the mapping.",
                )


def _ranges(mappings: Any) -> list[tuple[int, int]]:
    ranges = []
    for item in as_list(mappings):
        start, size = as_dict(item).get("containerID"), as_dict(item).get("size")
        if is_int(start) and is_int(size):
            ranges.append((start, start + size))
    return ranges


def check_oom_score_adj(ctx: Context) -> Iterator[Problem]:
    value = _process(ctx).get("oomScoreAdj")
    if is_int(value) and not -1000 <= value <= 1000:
        yield error(
            "/process/oomScoreAdj",
            f"process.oomScoreAdj {value} is outside -1000..1000.",
            "Use a value from -1000 (never kill) to 1000 (kill first).",
        )


def check_scheduler(ctx: Context) -> Iterator[Problem]:
    sched = as_dict(_process(ctx).get("scheduler"))
    policy = sched.get("policy")
    if not isinstance(policy, str):
        return
    base = "/process/scheduler"
    priority, nice = sched.get("priority", 0), sched.get("nice", 0)
    if policy == "SCHED_ISO":
        yield warning(
            base + "/policy",
            "process.scheduler.policy SCHED_ISO does not exist in mainline Linux.",
            "Use SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_FIFO, SCHED_RR or SCHED_DEADLINE.",
        )
    if is_int(priority):
        if policy in _REALTIME and not 1 <= priority <= 99:
            yield error(
                base + "/priority",
                f"process.scheduler.priority {priority} is outside 1..99, required by {policy}.",
                "Set a priority from 1 (lowest) to 99 (highest).",
            )
        elif policy not in _REALTIME and priority != 0:
            yield error(
                base + "/priority",
                f"process.scheduler.priority must be 0 with {policy}, not {priority}.",
                "Remove priority, or use SCHED_FIFO or SCHED_RR.",
            )
    if is_int(nice) and not -20 <= nice <= 19:
        yield error(
            base + "/nice",
            f"process.scheduler.nice {nice} is outside -20..19.",
            "Use a nice value from -20 (favoured) to 19.",
        )
    if policy == "SCHED_DEADLINE":
        runtime, deadline, period = (sched.get(k, 0) for k in ("runtime", "deadline", "period"))
        if all(is_int(v) for v in (runtime, deadline, period)) and (
            runtime > deadline or (period and deadline > period) or deadline == 0
        ):
            yield error(
                base,
                "process.scheduler with SCHED_DEADLINE needs runtime <= deadline <= period "
                "and a non-zero deadline.",
                "Set runtime, deadline and period (nanoseconds) in that order of size.",
            )


def check_io_priority(ctx: Context) -> Iterator[Problem]:
    value = as_dict(_process(ctx).get("ioPriority")).get("priority")
    if is_int(value) and not 0 <= value <= 7:
        yield error(
            "/process/ioPriority/priority",
            f"process.ioPriority.priority {value} is outside 0..7.",
            "Use 0 (highest) to 7 (lowest).",
        )


def check_exec_cpu_affinity(ctx: Context) -> Iterator[Problem]:
    affinity = as_dict(_process(ctx).get("execCPUAffinity"))
    for field in ("initial", "final"):
        value = affinity.get(field)
        if isinstance(value, str) and value and not valid_cpu_list(value):
            yield error(
                pointer("process", "execCPUAffinity", field),
                f"process.execCPUAffinity.{field} {value!r} is not a CPU list.",
                'Write CPUs and ranges separated by commas, e.g. "0-3,7".',
            )


CHECKS = (
    check_process_present,
    check_args,
    check_cwd,
    check_env,
    check_console_size,
    check_rlimits,
    check_capabilities,
    check_user_mapped,
    check_oom_score_adj,
    check_scheduler,
    check_io_priority,
    check_exec_cpu_affinity,
)
