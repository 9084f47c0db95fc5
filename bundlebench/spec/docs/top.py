"""Field documentation: the top level, root, mounts, hostname, hooks, annotations."""

from __future__ import annotations

from bundlebench.spec.docs.model import FieldDoc, doc
from bundlebench.spec.docs.shared import id_mapping_docs
from bundlebench.spec.docs.what_ifs import HOSTNAME, MOUNTS_IN_GENERAL, READONLY_ROOT

_MOUNTS = "config.md#mounts"
_HOOKS = "config.md#posix-platform-hooks"

ENTRIES: list[FieldDoc] = [
    doc(
        "",
        "Container configuration",
        "The whole config.json: what to run, on which root filesystem, and how to isolate it.",
        "The runtime reads it once at create time; later edits do not affect a running "
        "container.",
        {"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "process": {"cwd": "/",
                                                                         "args": ["sh"]}},
        "config.md#configuration",
    ),
    doc(
        "/ociVersion",
        "Spec version",
        "The version of the OCI runtime-spec this file was written for, in SemVer form.",
        "A runtime refuses a major version it does not know; within 1.x it may refuse a "
        "newer minor version whose fields it cannot honour.",
        "1.3.0",
        "config.md#specification-version",
    ),
    doc(
        "/root",
        "Root filesystem",
        "The directory that becomes / inside the container.",
        "The runtime bind-mounts it onto itself, mounts everything else beneath it and "
        "then switches to it with pivot_root(2).",
        {"path": "rootfs", "readonly": True},
        "config.md#root",
    ),
    doc(
        "/root/path",
        "Root filesystem path",
        "Where the root filesystem lies: absolute, or relative to the bundle directory "
        "(usually \"rootfs\").",
        "The directory must exist before create; the runtime does not build it.",
        "rootfs",
        "config.md#root",
    ),
    doc(
        "/root/readonly",
        "Read-only root",
        "Make the container's / read-only. Defaults to false.",
        "After all mounts are in place the runtime remounts / with MS_RDONLY, so writes "
        "fail with EROFS except on the mounts listed in mounts.",
        True,
        "config.md#root",
        what_if=READONLY_ROOT,
    ),
    doc(
        "/mounts",
        "Mounts",
        "Extra filesystems to mount inside the container, beyond the root.",
        "The runtime mounts them in this order, each target resolved inside the root, so "
        "a later entry may mount over an earlier one.",
        [{"destination": "/proc", "type": "proc", "source": "proc"}],
        _MOUNTS,
        what_if=MOUNTS_IN_GENERAL,
    ),
    doc(
        "/mounts/*",
        "Mount",
        "One filesystem to mount: what (source, type), where (destination) and how (options).",
        "Becomes a mount(2) call (plus mount_setattr(2) for recursive or id-mapped options) "
        "in the container's mount namespace.",
        {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs",
         "options": ["nosuid", "nodev", "mode=1777"]},
        _MOUNTS,
        what_if=MOUNTS_IN_GENERAL,
    ),
    doc(
        "/mounts/*/destination",
        "Mount point",
        "The path inside the container where the filesystem appears. It should be absolute; "
        "a relative one is read from / and is deprecated.",
        "The runtime creates a missing mount point (a directory, or an empty file when a "
        "file is bind-mounted) and resolves symlinks in it without leaving the root.",
        "/data",
        _MOUNTS,
    ),
    doc(
        "/mounts/*/source",
        "Mount source",
        "What to mount: a device, a host file or directory for bind mounts (absolute or "
        "relative to the bundle), or a placeholder name for virtual filesystems.",
        "Passed as the source argument of mount(2); for proc, tmpfs and the like the kernel "
        "ignores it except to show it in /proc/mounts.",
        "/srv/data",
        _MOUNTS,
    ),
    doc(
        "/mounts/*/type",
        "Filesystem type",
        "The kind of filesystem, one of /proc/filesystems (proc, tmpfs, sysfs, ext4, ...). "
        "For bind mounts it is a placeholder such as \"none\" or \"bind\".",
        "Passed as the filesystemtype argument of mount(2); an unknown type fails with "
        "ENODEV.",
        "tmpfs",
        "config.md#posix-platform-mounts",
        what_if=MOUNTS_IN_GENERAL,
    ),
    doc(
        "/mounts/*/options",
        "Mount options",
        "Flags such as ro, nosuid, nodev, bind or rprivate, and filesystem data such as "
        "mode=755 or size=64m.",
        "Known flag names become MS_* bits of mount(2); propagation names become a second "
        "mount(2) call; r-prefixed recursive ones and idmap go to mount_setattr(2); "
        "everything else is joined with commas and passed as filesystem data.",
        ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        "config.md#linux-mount-options",
    ),
    doc(
        "/mounts/*/options/*",
        "Mount option",
        "One option: a flag name (ro, nosuid, rbind, rprivate, ...) or a filesystem data "
        "option, usually key=value. It is never empty or padded with spaces, and a flag "
        "takes no value (ro=1 is wrong).",
        "A flag changes the mount flags; anything the runtime does not know is handed to "
        "the filesystem, which rejects what it does not understand with EINVAL.",
        "nosuid",
        "config.md#linux-mount-options",
    ),
    *id_mapping_docs("/mounts/*/uidMappings", "uid", "config.md#posix-platform-mounts",
                     mount=True),
    *id_mapping_docs("/mounts/*/gidMappings", "gid", "config.md#posix-platform-mounts",
                     mount=True),
    doc(
        "/hostname",
        "Hostname",
        "The host name processes in the container see (uname -n, /proc/sys/kernel/hostname).",
        "The runtime calls sethostname(2) inside the container's UTS namespace; without a "
        "private UTS namespace it would rename the host, so runtimes refuse that.",
        "web-1",
        "config.md#hostname",
        what_if=HOSTNAME,
    ),
    doc(
        "/domainname",
        "NIS domain name",
        "The NIS/YP domain name processes in the container see (not the DNS domain).",
        "The runtime calls setdomainname(2) in the container's UTS namespace, which must "
        "be private.",
        "example.test",
        "config.md#domainname",
    ),
    doc(
        "/annotations",
        "Annotations",
        "Free-form string metadata about the container, keyed by reverse-domain names.",
        "The runtime does not act on them; it reports them in `state` so tools that manage "
        "the container can read them.",
        {"org.example.owner": "team-a"},
        "config.md#annotations",
    ),
    doc(
        "/annotations/*",
        "Annotation",
        "One metadata value; the key must not be empty and the value is a string.",
        "Stored and reported as is.",
        "team-a",
        "config.md#annotations",
    ),
    doc(
        "/hooks",
        "Lifecycle hooks",
        "Programs the runtime runs at fixed points of the container's life.",
        "Each hook gets the container state as JSON on its stdin; a failing hook before "
        "start aborts the container, a failing one after start is only logged.",
        {"createRuntime": [{"path": "/usr/bin/setup-net", "args": ["setup-net", "add"]}]},
        _HOOKS,
    ),
    doc(
        "/solaris",
        "Solaris settings",
        "Settings for Solaris zones; bundlebench keeps them but does not check them.",
        "Ignored by Linux runtimes.",
        {},
        "config.md#platform-specific-configuration",
    ),
    doc(
        "/windows",
        "Windows settings",
        "Settings for Windows containers; bundlebench keeps them but does not check them.",
        "Ignored by Linux runtimes.",
        {},
        "config.md#platform-specific-configuration",
    ),
    doc(
        "/vm",
        "Virtual-machine settings",
        "Settings for runtimes that start the container inside a virtual machine; kept but "
        "not checked.",
        "Ignored by runtimes that do not use hardware virtualization.",
        {},
        "config.md#platform-specific-configuration",
    ),
    doc(
        "/zos",
        "z/OS settings",
        "Settings for z/OS containers; kept but not checked.",
        "Ignored by Linux runtimes.",
        {},
        "config.md#platform-specific-configuration",
    ),
    doc(
        "/freebsd",
        "FreeBSD settings",
        "Settings for FreeBSD jails; kept but not checked.",
        "Ignored by Linux runtimes.",
        {},
        "config.md#platform-specific-configuration",
    ),
]

