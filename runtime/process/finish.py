"""The common finish of the init and of exec: rlimits, identity, capabilities, cwd,
no_new_privs, the start handshake, LSM labels, seccomp, closing fds, execve (through the
sealed helper)."""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure
from runtime.process.messages import Channel
from runtime.trace import Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

    from runtime.plan import ProcessPlan


class Security:
    """What P prepares before fork for the init (or an exec'd process) to apply."""

    def __init__(self, seccomp: Any = None, sysctl: list[Any] | None = None,
                 labels: list[Any] | None = None) -> None:
        self.seccomp = seccomp
        self.sysctl = sysctl or []
        self.labels = labels or []


def finish_process(proc: ProcessPlan, tracer: Tracer, *, setgroups_allowed: bool,
                   preserve_fds: int, before_exec, channel: Channel,
                   security: Security | None = None) -> None:
    """Shared by create and exec: rlimits .. execve. Reports `ready` before blocking.

    The LSM labels and the seccomp filter come after before_exec (which runs the
    startContainer hooks); a failure there can only go to fd 2."""
    from runtime import capabilities
    from runtime.linux import libc, seam  # ctypes: only where syscalls happen
    from runtime.process import setup
    security = security or Security()
    nnp = proc.no_new_privileges
    k = seam.traced(tracer)
    # Made before any seccomp filter, which may forbid memfd_create (CVE-2019-5736).
    try:
        helper = k.exec_helper()
    except OSError as exc:
        raise RuntimeFailure(f"the sealed exec helper cannot be made: {exc.strerror or exc} "
                             "(the runtime needs memfd_create with sealing, Linux 3.17+)"
                             ) from None
    setup.set_rlimits(proc.rlimits, tracer)
    setup.set_oom_score_adj(proc.oom_score_adj, tracer)
    if security.seccomp is not None and not nnp:
        # Without no_new_privs loading needs CAP_SYS_ADMIN, which the user switch drops.
        _load(k, security.seccomp, channel, tracer)
    caps = proc.capabilities
    # The bounding set needs CAP_SETPCAP, which the switch to a non-root user drops;
    # KEEPCAPS keeps the permitted set across that switch, for capset to narrow after it.
    capabilities.drop_bounding(caps["bounding"], tracer)
    k.prctl(libc.PR_SET_KEEPCAPS, 1, step="capabilities")
    setup.set_user(proc.uid, proc.gid, proc.additional_gids, setgroups_allowed, tracer)
    capabilities.apply_sets(caps, tracer)
    k.prctl(libc.PR_SET_KEEPCAPS, 0, step="capabilities")
    setup.enter_cwd(proc.cwd, tracer)
    env = dict(proc.env)
    setup.ensure_home(env, proc.uid)
    path = setup.find_executable(proc.args[0], env)
    setup.refuse_self_exe_interpreter(path)
    if nnp:
        setup.no_new_privileges(tracer)
    k.umask(proc.umask)
    for fd in range(3, 3 + preserve_fds):
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.set_inheritable(fd, True)
        except OSError:
            pass
    program = security.seccomp if nnp else None
    if program is not None and program.notify:
        # Its fd goes to P over the channel, which closes at `ready`: load it before.
        _load(k, program, channel, tracer)
        program = None
    tracer.flush()  # before_exec may block until `start`: the trace is complete meanwhile
    before_exec()
    if security.labels:
        from runtime import lsm
        try:
            lsm.apply(security.labels, "/proc", tracer)
        except RuntimeFailure as exc:
            tracer.close()
            os.write(2, f"bundlebench-runtime: {exc}\n".encode())
            os._exit(1)
    # The trace ends here, complete: what follows leaves no fd to write it with.
    if program is not None:
        text = seam.describe("seccomp_load", (program,))
        tracer.before("seccomp", text)
        tracer.emit("seccomp", text)
    text = seam.describe("execve", (path, proc.args))
    tracer.before("exec", text)  # step mode: the last stop
    tracer.emit("exec", text)
    tracer.close()
    channel.close()
    kernel = seam.kernel()
    kernel.reset_signals()
    kernel.close_from(3 + preserve_fds, helper)
    if program is not None:
        try:
            kernel.seccomp_load(program)
        except RuntimeFailure as exc:
            os.write(2, f"bundlebench-runtime: {exc}\n".encode())
            os._exit(1)
    try:
        kernel.execve(path, proc.args, env, helper)
    except OSError as exc:
        os.write(2, f"bundlebench-runtime: exec {path}: {exc.strerror}\n".encode())
        os._exit(127)


def _load(k: Any, program: Any, channel: Channel, tracer: Tracer) -> None:
    """Load the filter; one with a listener gives its notify fd to P at once: from the load
    on, a notified syscall of this process waits until the listener has that fd."""
    fd = k.seccomp_load(program)
    if not program.notify:
        return
    from runtime.process.messages import OK, SECCOMP
    try:
        reply = tracer.call("seccomp_notify", f"sendmsg(<setup socket>, SCM_RIGHTS "
                            f"[<notify fd {fd}>]) -> P -> linux.seccomp.listenerPath",
                            channel.send_fd, fd, SECCOMP)
    finally:
        if fd >= 0:
            os.close(fd)  # the listener holds it now; the container must not
    if reply != OK:
        raise RuntimeFailure("the runtime did not hand the seccomp notify fd to the listener")
