"""Control groups for the embedded runtime: cgroup v1, v2 (unified) and hybrid hosts.

One module per concern, all standard library (ctypes only for the eBPF device filter):

    detect    which hierarchies the host mounts, and where (from /proc/self/mountinfo)
    paths     linux.cgroupsPath -> the directories of the container's cgroup
    convert   the v1 -> v2 value conversions (shares -> weight, swap arithmetic, ...)
    devices   device rules: the defaults, v1 allow/deny lines
    ebpf      the v2 device filter program (bpf(2) through ctypes)
    v1, v2    managers: create, join, apply resources, remove
    freeze    pause and resume; the `paused` state
    stats     runc's `events --stats` data, OOM counts, processes
    rootless  which cgroups an unprivileged caller may use
    commands  the pause, resume, ps, events and update commands

Nothing is imported here so that the container start path only pays for what it uses;
`from runtime.cgroups.manager import setup, load` is the entry point; INTEGRATION.md says
where the lifecycle calls in.
"""
