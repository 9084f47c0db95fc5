"""The one seam between the container's setup and the kernel.

Every call that changes the process or the kernel (fork, unshare, setns, mount, umount,
pivot_root, chroot, chdir, the identity and capability calls, prctl, sethostname, mknod,
rlimits, writes to /proc and cgroup files, the seccomp load, closing fds, execve) goes
through one `Kernel` object, which holds the one libc binding (runtime/linux/libc.py).
`traced(tracer)` wraps the kernel in force so that each call becomes one trace event
whose syscall text is derived from the call itself; `Recording` is the fake that unit
tests install with `use()` to run a stage without root and read back the order of its
calls.
"""

from __future__ import annotations

import os

from runtime.linux import libc

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


class Kernel:
    """The real calls."""

    def fork(self) -> int:
        return os.fork()

    def setsid(self) -> None:
        os.setsid()

    def unshare(self, flags: int) -> None:
        libc.unshare(flags)

    def setns(self, fd: int, flags: int) -> None:
        libc.setns(fd, flags)

    def mount(self, source: str | None, target: str, fstype: str | None, flags: int,
              data: str | None = None) -> None:
        libc.mount(source, target, fstype, flags, data)

    def umount2(self, target: str, flags: int = 0) -> None:
        libc.umount2(target, flags)

    def pivot_root(self, new_root: str, put_old: str) -> None:
        libc.pivot_root(new_root, put_old)

    def chroot(self, path: str) -> None:
        os.chroot(path)

    def chdir(self, path: str) -> None:
        os.chdir(path)

    def fchdir(self, fd: int) -> None:
        os.fchdir(fd)

    def mknodat(self, dir_fd: int, name: str, mode: int, device: int) -> None:
        os.mknod(name, mode, device, dir_fd=dir_fd)

    def makedirs(self, path: str, mode: int = 0o755) -> None:
        os.makedirs(path, mode, True)

    def setgroups(self, gids: list[int]) -> None:
        os.setgroups(gids)

    def setresgid(self, rgid: int, egid: int, sgid: int) -> None:
        os.setresgid(rgid, egid, sgid)

    def setresuid(self, ruid: int, euid: int, suid: int) -> None:
        os.setresuid(ruid, euid, suid)

    def capset(self, effective: int, permitted: int, inheritable: int) -> None:
        libc.capset(effective, permitted, inheritable)

    def prctl(self, option: int, arg2: int = 0, arg3: int = 0) -> int:
        return libc.prctl(option, arg2, arg3)

    def sethostname(self, name: str) -> None:
        libc.sethostname(name)

    def setdomainname(self, name: str) -> None:
        libc.setdomainname(name)

    def setrlimit(self, resource: int, soft: int, hard: int) -> None:
        import resource as resource_module
        resource_module.setrlimit(resource, (soft, hard))

    def write_file(self, path: str, text: str) -> None:
        """One write to an existing file (/proc, cgroupfs: the kernel wants one write);
        never created, never through a symlink at its last component."""
        fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        try:
            os.write(fd, text.encode())
        finally:
            os.close(fd)

    def mkdir(self, path: str, mode: int = 0o755) -> None:
        os.mkdir(path, mode)

    def symlinkat(self, target: str, name: str, dir_fd: int) -> None:
        """A symlink name -> target in dir_fd; one that exists already is left as it is."""
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.symlink(target, name, dir_fd=dir_fd)
        except FileExistsError:
            pass

    def open(self, path: str, flags: int) -> int:
        return os.open(path, flags)

    def ioctl_int(self, fd: int, request: int, arg: int = 0) -> int:
        return libc.ioctl_int(fd, request, arg)

    def mount_setattr(self, fd: int, attr_set: int, attr_clr: int) -> None:
        libc.mount_setattr(fd, attr_set, attr_clr)

    def fsmount_new(self, fstype: str, options: list[tuple[str, str | None]],
                    attr_flags: int) -> int:
        """A detached mount of a new fstype filesystem (fsopen, fsconfig, fsmount)."""
        return libc.fsmount_new(fstype, options, attr_flags)

    def move_mount(self, from_fd: int, to_fd: int) -> None:
        libc.move_mount(from_fd, to_fd)

    def copy_tree(self, src_fd: int, dst_fd: int) -> None:
        """tmpcopyup's copy: the dir at src_fd into the one at dst_fd (runtime/treecopy.py)."""
        from runtime.treecopy import copy_tree
        copy_tree(src_fd, dst_fd)

    def link_up(self, ifindex: int) -> None:
        """A network link of this namespace up (rtnetlink; 1 is lo in a new namespace)."""
        libc.link_up(ifindex)

    def write_fd(self, fd: int, text: str) -> None:
        """One write to an open file (a verified /proc fd)."""
        os.write(fd, text.encode())

    def personality(self, value: int) -> int:
        return libc.personality(value)

    def umask(self, mask: int) -> int:
        return os.umask(mask)

    def seccomp_load(self, program: Any) -> int:
        """The filter installed; its notify fd when it has a listener (else 0)."""
        return program.load()

    def reset_signals(self) -> None:
        """Python ignores SIGPIPE and SIGXFSZ; an ignored signal would survive execve."""
        import _signal as signal  # the C module: `signal` pulls in enum (milliseconds)
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM,
                    signal.SIGHUP, signal.SIGQUIT, signal.SIGCHLD, signal.SIGWINCH,
                    signal.SIGUSR1, signal.SIGUSR2):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])

    def close_from(self, lowest: int, keep: int = -1) -> None:
        """Close every fd >= lowest (but keep, a close-on-exec one) so nothing of the host
        reaches the container."""
        try:
            names = os.listdir("/proc/self/fd")
        except OSError:
            if keep >= lowest:
                os.closerange(lowest, keep)
                os.closerange(keep + 1, 1 << 16)
            else:
                os.closerange(lowest, 1 << 16)
            return
        for name in names:
            fd = int(name)
            if fd >= lowest and fd != keep:
                try:  # noqa: SIM105 (no contextlib on the start path)
                    os.close(fd)
                except OSError:
                    pass

    def exec_helper(self) -> int:
        """A sealed memfd holding the exec helper (runtime/linux/sealed_exec.py)."""
        from runtime.linux import sealed_exec
        return sealed_exec.helper_fd()

    def execve(self, path: str, argv: list[str], env: dict[str, str], helper: int) -> None:
        from runtime.linux import sealed_exec
        sealed_exec.execve(path, argv, env, fd=helper)


