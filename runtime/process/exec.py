"""exec: another process in a running container, through the same stages' end."""

from __future__ import annotations

import os

from runtime import state as st
from runtime.atomic import write_pid_file
from runtime.errors import RuntimeFailure
from runtime.kill import kill_and_reap
from runtime.linux.constants import NAMESPACES
from runtime.process import messages as msg
from runtime.process.finish import Security, finish_process
from runtime.process.messages import Channel, report_failure
from runtime.process.parent import size_like_caller
from runtime.process.prepare import preload, prepare_security
from runtime.process.waiting import exit_code, wait_forwarding
from runtime.status import container_status
from runtime.trace import TRACE_FILE, Tracer, host_pid

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

    from runtime.plan import ProcessPlan


def build_exec_process(config: dict[str, Any], *, args: list[str], process_json: str | None,
                       cwd: str | None, env: list[str], user: str | None, tty: bool,
                       additional_gids: list[int] | None = None) -> dict[str, Any]:
    """The process runc exec would run: a process.json, or the config's process with the
    command line's args, cwd, env, user and terminal."""
    from runtime.config import merge_env
    from runtime.process.setup import parse_user_spec
    if process_json:
        from runtime.jsonread import JSONInputError, read_json_file
        try:
            proc = read_json_file(process_json, f"process file {process_json}")
        except OSError as exc:
            raise RuntimeFailure(f"cannot read process file {process_json}: {exc.strerror}"
                                 ) from None
        except JSONInputError as exc:
            raise RuntimeFailure(str(exc)) from None
        if not isinstance(proc, dict) or not proc.get("args"):
            raise RuntimeFailure(f"process file {process_json} has no args")
        from runtime.shape import without_nulls
        return without_nulls(proc)  # null fields read as absent, as in config.json
    if not args:
        raise RuntimeFailure("exec needs a command to run (or -p process.json)")
    base = dict(config.get("process") or {})
    base["args"] = list(args)
    base["terminal"] = tty
    base.pop("consoleSize", None)
    base["env"] = merge_env(base.get("env") or [], env)
    if cwd:
        base["cwd"] = cwd
    if user:
        base["user"] = {**(base.get("user") or {}), **parse_user_spec(user)}
        base["user"].pop("additionalGids", None)
    if additional_gids:
        base.setdefault("user", {})["additionalGids"] = additional_gids
    return base


