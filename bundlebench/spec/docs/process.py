"""Field documentation: the container process."""

from __future__ import annotations

from bundlebench.spec.docs.model import FieldDoc, doc
from bundlebench.spec.docs.what_ifs import (
    CAPABILITIES_IN_GENERAL,
    CAPABILITY_SETS,
    NO_NEW_PRIVILEGES,
)

_P = "config.md#process"
_POSIX = "config.md#posix-process"
_LINUX = "config.md#linux-process"
_USER = "config.md#posix-platform-user"

ENTRIES: list[FieldDoc] = [
    doc("/process", "Container process",
        "The program the container runs as its first process, and the identity, limits "
        "and privileges it runs with.",
        "The runtime prepares everything during create and execs this program at start; "
        "the container lives as long as it does.",
        {"terminal": True, "user": {"uid": 0, "gid": 0}, "args": ["sh"], "cwd": "/"}, _P),
    doc("/process/terminal", "Attach a terminal",
        "Give the process a pseudo-terminal as stdin, stdout and stderr. Defaults to false.",
        "The runtime opens a pty in the container's devpts, makes it the controlling "
        "terminal, and hands the master side to the caller (console socket or foreground "
        "run).",
        True, _P),
    doc("/process/consoleSize", "Terminal size",
        "The initial size of the terminal in character cells.",
        "Set on the pty with TIOCSWINSZ before the process starts; ignored without "
        "terminal.",
        {"height": 24, "width": 80}, _P),
    doc("/process/consoleSize/height", "Terminal rows", "Number of text rows.",
        "Becomes ws_row of the terminal's window size.", 24, _P),
    doc("/process/consoleSize/width", "Terminal columns", "Number of text columns.",
        "Becomes ws_col of the terminal's window size.", 80, _P),
    doc("/process/cwd", "Working directory",
        "The absolute path, inside the container, the process starts in.",
        "The runtime changes into it after pivot_root and before exec; runc creates it "
        "when it is missing.",
        "/", _P),
    doc("/process/env", "Environment",
        "The complete environment of the process, as NAME=value strings.",
        "Passed to execve(2) as envp; nothing is inherited from the runtime. PATH in it "
        "is also used to find args[0] when that is not absolute.",
        ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
        _P),
    doc("/process/env/*", "Environment variable", "One NAME=value string.",
        "Placed in the process's environment as is.", "TERM=xterm", _P),
    doc("/process/args", "Command",
        "The program and its arguments; the first element names the program.",
        "The runtime execs args[0] with execve(2), searching PATH from env when it is not "
        "absolute; the whole list becomes argv.",
        ["sh", "-c", "echo hello"], _P),
    doc("/process/args/*", "Argument", "One element of argv.",
        "Passed unchanged; there is no shell quoting or expansion.", "-c", _P),
    doc("/process/commandLine", "Windows command line",
        "The full command line as one string, for Windows containers.",
        "Ignored on Linux.", "cmd.exe /c dir", _P),
    doc("/process/user", "User",
        "The user and groups the process runs as, as IDs inside the container.",
        "The runtime calls setgroups, setgid and setuid just before exec; names are not "
        "looked up in /etc/passwd.",
        {"uid": 1000, "gid": 1000, "additionalGids": [5]}, _USER),
    doc("/process/user/uid", "User ID",
        "The numeric user ID inside the container.",
        "Set with setuid(2); with a user namespace it must be mapped in uidMappings.",
        1000, _USER),
    doc("/process/user/gid", "Group ID",
        "The numeric primary group ID inside the container.",
        "Set with setgid(2); with a user namespace it must be mapped in gidMappings.",
        1000, _USER),
    doc("/process/user/umask", "File mode creation mask",
        "The umask the process starts with (JSON has no octal: 18 means 022).",
        "Set with umask(2); when absent the runtime leaves its own umask in place.",
        18, _USER),
    doc("/process/user/additionalGids", "Supplementary groups",
        "More group IDs the process belongs to.",
        "Set with setgroups(2); without them the process has no supplementary groups.",
        [5, 100], _USER),
    doc("/process/user/additionalGids/*", "Supplementary group", "One group ID.",
        "Added to the process's group list.", 5, _USER),
    doc("/process/user/username", "Windows user name",
        "The user name a Windows container process runs as.",
        "Ignored on Linux.", "ContainerUser", "config.md#windows-user"),
    doc("/process/capabilities", "Capabilities",
        "Which Linux capabilities (slices of root's power) the process keeps, per set.",
        "The runtime drops everything outside bounding, then sets the other four sets "
        "with capset(2) and prctl(2) before exec.",
        {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]},
        _LINUX, what_if=CAPABILITIES_IN_GENERAL),
    doc("/process/rlimits", "Resource limits",
        "POSIX resource limits (open files, processes, core size, ...) for the process.",
        "Each entry becomes a setrlimit(2)/prlimit(2) call before exec; the limits are "
        "inherited by every child.",
        [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}], _POSIX),
    doc("/process/rlimits/*", "Resource limit", "One limit: its kind and two values.",
        "Applied with setrlimit(2); each type may appear only once.",
        {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096}, _POSIX),
    doc("/process/rlimits/*/type", "Limited resource",
        "Which resource, by its getrlimit(2) name, such as RLIMIT_NOFILE.",
        "Mapped to the kernel's resource number; an unknown name fails create.",
        "RLIMIT_NPROC", _POSIX),
    doc("/process/rlimits/*/soft", "Soft limit",
        "The value the kernel enforces.",
        "Exceeding it fails the operation (EMFILE for files) or sends a signal (SIGXCPU, "
        "SIGXFSZ); the process may raise it up to the hard limit.",
        1024, _POSIX),
    doc("/process/rlimits/*/hard", "Hard limit",
        "The ceiling the soft limit can be raised to.",
        "Only a process with CAP_SYS_RESOURCE may raise it; it must not be below soft.",
        4096, _POSIX),
    doc("/process/apparmorProfile", "AppArmor profile",
        "The name of the AppArmor profile to confine the process with.",
        "The runtime writes \"exec PROFILE\" to /proc/self/attr/apparmor/exec so the "
        "profile applies from execve on; the profile must already be loaded.",
        "docker-default", _LINUX),
    doc("/process/selinuxLabel", "SELinux label",
        "The SELinux context the process runs in.",
        "Written to /proc/self/attr/exec before execve, so the kernel switches context "
        "at exec; needs an SELinux-enabled host.",
        "system_u:system_r:container_t:s0:c1,c2", _LINUX),
    doc("/process/noNewPrivileges", "No new privileges",
        "Forbid the process and its children from gaining privileges through exec.",
        "The runtime sets PR_SET_NO_NEW_PRIVS: setuid/setgid bits and file capabilities "
        "stop granting anything, and an unprivileged seccomp filter becomes possible.",
        True, _LINUX, what_if=NO_NEW_PRIVILEGES),
    doc("/process/oomScoreAdj", "OOM score adjustment",
        "How much more (positive) or less (negative) likely the OOM killer is to pick this "
        "process, from -1000 to 1000.",
        "Written to /proc/PID/oom_score_adj; -1000 exempts the process, and lowering the "
        "value needs CAP_SYS_RESOURCE. Left untouched when absent.",
        500, _LINUX),
    doc("/process/scheduler", "CPU scheduling",
        "The scheduling policy and its parameters for the process.",
        "Applied with sched_setattr(2) before exec; real-time policies need "
        "CAP_SYS_NICE.",
        {"policy": "SCHED_BATCH", "nice": 5}, _LINUX),
    doc("/process/scheduler/policy", "Scheduling policy",
        "The scheduler class: normal (OTHER, BATCH, IDLE), real-time (FIFO, RR) or "
        "DEADLINE.",
        "Becomes sched_policy of sched_setattr(2); SCHED_ISO is reserved and refused by "
        "mainline kernels.",
        "SCHED_OTHER", _LINUX),
    doc("/process/scheduler/nice", "Nice value",
        "Priority for the normal policies, from -20 (favoured) to 19 (yields most).",
        "Becomes sched_nice; lowering below the current value needs CAP_SYS_NICE.",
        10, _LINUX),
    doc("/process/scheduler/priority", "Static priority",
        "Priority for the real-time policies, 1-99; 0 for the others.",
        "Becomes sched_priority; a higher value preempts a lower one.",
        50, _LINUX),
    doc("/process/scheduler/flags", "Scheduling flags",
        "Extra SCHED_FLAG_* behaviour such as resetting the policy in children.",
        "ORed into sched_flags of sched_setattr(2).",
        ["SCHED_FLAG_RESET_ON_FORK"], _LINUX),
    doc("/process/scheduler/flags/*", "Scheduling flag", "One SCHED_FLAG_* name.",
        "Adds its bit to sched_flags.", "SCHED_FLAG_RESET_ON_FORK", _LINUX),
    doc("/process/scheduler/runtime", "Deadline runtime",
        "CPU time in nanoseconds the task gets in each period (SCHED_DEADLINE).",
        "Becomes sched_runtime; the kernel requires runtime <= deadline <= period.",
        10_000_000, _LINUX),
    doc("/process/scheduler/deadline", "Deadline",
        "Nanoseconds from the start of each period by which the runtime must be served.",
        "Becomes sched_deadline of sched_setattr(2).", 30_000_000, _LINUX),
    doc("/process/scheduler/period", "Deadline period",
        "Length in nanoseconds of the deadline scheduler's period.",
        "Becomes sched_period; 0 means equal to deadline.", 100_000_000, _LINUX),
    doc("/process/ioPriority", "I/O priority",
        "The I/O scheduling class and level of the container's processes.",
        "Applied with ioprio_set(2) to the process group; honoured by I/O schedulers "
        "such as BFQ.",
        {"class": "IOPRIO_CLASS_BE", "priority": 4}, _LINUX),
    doc("/process/ioPriority/class", "I/O class",
        "Real-time (RT), best-effort (BE) or idle (IDLE).",
        "RT needs privilege (CAP_SYS_ADMIN, or CAP_SYS_NICE on newer kernels); IDLE only "
        "gets disk time nobody else wants.",
        "IOPRIO_CLASS_BE", _LINUX),
    doc("/process/ioPriority/priority", "I/O level",
        "Level within the class, 0 (highest) to 7 (lowest).",
        "Combined with the class into the ioprio value.", 4, _LINUX),
    doc("/process/execCPUAffinity", "CPU affinity for exec",
        "The CPUs a process started with `exec` runs on, before and after it joins the "
        "container's cgroup. Not used for the container's first process.",
        "Applied with sched_setaffinity(2) to the exec'd process.",
        {"initial": "7", "final": "0-3,7"}, _LINUX),
    doc("/process/execCPUAffinity/initial", "Initial CPUs",
        "CPUs the runtime's helper runs on before moving into the cgroup, as a list like "
        "\"0-3,7\".",
        "Set before the move so the work is not charged to the container's CPUs.",
        "7", _LINUX),
    doc("/process/execCPUAffinity/final", "Final CPUs",
        "CPUs the process runs on once inside the cgroup; empty means the cgroup's cpus.",
        "Set after joining the cgroup, within the cpuset the cgroup allows.",
        "0-3", _LINUX),
]