class Recording(Kernel):
    """A kernel that does nothing and remembers every call, in order, for unit tests."""

    def __init__(self, fork_returns: int = 4242) -> None:
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.fork_returns = fork_returns

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def index(self, name: str, *args: Any) -> int:
        """Where the first call of name (with args starting so) happened; ValueError if none."""
        for i, (called, got) in enumerate(self.calls):
            if called == name and got[:len(args)] == args:
                return i
        raise ValueError(f"no call {name}{args} among {self.calls}")

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("_") or name in ("calls", "names", "index", "fork_returns"):
            return object.__getattribute__(self, name)
        if not callable(getattr(Kernel, name, None)):
            return object.__getattribute__(self, name)

        def record(*args: Any) -> Any:
            self.calls.append((name, args))
            if name == "fork":
                return self.fork_returns
            if name in ("exec_helper", "open", "ioctl_int", "fsmount_new", "seccomp_load"):
                return -1
            return 0 if name in ("prctl", "umask") else None
        return record


_kernel: Kernel = Kernel()


def kernel() -> Kernel:
    """The kernel in force (the real one, unless a test installed a fake)."""
    return _kernel


def use(replacement: Kernel) -> Kernel:
    """Install replacement as the kernel; returns the one it replaces (tests put it back)."""
    global _kernel
    previous, _kernel = _kernel, replacement
    return previous


# The trace step of each call, and how its arguments read in the trace.
STEPS = {"fork": "fork", "setsid": "setsid", "unshare": "namespace", "setns": "namespace",
         "mount": "mount", "umount2": "mount", "pivot_root": "pivot_root", "chroot": "chroot",
         "chdir": "cwd", "fchdir": "cwd", "mknodat": "device", "makedirs": "cwd",
         "setgroups": "user", "setresgid": "user",
         "setresuid": "user", "capset": "capabilities", "prctl": "prctl",
         "sethostname": "hostname", "setdomainname": "hostname", "setrlimit": "rlimit",
         "write_file": "write", "umask": "umask", "seccomp_load": "seccomp",
         "reset_signals": "signals", "close_from": "close_fds", "execve": "exec",
         "exec_helper": "exec_helper", "mkdir": "cgroups", "symlinkat": "symlink",
         "open": "open", "ioctl_int": "ioctl", "mount_setattr": "mount_setattr",
         "write_fd": "write", "personality": "personality", "fsmount_new": "mount",
         "move_mount": "mount", "copy_tree": "tmpcopyup", "link_up": "loopback"}
