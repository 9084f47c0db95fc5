"""Field documentation: linux.seccomp."""

from __future__ import annotations

from bundlebench.spec.docs.model import FieldDoc, doc

_S = "config-linux.md#seccomp"
_B = "/linux/seccomp"

ENTRIES: list[FieldDoc] = [
    doc(_B, "Seccomp filter",
        "A system call filter: a default action plus rules for particular calls.",
        "The runtime compiles it to a BPF program and loads it with seccomp(2) as the last "
        "step before exec (so the runtime's own calls are not filtered); it cannot be "
        "removed afterwards.",
        {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
         "syscalls": [{"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"}]},
        _S),
    doc(f"{_B}/defaultAction", "Default action",
        "What happens to a system call no rule matches.",
        "The filter returns this action; SCMP_ACT_ERRNO makes the call fail, KILL_* ends "
        "the thread or process, ALLOW lets it through, LOG allows and logs.",
        "SCMP_ACT_ERRNO", _S),
    doc(f"{_B}/defaultErrnoRet", "Default errno",
        "The errno returned by the default action when it is SCMP_ACT_ERRNO or "
        "SCMP_ACT_TRACE; EPERM (1) when absent.",
        "Returned to the caller as the call's error.", 38, _S),
    doc(f"{_B}/architectures", "Architectures",
        "System call ABIs the filter covers, such as SCMP_ARCH_X86_64 and SCMP_ARCH_X86.",
        "Calls made through an ABI that is not listed get the filter's bad-architecture "
        "action (libseccomp kills by default); the native ABI is always included, so list "
        "the 32-bit ones to allow 32-bit programs.",
        ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], _S),
    doc(f"{_B}/architectures/*", "Architecture", "One SCMP_ARCH_* name.",
        "Adds that ABI's system call numbers to the filter.", "SCMP_ARCH_AARCH64", _S),
    doc(f"{_B}/flags", "Filter flags",
        "SECCOMP_FILTER_FLAG_* options for loading the filter.",
        "Passed to seccomp(SECCOMP_SET_MODE_FILTER); for example TSYNC applies the "
        "filter to all threads, LOG logs every non-allow action.",
        ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"], _S),
    doc(f"{_B}/flags/*", "Filter flag", "One SECCOMP_FILTER_FLAG_* name.",
        "ORed into the flags of seccomp(2).", "SECCOMP_FILTER_FLAG_LOG", _S),
    doc(f"{_B}/listenerPath", "Notification listener",
        "Unix socket path of the agent that handles SCMP_ACT_NOTIFY calls.",
        "The runtime sends the seccomp notify fd to it over SCM_RIGHTS, with the "
        "container state.",
        "/run/seccomp-agent.sock", _S),
    doc(f"{_B}/listenerMetadata", "Listener metadata",
        "An opaque string passed to the notification listener.",
        "Included in the state the runtime sends with the fd.", "profile=web", _S),
    doc(f"{_B}/syscalls", "Rules",
        "Rules that pick an action for particular system calls.",
        "Compiled into the filter; when several match, the most restrictive action wins.",
        [{"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}], _S),
    doc(f"{_B}/syscalls/*", "Rule",
        "One rule: the calls it covers, the action, and optional argument conditions.",
        "Added to the filter for each named call.",
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]}, _S),
    doc(f"{_B}/syscalls/*/names", "System calls",
        "Names of the system calls the rule covers (at least one).",
        "Looked up in each architecture's table; names unknown to an architecture are "
        "skipped.",
        ["open", "openat"], _S),
    doc(f"{_B}/syscalls/*/names/*", "System call", "One system call name.",
        "Resolved to its number per architecture.", "openat", _S),
    doc(f"{_B}/syscalls/*/action", "Action",
        "What happens when the rule matches.",
        "The filter returns this action for the call.", "SCMP_ACT_ALLOW", _S),
    doc(f"{_B}/syscalls/*/errnoRet", "Errno",
        "The errno the call fails with when the action is SCMP_ACT_ERRNO or "
        "SCMP_ACT_TRACE; EPERM when absent.",
        "Returned to the caller as the call's error.", 1, _S),
    doc(f"{_B}/syscalls/*/args", "Argument conditions",
        "Conditions on the call's arguments; all must hold for the rule to match.",
        "Compiled into comparisons on the seccomp_data arguments (pointers cannot be "
        "followed).",
        [{"index": 0, "value": 2080505856, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}], _S),
    doc(f"{_B}/syscalls/*/args/*", "Argument condition",
        "One comparison of one argument.", "A BPF comparison in the filter.",
        {"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}, _S),
    doc(f"{_B}/syscalls/*/args/*/index", "Argument index",
        "Which argument, 0 to 5.", "Selects args[index] of seccomp_data.", 0, _S),
    doc(f"{_B}/syscalls/*/args/*/value", "Value",
        "The value to compare with (the mask for SCMP_CMP_MASKED_EQ).",
        "Compared as a 64-bit unsigned number.", 0, _S),
    doc(f"{_B}/syscalls/*/args/*/valueTwo", "Second value",
        "For SCMP_CMP_MASKED_EQ, the value the masked argument must equal.",
        "Ignored by the other operators.", 0, _S),
    doc(f"{_B}/syscalls/*/args/*/op", "Operator",
        "How to compare: NE, LT, LE, EQ, GE, GT or MASKED_EQ.",
        "Selects the BPF jump used for the comparison.", "SCMP_CMP_EQ", _S),
]
