"""What each step of the runtime's setup trace means, and which config field caused it.

The runtime only states facts (runtime/trace.py: step id, syscall, result, duration);
the words that explain them live here, next to the field docs in bundlebench.spec.docs.
``explain(event, config)`` gives a step's title, explanation and the JSON Pointer of
the config field behind that one event (for example /mounts/3 for one mount).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from runtime.trace import began


@dataclass(frozen=True)
class StepDoc:
    """One kind of setup step: a title, what it does and why, and its usual field."""

    step: str
    title: str
    explanation: str
    pointer: str


_DOCS = (
    StepDoc("namespace", "Namespaces",
            "The container gets its own view of the system: unshare(2) creates the new "
            "namespaces listed in the config (or setns(2) joins existing ones by path). From "
            "here on, mounts, hostnames, pids and networks it changes are its own.",
            "/linux/namespaces"),
    StepDoc("userns", "User namespace ids",
            "The parent writes uid_map and gid_map for the new user namespace: which ids "
            "inside are which ids outside. Writing 'deny' to setgroups first is what lets an "
            "unprivileged user write a gid map.",
            "/linux/uidMappings"),
    StepDoc("propagation", "Mount propagation",
            "Mounts are made private or slave so that what the container mounts does not leak "
            "back to the host, and host mounts do not appear inside unless asked.",
            "/linux/rootfsPropagation"),
    StepDoc("rootfs", "Root filesystem bind",
            "The rootfs directory is bind-mounted onto itself so that it is a mount point, "
            "which pivot_root(2) requires.",
            "/root/path"),
    StepDoc("mount", "Mount",
            "One entry of the config's mounts is mounted at its destination inside the rootfs "
            "(the runtime resolves the destination inside the root, never following a symlink "
            "out of it).",
            "/mounts"),
    StepDoc("tmpcopyup", "tmpfs copy-up",
            "A tmpfs mount with tmpcopyup starts with a copy of what it covers: the runtime "
            "makes the tmpfs detached, copies the directory into it (owners, modes, links as "
            "links) and only then moves it over the directory.",
            "/mounts"),
    StepDoc("loopback", "Loopback up",
            "A new network namespace has only lo, and it is down: the runtime sets it up "
            "over rtnetlink, as `ip link set lo up` would, so 127.0.0.1 works inside.",
            "/linux/namespaces"),
    StepDoc("remount", "Remount with flags",
            "A bind mount takes flags like read-only only on a second mount call with "
            "MS_REMOUNT, so the runtime mounts first and then remounts.",
            "/mounts"),
    StepDoc("mount_setattr", "Mount attributes",
            "mount_setattr(2) changes the attributes (such as id mapping or propagation) of a "
            "whole mount tree at once.",
            "/mounts"),
    StepDoc("device", "Device node",
            "A device the container may use is created in its /dev: mknod(2) as root, or a "
            "bind mount of the host's node when mknod is not allowed (in a user namespace).",
            "/linux/devices"),
    StepDoc("symlink", "Standard /dev links",
            "The links every Linux program expects (/dev/fd, /dev/stdin, /dev/ptmx...) are "
            "created in the container's /dev. The spec asks for them; no field controls them.",
            "/linux/devices"),
    StepDoc("hostname", "Hostname",
            "sethostname(2) in the container's own UTS namespace: the host keeps its name.",
            "/hostname"),
    StepDoc("pivot_root", "Switch root",
            "pivot_root(2) makes the rootfs the new / and the old root is unmounted, so "
            "nothing of the host's filesystem stays reachable.",
            "/root/path"),
    StepDoc("move_root", "Move root",
            "Without pivot_root (no mount namespace, or --no-pivot) the rootfs is moved onto / "
            "with MS_MOVE; weaker, since the old root may still be reachable.",
            "/root/path"),
    StepDoc("chroot", "chroot",
            "chroot(2) into the moved root: the fallback when pivot_root cannot be used.",
            "/root/path"),
    StepDoc("console", "Terminal",
            "With process.terminal the runtime opens a pty from the container's own devpts, "
            "binds it on /dev/console, makes it the controlling terminal, and sends the "
            "master to whoever holds the console socket.",
            "/process/terminal"),
    StepDoc("readonly", "Read-only",
            "A path is made read-only by bind-mounting it on itself and remounting it with "
            "MS_RDONLY; for / this is root.readonly.",
            "/linux/readonlyPaths"),
    StepDoc("masked", "Masked path",
            "A sensitive path (like /proc/kcore) is hidden: /dev/null is bound over a file, an "
            "empty read-only tmpfs over a directory.",
            "/linux/maskedPaths"),
    StepDoc("sysctl", "Kernel parameter",
            "A namespaced kernel parameter is written under /proc/sys, inside the container's "
            "namespaces only.",
            "/linux/sysctl"),
    StepDoc("lsm", "Security module label",
            "The AppArmor profile or SELinux label for the next exec is written to /proc.",
            "/process/apparmorProfile"),
    StepDoc("personality", "Personality",
            "personality(2) sets the execution domain, e.g. 32-bit uname output.",
            "/linux/personality"),
    StepDoc("cgroups", "Control group",
            "The container's cgroup is created and its resource limits written, then the "
            "process joins it: this is where memory, CPU and pids limits take effect.",
            "/linux/resources"),
    StepDoc("rlimit", "Resource limit",
            "setrlimit(2) for one entry of process.rlimits; limits are inherited by every "
            "process the container starts.",
            "/process/rlimits"),
    StepDoc("oom_score_adj", "OOM score",
            "How willing the kernel's out-of-memory killer is to pick this process.",
            "/process/oomScoreAdj"),
    StepDoc("capabilities", "Capabilities",
            "Root's power is split into capabilities. Every capability not in the bounding "
            "set is dropped for good (PR_CAPBSET_DROP), then capset(2) sets the effective, "
            "permitted and inheritable sets.",
            "/process/capabilities"),
    StepDoc("user", "User and groups",
            "The process becomes the configured uid and gid (setresuid/setresgid) and takes "
            "its additional groups.",
            "/process/user"),
    StepDoc("cwd", "Working directory",
            "chdir(2) into process.cwd, checked to lie inside the container.",
            "/process/cwd"),
    StepDoc("no_new_privs", "No new privileges",
            "PR_SET_NO_NEW_PRIVS: setuid binaries and file capabilities can no longer raise "
            "the process's privileges; also what lets an unprivileged process install "
            "seccomp filters.",
            "/process/noNewPrivileges"),
    StepDoc("seccomp", "Seccomp filter",
            "A BPF program that the kernel runs on every system call of the container: the "
            "config's syscall rules compiled and installed, last, just before exec.",
            "/linux/seccomp"),
    StepDoc("seccomp_notify", "Seccomp listener",
            "The filter has SCMP_ACT_NOTIFY rules, so loading it gave a notify fd. Right "
            "after the load the process handed that fd to the runtime, which sent it with "
            "the container's state to the agent at listenerPath: from then on the agent "
            "answers the notified system calls, which wait until it does.",
            "/linux/seccomp/listenerPath"),
    StepDoc("hook", "Hook",
            "A program from the config's hooks ran at this point of the lifecycle, with the "
            "container's state on its standard input.",
            "/hooks"),
    StepDoc("not_applied", "Not applied",
            "These fields of the config were accepted but not applied by this version of the "
            "embedded runtime: the container runs without them. Check whether it needs them "
            "before trusting it with anything (runc applies them).",
            "/linux"),
    StepDoc("exec_helper", "Sealed exec helper",
            "A tiny static program is written to a memfd and sealed against writes. The "
            "runtime execs it, and it execs the container's program, so that anything in "
            "the container that reaches /proc/self/exe meanwhile finds that sealed copy, "
            "not the host's Python interpreter it could overwrite (CVE-2019-5736).",
            "/process/args"),
    StepDoc("umask", "File mode mask",
            "umask(2) sets which permission bits new files and directories of the "
            "container's program leave out (process.user.umask, 022 by default).",
            "/process/user/umask"),
    StepDoc("write", "Kernel file write",
            "One write to a file of /proc or /sys that the kernel reads as a setting.",
            ""),
    StepDoc("prctl", "Process control",
            "prctl(2) changes one attribute of this process for the kernel.", ""),
    StepDoc("ioctl", "Device control",
            "ioctl(2) asks a device (here a terminal or a namespace fd) to change one "
            "setting.", ""),
    StepDoc("open", "Open",
            "A file is opened for the steps that follow to act on, through the fd rather "
            "than a path that could be swapped meanwhile.", ""),
    StepDoc("close_fds", "Close inherited fds",
            "Every file descriptor above the standard ones is closed, so that nothing of "
            "the runtime or the host reaches the container's program.", ""),
    StepDoc("signals", "Signal defaults",
            "Signals the runtime ignored or blocked are reset to their defaults: an ignored "
            "signal would stay ignored across execve.", ""),
    StepDoc("fork", "Fork",
            "fork(2) makes a copy of this process to take the next stage of the setup.",
            ""),
    StepDoc("setsid", "New session",
            "setsid(2) makes the process the leader of a new session, without a "
            "controlling terminal of the host's.", ""),
    StepDoc("exec", "Exec",
            "execve(2) replaces the runtime's code with the container's program (through "
            "the sealed helper): from now on it is process.args running with everything "
            "set up above.",
            "/process/args"),
)

STEPS: dict[str, StepDoc] = {doc.step: doc for doc in _DOCS}
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_RLIMIT = re.compile(r"setrlimit\((RLIMIT_\w+)")
_HOOK = re.compile(r"^(\w+)\[(\d+)\]")


def step_doc(step: str) -> StepDoc:
    """The doc of a step id; an unknown id gets a plain stand-in."""
    return STEPS.get(step) or StepDoc(step, step.replace("_", " ").capitalize(),
                                      "A setup step this version of bundlebench has no words "
                                      "for yet.", "")


def _index(items: Any, match: Any) -> int | None:
    if not isinstance(items, list):
        return None
    for index, item in enumerate(items):
        if isinstance(item, dict) and match(item):
            return index
    return None


def pointer_for(event: dict[str, Any], config: dict[str, Any] | None) -> str:
    """The JSON Pointer of the config field that caused this one event."""
    step = str(event.get("step", ""))
    syscall = str(event.get("syscall", ""))
    doc = step_doc(step)
    config = config or {}
    linux = config.get("linux") if isinstance(config.get("linux"), dict) else {}
    quoted = _QUOTED.findall(syscall)
    if step in ("mount", "remount", "mount_setattr"):
        target = quoted[1] if step == "mount" and len(quoted) > 1 else (quoted[:1] or [""])[0]
        if step == "mount" and syscall.startswith("mount(NULL"):
            target = quoted[0] if quoted else ""
        index = _mount_index(config.get("mounts"), target)
        return f"/mounts/{index}" if index is not None else "/mounts"
    if step == "device" and quoted:
        index = _index(linux.get("devices"), lambda d: d.get("path") == quoted[0])
        return f"/linux/devices/{index}" if index is not None else doc.pointer
    if step == "hostname":
        return "/domainname" if "setdomainname" in syscall else "/hostname"
    if step == "userns":
        return "/linux/gidMappings" if "gid_map" in syscall or "setgroups" in syscall \
            else "/linux/uidMappings"
    if step == "rlimit":
        found = _RLIMIT.search(syscall)
        if found:
            index = _index(config.get("process", {}).get("rlimits"),
                           lambda r: r.get("type") == found.group(1))
            if index is not None:
                return f"/process/rlimits/{index}"
    if step == "readonly" and quoted and quoted[0] == "/":
        return "/root/readonly"
    if step == "readonly" and quoted:
        return _path_index(linux.get("readonlyPaths"), quoted[0], doc.pointer)
    if step == "masked" and len(quoted) > 1:
        return _path_index(linux.get("maskedPaths"), quoted[1], doc.pointer)
    if step == "lsm" and "attr/exec" in syscall and "apparmor" not in syscall:
        return "/process/selinuxLabel"
    if step == "hook":
        found = _HOOK.match(syscall)
        if found:
            return f"/hooks/{found.group(1)}/{found.group(2)}"
    if step == "not_applied" and syscall:
        first = syscall.split(",")[0].strip()
        return "/" + first.replace(".", "/") if first else doc.pointer
    if step == "namespace" and "setns" in syscall:
        kind = syscall.split("<", 1)[-1].split(" ", 1)[0]
        index = _index(linux.get("namespaces"), lambda n: n.get("type") == kind)
        return f"/linux/namespaces/{index}" if index is not None else doc.pointer
    return doc.pointer


def _mount_index(mounts: Any, target: str) -> int | None:
    """The mount whose destination is ``target``, else the closest one above it (the
    runtime adds mounts under some, e.g. one per cgroup controller)."""
    if not isinstance(mounts, list) or not target.startswith("/"):
        return None
    best, best_length = None, -1
    for index, mount in enumerate(mounts):
        if not isinstance(mount, dict):
            continue
        destination = str(mount.get("destination", "")).rstrip("/") or "/"
        if target.rstrip("/") == destination:
            return index
        if destination != "/" and target.startswith(destination + "/") \
                and len(destination) > best_length:
            best, best_length = index, len(destination)
    return best


def _path_index(paths: Any, path: str, fallback: str) -> str:
    if isinstance(paths, list) and path in paths:
        return f"{fallback}/{paths.index(path)}"
    return fallback


@dataclass(frozen=True)
class ExplainedStep:
    """One trace event with our words and its config field."""

    step: str
    title: str
    syscall: str
    result: str
    micros: int
    explanation: str
    pointer: str
    pid: int = 0
    # When the step began, in ms after the first step began (None: an old trace without t).
    at_ms: float | None = None

    @property
    def ok(self) -> bool:
        return self.result == "ok"


def explain(events: list[dict[str, Any]], config: dict[str, Any] | None) -> list[ExplainedStep]:
    """Every trace event with its title, explanation and config pointer, in order."""
    rows = []
    starts = [began(event) for event in events]
    first = min((t for t in starts if t is not None), default=None)
    for event, start in zip(events, starts, strict=True):
        doc = step_doc(str(event.get("step", "")))
        micros = event.get("us")
        pid = event.get("pid")
        rows.append(ExplainedStep(doc.step, doc.title, str(event.get("syscall", "")),
                                  str(event.get("result", "")),
                                  micros if isinstance(micros, int) else 0,
                                  doc.explanation, pointer_for(event, config),
                                  pid if isinstance(pid, int) else 0,
                                  None if start is None or first is None
                                  else (start - first) / 1000))
    return rows
