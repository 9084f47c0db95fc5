"""What a process inside the container notices with a setting and without it.

The field tables attach these to their entries (FieldDoc.what_if); where the meaning
depends on the value (a namespace's type, a capability's name, a mount's kind) the
tables below are keyed by that value and bundlebench.spec.what_if picks the entry.
Every ``see`` command runs in the demo rootfs (busybox, or the host's sh and tools).
"""

from __future__ import annotations

from bundlebench.spec.docs.model import WhatIf


def cgroup_read(v1_files: str, v2_file: str) -> str:
    """A command printing one of the container's cgroup files, on cgroup v1 or v2.

    On v1 the runtime binds the container's own directory of each controller at
    /sys/fs/cgroup/CONTROLLER; on v2 without a cgroup namespace /sys/fs/cgroup is the
    whole tree, so the path comes from /proc/self/cgroup ("0::/PATH").
    """
    v1 = " ".join(f"/sys/fs/cgroup/{name}" for name in v1_files.split())
    return (f"cat {v1} 2>/dev/null || "
            f"cat /sys/fs/cgroup$(grep -o '/.*' /proc/self/cgroup)/{v2_file}")


NAMESPACES_IN_GENERAL = WhatIf(
    "Each kind listed is the container's own: its processes, network, mounts, IPC "
    "objects or host name are kept apart from the host's.",
    "A kind left out is shared with the host, as if the process ran there without a "
    "container.",
    "ls -l /proc/self/ns",
)

# Keyed by the OCI namespace type.
NAMESPACES: dict[str, WhatIf] = {
    "pid": WhatIf(
        "The container's first program is PID 1 and ps lists only the container's own "
        "processes.",
        "The process shares the host's process numbers: ps lists every process of the "
        "host and PID 1 is the host's init.",
        "cat /proc/1/comm",
    ),
    "network": WhatIf(
        "The process has only a loopback interface of its own, with its own addresses, "
        "routes and ports.",
        "The process uses the host's interfaces and ports directly: it reaches whatever "
        "the host reaches, and a port it listens on is taken on the host.",
        "cat /proc/net/dev",
    ),
    "mount": WhatIf(
        "The container has its own mount table: what it mounts or unmounts stays inside, "
        "and the host's mounts are out of sight below the new root.",
        "The process works in the host's mount table (the runtime chroots instead of "
        "pivot_root): every mount made for it or by it is a mount of the host.",
        "ls -l /proc/self/ns/mnt",
    ),
    "ipc": WhatIf(
        "System V shared memory, semaphores and message queues, and POSIX message queues, "
        "are the container's own: the host's are invisible.",
        "The process can list and attach to the host's System V IPC objects and POSIX "
        "message queues.",
        "cat /proc/sysvipc/shm",
    ),
    "uts": WhatIf(
        "The container has its own host name: hostname prints the name from config.json, "
        "and changing it leaves the host's name alone.",
        "hostname prints the host's name, and a process allowed to change it renames the "
        "host.",
        "hostname",
    ),
    "user": WhatIf(
        "User and group IDs are translated by uidMappings and gidMappings: root inside "
        "may be an unprivileged user on the host, powerful only over what the namespace "
        "owns.",
        "Root in the container is root on the host, held back only by capabilities, "
        "seccomp and the security modules.",
        "cat /proc/self/uid_map",
    ),
    "cgroup": WhatIf(
        "/proc/self/cgroup shows the container's own cgroup as /, and the host's cgroup "
        "tree above it is hidden.",
        "/proc/self/cgroup shows the full host path of the container's cgroup.",
        "cat /proc/self/cgroup",
    ),
    "time": WhatIf(
        "The monotonic and boot-time clocks may be shifted by /linux/timeOffsets, so "
        "uptime can differ from the host's; the wall clock (date) stays the host's.",
        "uptime and the monotonic clocks read the same as on the host.",
        "cat /proc/uptime",
    ),
}

CAPABILITIES_IN_GENERAL = WhatIf(
    "The process, even as root, can do only the privileged things its capability sets "
    "allow; anything else fails with 'Operation not permitted'.",
    "Without process.capabilities every set is empty: root inside cannot change file "
    "owners, bind ports below 1024, mount, or signal other users' processes.",
    "grep Cap /proc/self/status",
)

# Keyed by the capability set's name under /process/capabilities.
CAPABILITY_SETS: dict[str, WhatIf] = {
    "bounding": WhatIf(
        "A capability listed here may still be gained when the process execs a program "
        "that grants it (a setuid-root or file-capability one).",
        "A capability missing here is gone for the process and everything it starts; no "
        "exec, setuid program or file capability brings it back.",
        "grep CapBnd /proc/self/status",
    ),
    "effective": WhatIf(
        "The kernel honours a listed capability right now, so the action it guards "
        "works.",
        "An action guarded by a capability missing here fails with 'Operation not "
        "permitted', even for root.",
        "grep CapEff /proc/self/status",
    ),
    "permitted": WhatIf(
        "The process may switch a listed capability on in its effective set when it "
        "needs it.",
        "A capability missing here cannot be switched on; only an exec that grants "
        "privileges (which noNewPrivileges forbids) could bring it back.",
        "grep CapPrm /proc/self/status",
    ),
    "inheritable": WhatIf(
        "A listed capability may pass through exec, but only into programs whose file "
        "capabilities name it, or into the ambient set.",
        "Ordinary programs notice nothing: this set alone grants no capability.",
        "grep CapInh /proc/self/status",
    ),
    "ambient": WhatIf(
        "A listed capability survives exec of ordinary programs, so a non-root process "
        "keeps it in the programs it starts.",
        "A non-root process loses its capabilities when it execs a program without file "
        "capabilities; root is not affected.",
        "grep CapAmb /proc/self/status",
    ),
}

