"""The lessons on what a process may do: capabilities, a cgroup memory limit, seccomp."""

from __future__ import annotations

import copy

from bundlebench.lessons import config_parts as parts
from bundlebench.lessons.model import Config, Lesson

_CAP = "CAP_DAC_OVERRIDE"
_CAP_SETS = ("bounding", "permitted", "effective")
_ALL_SETS = ("bounding", "permitted", "effective", "inheritable", "ambient")


def _capability_missing(config: Config) -> list[str]:
    return [f"process.capabilities.{name} lacks {_CAP}: add it."
            for name in _CAP_SETS if _CAP not in parts.capability_set(config, name)]


def _judge_capability(output: str, _exit: int | None) -> str | None:
    if "read it: secret" in output:
        return None
    return "cat could not open the mode-000 file: root without CAP_DAC_OVERRIDE is refused."


CAPABILITIES = Lesson(
    name="capabilities",
    title="Capabilities: root is not all-powerful",
    goal="See uid 0 refused a file it owns, then give the container the one capability "
         "that overrides file permissions.",
    edit=f'Add "{_CAP}" to process.capabilities.bounding, .permitted and .effective.',
    field="/process/capabilities",
    begin=lambda config: parts.change_capability(config, _CAP, _ALL_SETS, False),
    edit_missing=_capability_missing,
    solve=lambda config: parts.change_capability(config, _CAP, _CAP_SETS, True),
    check=("sh", "-c", "echo secret > /dev/shm/locked; chmod 000 /dev/shm/locked; "
                       'grep CapEff /proc/self/status; echo "read it: $(cat /dev/shm/locked)"'),
    expect='"read it: secret": with CAP_DAC_OVERRIDE the mode 000 does not stop root.',
    judge=_judge_capability,
    kernel="Before execve the runtime dropped every capability the config does not list: "
           "prctl(PR_CAPBSET_DROP) shrank the bounding set and capset(2) set the others. "
           "Being uid 0 does not pass a permission check by itself; the kernel asks for "
           "CAP_DAC_OVERRIDE in the effective set before it ignores a file's mode bits.",
    kinds=("capabilities",),
    step_hint="run to capabilities: the stopped process's capability sets are listed by "
              "name, before and after the drop.",
)

_LIMIT = 16 * 1024 * 1024
_FILLS = 64 * 1024 * 1024


def _memory_missing(config: Config) -> list[str]:
    limit = parts.section(config, "linux", "resources", "memory").get("limit")
    if not isinstance(limit, int) or isinstance(limit, bool) or limit <= 0:
        return [f"linux.resources.memory.limit is not set: set it to {_LIMIT} (16 MiB)."]
    if limit > _FILLS // 2:
        return [f"linux.resources.memory.limit is {limit // (1024 * 1024)} MiB, more than "
                f"the check needs to be stopped: set it to {_LIMIT} (16 MiB)."]
    if limit < 4 * 1024 * 1024:
        return [f"linux.resources.memory.limit is {limit} bytes, too small for the shell to "
                f"start: set it to {_LIMIT} (16 MiB)."]
    return []


def _with_memory_limit(config: Config) -> Config:
    result = copy.deepcopy(config)
    resources = result.setdefault("linux", {}).setdefault("resources", {})
    resources["memory"] = {"limit": _LIMIT, "swap": _LIMIT}
    return result


def _judge_memory(output: str, exit_code: int | None) -> str | None:
    if exit_code == 128 + 9 and "survived" not in output:
        return None
    if "survived" in output:
        return "the shell filled 64 MiB and survived: no limit stopped it."
    return f"the shell ended with exit code {exit_code}, not 137 (killed by SIGKILL)."