_HOOK_WHEN = {
    "prestart": (
        "Deprecated: hooks run after the container's namespaces exist but before "
        "pivot_root; use createRuntime instead.",
        "Run in the runtime's namespaces with the path resolved on the host.",
    ),
    "createRuntime": (
        "Hooks run during create, after the namespaces exist and before pivot_root.",
        "Run in the runtime's namespaces, path resolved on the host; typical use is "
        "setting up the container's network.",
    ),
    "createContainer": (
        "Hooks run during create, in the container's mount namespace, before pivot_root.",
        "The path is resolved on the host but the hook runs in the container's "
        "namespaces.",
    ),
    "startContainer": (
        "Hooks run during start, inside the container, just before the user process.",
        "Path resolved and run in the container's namespaces, after pivot_root.",
    ),
    "poststart": (
        "Hooks run right after the user process has started.",
        "Run in the runtime's namespaces; a failure is logged and does not stop the "
        "container.",
    ),
    "poststop": (
        "Hooks run after the container is deleted.",
        "Run in the runtime's namespaces during delete; a failure is logged only.",
    ),
}


def _hook_docs(kind: str) -> list[FieldDoc]:
    when, where = _HOOK_WHEN[kind]
    base = f"/hooks/{kind}"
    return [
        doc(base, f"{kind} hooks", when, where,
            [{"path": "/usr/bin/true", "timeout": 5}], _HOOKS),
        doc(f"{base}/*", f"{kind} hook", f"One program to run as a {kind} hook.",
            "The runtime runs hooks in order and waits for each one before the next.",
            {"path": "/usr/bin/logger", "args": ["logger", "-t", "oci", kind]}, _HOOKS),
        doc(f"{base}/*/path", "Hook program",
            "Absolute path of the program to execute.",
            "Executed directly with execve(2): no shell and no PATH search.",
            "/usr/bin/logger", _HOOKS),
        doc(f"{base}/*/args", "Hook arguments",
            "The full argument vector, including argv[0].",
            "Passed unchanged to execve(2); without it runc uses just the path as argv.",
            ["logger", "-t", "oci"], _HOOKS),
        doc(f"{base}/*/args/*", "Hook argument", "One argument string.",
            "Passed unchanged; there is no shell quoting or expansion.", "-t", _HOOKS),
        doc(f"{base}/*/env", "Hook environment",
            "The complete environment of the hook, as NAME=value strings.",
            "When given, nothing else is inherited from the runtime; when absent, runc "
            "passes its own environment.",
            ["PATH=/usr/bin:/bin"], _HOOKS),
        doc(f"{base}/*/env/*", "Hook environment variable", "One NAME=value string.",
            "Placed in the hook's environment as is.", "LANG=C.UTF-8", _HOOKS),
        doc(f"{base}/*/timeout", "Hook timeout",
            "Seconds the hook may run; must be at least 1. No timeout when absent.",
            "When the time is up the runtime kills the hook and treats it as failed.",
            10, _HOOKS),
    ]


for _kind in _HOOK_WHEN:
    ENTRIES.extend(_hook_docs(_kind))