def exec_process(store: st.StateStore, container_id: str, proc: dict[str, Any], *,
                 detach: bool = False, console_socket: str | None = None,
                 pid_file: str | None = None, preserve_fds: int = 0,
                 ignore_paused: bool = False, sub_cgroups: list[str] | None = None) -> int:
    """Run proc inside a running container's namespaces and root; return its exit code."""
    from runtime.linux import libc, seam  # ctypes: only where syscalls happen
    seam.kernel().prctl(libc.PR_SET_DUMPABLE, 0)  # as in create: the container may see this process
    state = store.load(container_id)
    status = container_status(store, state)
    if status == "paused" and not ignore_paused:
        raise RuntimeFailure(f"cannot exec in container {container_id!r}: it is paused "
                             "(--ignore-paused allows it; the process waits until resume)")
    if status not in (st.CREATED, st.RUNNING, "paused"):
        raise RuntimeFailure(f"cannot exec in container {container_id!r}: it is {status}")
    from runtime import plan as plans
    from runtime import shape
    for _pointer, sentence in shape.problems({"process": proc}):
        raise RuntimeFailure(sentence)  # process.json is input like config.json: typed first
    if not proc.get("args"):
        raise RuntimeFailure("process.args must be a non-empty list of strings")
    proc_plan = plans.process_plan(proc)
    from runtime.cgroups import manager as cgroups
    cgroup = cgroups.load(store.path(container_id))
    sub_dirs: list[str] = []
    if sub_cgroups:
        from runtime.cgroups.sub import sub_cgroup_dirs
        sub_dirs = sub_cgroup_dirs(cgroup, sub_cgroups)
    terminal = proc_plan.terminal
    if terminal and detach and not console_socket:
        raise RuntimeFailure("exec -t -d needs --console-socket to hand the pty to")
    if console_socket and not terminal:
        raise RuntimeFailure("--console-socket was given without -t")
    cwd = proc.get("cwd") or "/"
    if not cwd.startswith("/"):
        raise RuntimeFailure(f"cwd {cwd!r} must be an absolute path")
    ns_fds: list[tuple[str, int]] = []
    root_fd = -1
    channel = None
    tracer = None
    stage1 = pid = -1
    master = None
    try:
        for kind in ("user", "ipc", "uts", "network", "pid", "cgroup", "time", "mount"):
            name = NAMESPACES[kind][1]
            try:
                theirs = os.readlink(f"/proc/{state.pid}/ns/{name}")
            except FileNotFoundError:
                continue
            if theirs != os.readlink(f"/proc/self/ns/{name}"):
                ns_fds.append((kind, os.open(f"/proc/{state.pid}/ns/{name}",
                                             os.O_RDONLY | os.O_CLOEXEC)))
        root_fd = os.open(f"/proc/{state.pid}/root", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        if not st.is_alive(state.pid, state.starttime):
            raise RuntimeFailure(f"container {container_id!r} stopped")
        tracer = Tracer.open(os.path.join(store.path(container_id), TRACE_FILE))
        # The container's seccomp profile binds every process in it (as with runc).
        security = prepare_security(state.config or {"process": proc}, proc, store, tracer,
                                    sysctl=False)
        notify = security.seccomp is not None and security.seccomp.notify
        channel = Channel(with_fds=terminal or notify)
        seam.kernel().prctl(libc.PR_SET_CHILD_SUBREAPER, 1)
        preload(terminal, {"process": proc}, notify=notify)
        tracer.flush()
        stage1 = seam.kernel().fork()
        if stage1 == 0:
            exec_child(channel, ns_fds, root_fd, proc_plan, state, tracer, preserve_fds, security,
                        cgroup, sub_dirs)
        channel.parent_side()
        def take_pid(found: int) -> None:
            nonlocal pid
            pid = found

        def take_pty(fd: int) -> None:
            nonlocal master
            master = fd
            if not detach and not proc.get("consoleSize"):
                size_like_caller(fd)
        def to_listener(fd: int) -> None:
            from runtime.seccomp import listener
            from runtime.status import state_dict
            listener.hand_over(security.seccomp, fd, pid, state_dict(store, container_id))
        ready = msg.drive(channel, on_pid=take_pid, on_pty=take_pty,
                          on_seccomp=to_listener if notify else None, gone="")
        os.waitpid(stage1, 0)
        stage1 = -1
        if not ready or pid < 0:
            raise RuntimeFailure("exec failed: the process exited during setup")
        if pid_file:
            write_pid_file(pid_file, pid)
        if master is not None and console_socket:
            from runtime.console import send_to_console_socket
            send_to_console_socket(console_socket, master)
            os.close(master)
            master = None
        if detach:
            return 0
        if master is not None:
            from runtime.console import foreground
            status_word = foreground(master, pid)
        else:
            status_word = wait_forwarding(pid)
        return exit_code(status_word)
    except BaseException:
        kill_and_reap(pid)
        kill_and_reap(stage1)
        raise
    finally:
        if tracer is not None:
            tracer.close()
        if master is not None:
            os.close(master)
        if channel is not None:
            channel.close()
        for _, fd in ns_fds:
            os.close(fd)
        if root_fd >= 0:
            os.close(root_fd)


def exec_child(channel: Channel, ns_fds: list[tuple[str, int]], root_fd: int,
                proc: ProcessPlan, state: st.ContainerState, tracer: Tracer,
                preserve_fds: int, security: Security | None = None, cgroup: Any = None,
                sub_dirs: list[str] | None = None) -> None:
    from runtime.linux import libc, seam  # ctypes: only where syscalls happen
    code = 1
    try:
        channel.child_side()
        if cgroup is not None:
            cgroup.join(0)  # before setns: a cgroup namespace would hide the target
            for directory in sub_dirs or []:
                cgroup.writer.write(directory, "cgroup.procs", 0, "exec --cgroup: the "
                                    "sub-cgroup membership of the exec'd process")
        kernel = seam.kernel()
        kernel.prctl(libc.PR_SET_DUMPABLE, 0)
        kernel.prctl(libc.PR_SET_PDEATHSIG, 9)
        for kind, fd in ns_fds:
            seam.traced(tracer).setns(fd, NAMESPACES[kind][0],
                                      step="exec", text=f"setns(<{kind} ns of pid {state.pid}>)")
        tracer.flush()
        pid = kernel.fork()
        if pid:
            channel.send(msg.PID, str(pid))
            code = 0
            return
        kernel.prctl(libc.PR_SET_PDEATHSIG, 0)
        tracer.host_pid = host_pid()
        kernel.fchdir(root_fd)
        seam.traced(tracer).chroot(".", step="exec", text=f"chroot(/proc/{state.pid}/root)")
        kernel.chdir("/")
        os.close(root_fd)
        kernel.setsid()
        if proc.terminal:
            from runtime import console
            master, slave = console.open_pty(proc.console_size)
            channel.send_fd(master)
            os.close(master)
            console.make_controlling(slave)
        finish_process(proc, tracer, setgroups_allowed=not state.rootless,
                       preserve_fds=preserve_fds, before_exec=lambda: channel.send(msg.READY),
                       channel=channel, security=security)
    except BaseException as exc:  # noqa: BLE001 - a child must never unwind into the CLI
        report_failure(channel, exc, "exec failed")
    finally:
        tracer.flush()
        os._exit(code)