_CAP_SETS = {
    "bounding": (
        "The ceiling: capabilities that can ever be gained, even through exec of "
        "setuid or file-capability programs.",
        "Everything else is dropped with PR_CAPBSET_DROP; no later exec can get it back.",
    ),
    "effective": (
        "Capabilities the kernel checks right now when the process acts.",
        "Set with capset(2); must be a subset of permitted.",
    ),
    "inheritable": (
        "Capabilities that may pass through exec to programs with matching file "
        "capabilities.",
        "Set with capset(2); on its own it grants nothing to ordinary programs.",
    ),
    "permitted": (
        "Capabilities the process may switch on in its effective set.",
        "Set with capset(2); a capability dropped from here is gone for good.",
    ),
    "ambient": (
        "Capabilities kept across exec of ordinary (non-setuid, capability-less) "
        "programs.",
        "Raised with PR_CAP_AMBIENT_RAISE; each must also be permitted and inheritable, "
        "or the kernel refuses it.",
    ),
}

for _name, (_what, _effect) in _CAP_SETS.items():
    ENTRIES.append(doc(f"/process/capabilities/{_name}", f"{_name.capitalize()} capabilities",
                       _what, _effect, ["CAP_NET_BIND_SERVICE", "CAP_KILL"], _LINUX,
                       what_if=CAPABILITY_SETS[_name]))
    ENTRIES.append(doc(f"/process/capabilities/{_name}/*", "Capability",
                       "One capability by its capabilities(7) name, such as CAP_CHOWN.",
                       "Mapped to the kernel's capability number.", "CAP_NET_BIND_SERVICE",
                       _LINUX, what_if=CAPABILITY_SETS[_name]))