_PRCTL = {libc.PR_SET_NO_NEW_PRIVS: "PR_SET_NO_NEW_PRIVS", libc.PR_SET_KEEPCAPS:
          "PR_SET_KEEPCAPS", libc.PR_CAPBSET_DROP: "PR_CAPBSET_DROP", libc.PR_SET_DUMPABLE:
          "PR_SET_DUMPABLE", libc.PR_SET_PDEATHSIG: "PR_SET_PDEATHSIG",
          libc.PR_CAP_AMBIENT: "PR_CAP_AMBIENT"}


def clone_flag(kind: str) -> str:
    """The CLONE_NEW* name of a namespace kind (the mount namespace's is CLONE_NEWNS)."""
    from runtime.linux.constants import NAMESPACES
    return "CLONE_NEWNS" if kind == "mount" else f"CLONE_NEW{NAMESPACES[kind][1].upper()}"


def describe(name: str, args: tuple[Any, ...]) -> str:
    """The syscall text of a call, as the trace shows it."""
    if name == "mount":
        from runtime.linux.constants import flag_names
        source, target, fstype, flags = args[:4]
        data = args[4] if len(args) > 4 else None
        return (f"mount({source!r}, {target!r}, {fstype!r}, {flag_names(flags)}"
                + (f", {data!r})" if data else ")")).replace("None", "NULL")
    if name in ("unshare", "setns"):
        from runtime.linux.constants import NAMESPACES
        flags = args[-1]
        names = "|".join(clone_flag(kind) for kind, (bit, _) in NAMESPACES.items()
                         if bit & flags) or "0"
        return f"unshare({names})" if name == "unshare" else f"setns(<fd {args[0]}>, {names})"
    if name == "prctl":
        rest = ", ".join(str(a) for a in args[1:])
        return f"prctl({_PRCTL.get(args[0], args[0])}{', ' + rest if rest else ''})"
    if name == "capset":
        return "capset(eff={:#x}, prm={:#x}, inh={:#x})".format(*args)
    if name == "execve":
        return f"execveat(<sealed exec helper>) -> execve({args[0]!r}, {args[1]!r})"
    if name == "seccomp_load":
        program = args[0]
        return (f"seccomp(SECCOMP_SET_MODE_FILTER, {program.flags:#x}, <{program.rules} rules, "
                f"{program.instructions} BPF instructions>)"
                + (" -> notify fd" if getattr(program, "notify", False) else ""))
    if name == "close_from":
        return f"close_range({args[0]}, ~0) keeping <fd {args[1]}>" if len(args) > 1 \
            and args[1] >= 0 else f"close_range({args[0]}, ~0)"
    if name == "exec_helper":
        return ("memfd_create('bundlebench-exec', MFD_CLOEXEC|MFD_ALLOW_SEALING) + "
                "F_ADD_SEALS(WRITE|GROW|SHRINK|SEAL)")
    if name == "link_up":
        return (f"sendmsg(<NETLINK_ROUTE>, RTM_NEWLINK ifindex={args[0]}"
                + (" (lo)" if args[0] == 1 else "") + ", IFF_UP)")
    if name == "write_file":
        return f"write({args[0]}, {args[1]!r})"
    return f"{name}({', '.join(repr(a) for a in args)})"


class Traced:
    """The kernel in force, each call recorded as a trace event (step= overrides the step)."""

    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer
        self.kernel = _kernel

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.kernel, name)

        def call(*args: Any, step: str | None = None, text: str | None = None) -> Any:
            return self.tracer.call(step or STEPS.get(name, name), text or describe(name, args),
                                    method, *args)
        return call


def traced(tracer: Any) -> Traced:
    """The kernel in force, traced to tracer."""
    return Traced(tracer)