# Keyed by capability name: the ones whose effect the demo rootfs's tools can show.
CAPABILITIES: dict[str, WhatIf] = {
    "CAP_SYS_ADMIN": WhatIf(
        "With it in the effective set the process may mount file systems, set the host "
        "name and much more: it is close to full root.",
        "mount and hostname NAME fail with 'Operation not permitted' or 'permission "
        "denied'.",
        "mount -t tmpfs none /tmp && echo mounted",
    ),
    "CAP_DAC_OVERRIDE": WhatIf(
        "Root reads and writes files whatever their permission bits say.",
        "Root is held to permission bits like anyone else: it cannot read its own file "
        "of mode 000 (unless CAP_DAC_READ_SEARCH lets it).",
        "touch /dev/shm/f; chmod 0 /dev/shm/f; cat /dev/shm/f && echo readable",
    ),
    "CAP_NET_RAW": WhatIf(
        "The process may open raw and packet sockets, as ping and packet sniffers do.",
        "Raw sockets fail with 'Operation not permitted'; ping works only where the "
        "host allows ICMP sockets to unprivileged users.",
        "grep CapEff /proc/self/status",
    ),
}

MASKED_PATHS = WhatIf(
    "Masked files such as /proc/kcore and /proc/keys read as empty (/dev/null is "
    "mounted over each) and masked directories such as /sys/firmware look empty.",
    "The process can read what they hold: the keys it may view in /proc/keys, the "
    "kernel's timers in /proc/timer_list, the firmware tables under /sys/firmware.",
    "ls -l /proc/keys",
)

READONLY_PATHS = WhatIf(
    "Writes under a read-only path such as /proc/sys fail with 'Read-only file system'.",
    "A root process may write there and change kernel settings for the whole host, for "
    "example under /proc/sys/vm.",
    "grep ' /proc/sys ' /proc/self/mounts",
)

MOUNTS_IN_GENERAL = WhatIf(
    "The process finds each listed file system at its destination: /proc for ps, "
    "tmpfs directories in memory, host directories bound in.",
    "A destination shows only what the rootfs holds there: without the /proc mount, "
    "ps finds no processes and this command fails.",
    "cat /proc/self/mounts",
)

# Keyed by the mount's kind: its type, or "bind" / "bind-ro" for bind mounts.
MOUNT_KINDS: dict[str, WhatIf] = {
    "proc": WhatIf(
        "ps, top and /proc/self work and show the processes of the container's PID "
        "namespace.",
        "/proc is the rootfs's empty directory: ps and top show nothing and programs "
        "that read /proc/self fail.",
        "ls /proc",
    ),
    "tmpfs": WhatIf(
        "The destination is an empty, writable file system in memory, charged to the "
        "container's memory; its files are gone when the container stops.",
        "The destination is the rootfs's own directory, read-only when the root is.",
        "grep tmpfs /proc/self/mounts",
    ),
    "bind": WhatIf(
        "The host's file or directory appears at the destination, and changes made "
        "through it change the host's copy.",
        "The destination shows what the rootfs holds there; the host's files stay out "
        "of reach.",
        "cat /proc/self/mounts",
    ),
    "bind-ro": WhatIf(
        "The host's file or directory appears at the destination, read-only: writes "
        "fail with 'Read-only file system'.",
        "The destination shows what the rootfs holds there; the host's files stay out "
        "of reach.",
        "cat /proc/self/mounts",
    ),
}

READONLY_ROOT = WhatIf(
    "Writes to the rootfs's files fail with 'Read-only file system'; only writable "
    "mounts such as /dev/shm take them.",
    "The process can change the rootfs's files, and the changes land in the bundle's "
    "rootfs directory on the host.",
    "grep ' / ' /proc/self/mounts",
)

HOSTNAME = WhatIf(
    "hostname and uname -n print this name inside the container.",
    "They print the name the UTS namespace started with: a copy of the host's name.",
    "hostname",
)

NO_NEW_PRIVILEGES = WhatIf(
    "Setuid and setgid programs run without their owner's rights and file capabilities "
    "grant nothing, so exec can never add privileges.",
    "A setuid-root program still runs as root, so a non-root process can gain "
    "privileges through one.",
    "grep NoNewPrivs /proc/self/status",
)

MEMORY_LIMIT = WhatIf(
    "When the container's processes together need more memory than the limit and the "
    "kernel cannot reclaim enough, the OOM killer kills one of them with SIGKILL.",
    "The container may use as much memory as its parent cgroup and the host allow.",
    cgroup_read("memory/memory.limit_in_bytes", "memory.max"),
)

PIDS_LIMIT = WhatIf(
    "Once the container holds that many processes and threads, fork and clone fail "
    "with EAGAIN: the shell says it cannot fork.",
    "Only host-wide limits (kernel.pid_max, RLIMIT_NPROC) stop a fork bomb.",
    cgroup_read("pids/pids.max", "pids.max"),
)

CPU_BANDWIDTH = WhatIf(
    "The container's processes together get at most quota microseconds of CPU per "
    "period (50000 of 100000 is half a CPU) and are throttled for the rest.",
    "They may keep every CPU they are allowed to run on busy.",
    cgroup_read("cpu/cpu.cfs_quota_us cpu/cpu.cfs_period_us", "cpu.max"),
)

CPUSET_CPUS = WhatIf(
    "The processes run only on the listed CPUs.",
    "They may run on every CPU their parent cgroup allows.",
    "grep Cpus_allowed_list /proc/self/status",
)