MEMORY = Lesson(
    name="memory",
    title="A cgroup memory limit: the OOM kill",
    goal="Cap the container's memory at 16 MiB and watch the kernel kill a shell that "
         "grows past it.",
    edit=f"Set linux.resources.memory.limit to {_LIMIT} (16 MiB), and "
         f"linux.resources.memory.swap to the same, so that nothing is swapped out instead.",
    field="/linux/resources/memory/limit",
    begin=lambda config: parts.without_keys(config, ("linux", "resources"), "memory"),
    edit_missing=_memory_missing,
    solve=_with_memory_limit,
    check=("sh", "-c", "x=0123456789abcdef; i=0; "
                       "while [ $i -lt 22 ]; do x=$x$x; i=$((i+1)); done; "
                       'echo "survived with ${#x} bytes"'),
    expect="no \"survived\" line, and exit code 137: SIGKILL from the OOM killer.",
    judge=_judge_memory,
    kernel="The runtime made the container's cgroup and wrote the limit to memory.max "
           "(memory.limit_in_bytes on cgroup v1) before the process ran. As the shell's string "
           "doubled past 16 MiB and no page could be reclaimed, the kernel's OOM killer "
           "chose a process of that cgroup and sent it SIGKILL: 137 is 128 + 9.",
    kinds=("cgroups",),
    step_hint="stop at cgroups: from the next stop the process's cgroup is the "
              "container's own.",
    needs_root=True,
)

_DENY_MKDIR = {"defaultAction": "SCMP_ACT_ALLOW",
               "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO",
                             "errnoRet": 1}]}


def _seccomp_missing(config: Config) -> list[str]:
    seccomp = parts.section(config, "linux", "seccomp")
    if not seccomp:
        return ['linux.seccomp is not set: add {"defaultAction": "SCMP_ACT_ALLOW", '
                '"syscalls": [...]}.']
    denied: set[str] = set()
    for rule in seccomp.get("syscalls") or []:
        if (isinstance(rule, dict) and rule.get("action") == "SCMP_ACT_ERRNO"
                and rule.get("errnoRet", 1) == 1 and not rule.get("args")
                and isinstance(rule.get("names"), list)):
            denied.update(name for name in rule["names"] if isinstance(name, str))
    missing = [name for name in ("mkdir", "mkdirat") if name not in denied]
    if missing:
        return [f"no rule of linux.seccomp.syscalls answers {' and '.join(missing)} with "
                'SCMP_ACT_ERRNO and errnoRet 1: programs call either, so deny both.']
    return []


def _with_seccomp(config: Config) -> Config:
    result = copy.deepcopy(config)
    result.setdefault("linux", {})["seccomp"] = copy.deepcopy(_DENY_MKDIR)
    return result


def _judge_seccomp(output: str, _exit: int | None) -> str | None:
    if "Operation not permitted" in output and "made it" not in output:
        return None
    if "made it" in output:
        return "mkdir made /dev/shm/lesson: no filter stopped it."
    return "mkdir failed, but not with EPERM (Operation not permitted)."


SECCOMP = Lesson(
    name="seccomp",
    title="Seccomp: a system call answered with EPERM",
    goal="Load a seccomp filter that lets every system call through except mkdir, which "
         "fails with EPERM before the kernel looks at the path.",
    edit='Set linux.seccomp to {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": '
         '["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}.',
    field="/linux/seccomp",
    begin=lambda config: parts.without_keys(config, ("linux",), "seccomp"),
    edit_missing=_seccomp_missing,
    solve=_with_seccomp,
    check=("sh", "-c", "grep Seccomp: /proc/self/status; "
                       "mkdir /dev/shm/lesson && echo made it"),
    expect="mkdir: ... Operation not permitted, and Seccomp: 2 (filter mode).",
    judge=_judge_seccomp,
    kernel="The runtime compiled the rules to a BPF program and loaded it with "
           "seccomp(SECCOMP_SET_MODE_FILTER) as its last step before execve. From then on "
           "the kernel runs the program on each system call of the process and its "
           "children: mkdir returns -1 with errno EPERM (1) and the directory is never made.",
    kinds=("seccomp",),
    step_hint="run to seccomp (after s starts it): Seccomp in /proc/PID/status turns "
              "from 0 to 2 at the next stop.",
)
