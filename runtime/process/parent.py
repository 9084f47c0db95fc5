"""The parent, P: state dir, exec fifo, the fork, and the one loop that answers the setup
children's messages (see runtime/process/__init__.py) until the init is ready."""

from __future__ import annotations

import os

from runtime import state as st
from runtime.atomic import write_pid_file
from runtime.config import check_rootfs_reachable, load_bundle
from runtime.errors import RuntimeFailure
from runtime.kill import kill_and_reap
from runtime.linux.constants import NAMESPACES
from runtime.namespaces import id_map_text, open_ns_path, plan
from runtime.process import messages as msg
from runtime.process.messages import Channel
from runtime.process.prepare import InitContext, preload, prepare_security
from runtime.process.stage1 import child_main
from runtime.trace import TRACE_FILE, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

    from runtime.step import Stepping


class Created:
    """What `create` leaves the caller: the saved state and, for a foreground terminal,
    the pty master."""

    def __init__(self, state: st.ContainerState, master: int | None = None) -> None:
        self.state = state
        self.master = master


def create(store: st.StateStore, container_id: str, bundle: str, *,
           console_socket: str | None = None, pid_file: str | None = None,
           no_pivot: bool = False, preserve_fds: int = 0, foreground: bool = False,
           step: Stepping | None = None) -> Created:
    """Create a container; on any failure nothing is left behind and RuntimeFailure says why."""
    from runtime.ids import validate_id
    from runtime.linux import libc, seam  # ctypes: only where syscalls happen
    validate_id(container_id)
    # A container without a pid namespace of its own sees this process: keep its
    # /proc/PID/exe (the host's interpreter) out of reach (CVE-2019-5736).
    seam.kernel().prctl(libc.PR_SET_DUMPABLE, 0)
    rootless = os.geteuid() != 0
    config, bundle, rootfs = load_bundle(bundle)
    from runtime import rules as planning
    planning.refuse(config, bundle, rootless)  # the rules `validate` shows, before any fork
    from runtime import plan as plans
    made_plan = plans.make(config, bundle, rootfs, rootless)
    check_rootfs_reachable(config, rootfs)
    process = config["process"]
    terminal = bool(process.get("terminal"))
    if terminal and not foreground and not console_socket:
        raise RuntimeFailure("process.terminal is true but no --console-socket was given: "
                             "a detached container needs one to hand its pty to")
    if console_socket and not terminal:
        raise RuntimeFailure("--console-socket was given but process.terminal is false")
    if console_socket and not os.path.exists(console_socket):
        raise RuntimeFailure(f"console socket {console_socket} does not exist")
    if store.exists(container_id) or os.path.lexists(os.path.join(store.root, container_id)):
        raise RuntimeFailure(f"container {container_id!r} already exists")
    ns_plan = plan(config)
    ns_fds = [(kind, open_ns_path(kind, path)) for kind, path in ns_plan.join]
    directory = store.create_dir(container_id)
    lock_fd = store.lock(container_id)
    channel = None
    stage1 = init_pid = -1
    master = None
    tracer = Tracer(None)
    try:
        tracer = Tracer.open(os.path.join(directory, TRACE_FILE))
        if step is not None:
            from runtime.step import Stepper
            tracer.stepper = Stepper(directory, step.timeout, step.destroy_on_timeout)
        if "mount" not in made_plan.kinds:
            from runtime import host_mounts
            host_mounts.note(directory, rootfs)  # before anything is mounted
        from runtime.cgroups import manager as cgroups
        from runtime.cgroups import warm
        from runtime.cgroups.detect import detect
        # The host's mounts, read once: for the plan, and for the init's cgroup mounts.
        # /proc/self/cgroup is the text read before the warm-up began: showing that file
        # takes the cgroup_mutex which the warm-up holds.
        with open("/proc/self/mountinfo") as handle:
            mountinfo = handle.read()
        if any(mount.get("type") == "cgroup" for mount in config.get("mounts") or []):
            from runtime import mounts
            mounts.remember_host_mounts(mountinfo)
        cgroup = cgroups.plan(config, container_id, rootless=rootless,
                              host=detect(mountinfo, warm.proc_cgroup()), tracer=tracer)
        # A new cgroup namespace is rooted where its creator is: then the cgroup must exist
        # before the fork, and stage 1 joins it. Otherwise we create the cgroup and move
        # the init into it while the init sets up its root: that hides the kernel's slow
        # first cgroup.procs write (see cgroups/warm.py) behind the mounts.
        # Step mode too: one process at a stop at a time, so the cgroup is not made
        # while the init sets up.
        join_in_child = bool(ns_plan.unshare_flags & NAMESPACES["cgroup"][0]) or \
            step is not None
        pending = cgroup is not None and not join_in_child
        rules = None
        if cgroup is not None and join_in_child:
            cgroups.realize(cgroup, config)
            cgroups.save(cgroup, directory)
            _report_cgroup_warnings(cgroup, tracer)
        ignored = planning.not_applied(config)
        if ignored:
            tracer.emit("not_applied", ", ".join(ignored), "skipped")
        for warning in planning.warnings(config):
            if warning.pointer.startswith("/process/capabilities"):
                os.write(2, f"bundlebench-runtime: warning: {warning.message}\n".encode())
                tracer.emit("capabilities", warning.message, "dropped")
        fifo = os.path.join(directory, st.FIFO_NAME)
        old_umask = os.umask(0)
        try:
            os.mkfifo(fifo, 0o622)
        finally:
            os.umask(old_umask)
        fifo_fd = os.open(fifo, os.O_PATH | os.O_CLOEXEC)
        security = prepare_security(config, process, store, tracer)
        notify = security.seccomp is not None and security.seccomp.notify
        channel = Channel(with_fds=terminal or notify)
        seam.kernel().prctl(libc.PR_SET_CHILD_SUBREAPER, 1)
        # Import before fork: after setns/unshare(user) or pivot_root the interpreter may no
        # longer reach its own modules (e.g. a mapped uid cannot read /root).
        preload(terminal, config, notify=notify)
        ctx = InitContext(made_plan, ns_plan, ns_fds, channel, tracer, fifo_fd, no_pivot,
                          preserve_fds, container_id, lock_fd)
        ctx.security = security
        ctx.cgroup = cgroup
        ctx.join_in_child = join_in_child
        tracer.flush()
        stage1 = seam.kernel().fork()
        if stage1 == 0:
            child_main(ctx)  # never returns
        channel.parent_side()
        os.close(fifo_fd)
        if pending:
            # While stage 1 starts (we have time until it reports the init's pid): the
            # record comes before any mkdir, so that delete can always clean up.
            rules = cgroups.device_rules(config, cgroup)
            cgroup.claim_in_advance()
            cgroups.save(cgroup, directory)
        state = None

        def on_pid(pid: int) -> None:
            nonlocal pending, init_pid, state
            init_pid = pid
            try:
                if pending:
                    # The cgroup with its limits, then the init in it: the init waits
                    # for that before it mounts cgroups. The limits come first: a v1
                    # device list is rewritten from "deny all", and an init already
                    # inside would be refused /dev/null meanwhile.
                    pending = False
                    advance = cgroup.owned
                    cgroups.realize(cgroup, config, rules)
                    cgroup.join(pid)
                    channel.reply(msg.CGROUP)
                    if cgroup.owned != advance:  # someone made a dir meanwhile
                        cgroups.save(cgroup, directory)
                    _report_cgroup_warnings(cgroup, tracer)
                # Written now, while the init sets up: `start` and `kill` wait for our
                # lock, and a failure removes the whole state dir.
                state = _save_state(store, container_id, bundle, rootfs, pid, config,
                                    rootless, no_pivot)
            except (RuntimeFailure, OSError):
                # An init that failed early is gone: its reason matters, not ours.
                reason = _reported_error(channel, pid)
                if reason:
                    raise RuntimeFailure(reason) from None
                raise

        def on_pty(fd: int) -> None:
            nonlocal master
            master = fd
            if foreground and not process.get("consoleSize"):
                size_like_caller(fd)

        def on_seccomp(fd: int) -> None:
            from runtime.seccomp import listener
            from runtime.status import state_dict
            # As runc: the listener hears of the container while create still runs.
            document = {**state_dict(store, container_id), "status": st.CREATING}
            listener.hand_over(security.seccomp, fd, init_pid, document)

        def userns(_payload: str) -> str:
            _write_id_maps(stage1, config, rootless, tracer)
            return msg.OK

        def hooks(payload: str) -> str:
            _run_create_hooks(config, container_id, int(payload or 0), bundle, tracer)
            return msg.OK

        msg.drive(channel, on_pid=on_pid, on_pty=on_pty,
                  on_seccomp=on_seccomp if notify else None,
                  answers={msg.USERNS: userns, msg.HOOKS: hooks},
                  gone="container setup failed: its process exited without a reason "
                       "(see the trace)")
        os.waitpid(stage1, 0)
        stage1 = -1
        if not st.is_alive(state.pid, state.starttime):
            raise RuntimeFailure("container init exited during setup")
        if pid_file:
            write_pid_file(pid_file, init_pid)
        if master is not None and console_socket:
            try:
                from runtime.console import send_to_console_socket
                send_to_console_socket(console_socket, master)
            except OSError as exc:
                raise RuntimeFailure(f"console socket {console_socket}: {exc.strerror or exc}"
                                     ) from None
            finally:
                os.close(master)
                master = None
        if tracer.stepper is not None:
            tracer.stepper.close()  # the init holds the socket for its last stops
        return Created(state, master)
    except BaseException:
        if master is not None:
            os.close(master)
        kill_and_reap(init_pid)
        kill_and_reap(stage1)
        tracer.close()
        try:
            from runtime.cgroups import manager as cgroups
            cgroups.teardown(directory)
        except RuntimeFailure:
            pass  # the original error matters more
        from runtime import host_mounts
        host_mounts.release(directory)
        store.remove_dir(container_id)
        raise
    finally:
        tracer.close()
        if channel is not None:
            channel.close()
        for _, fd in ns_fds:
            os.close(fd)
        os.close(lock_fd)
        from runtime.cgroups import warm
        warm.reap()


def size_like_caller(master: int) -> None:
    """Give the new pty the caller's terminal size before the process can ask for it."""
    if not os.isatty(0):
        return
    from runtime.console import get_winsize, set_winsize
    try:  # noqa: SIM105 (no contextlib on the start path)
        set_winsize(master, *get_winsize(0))
    except OSError:
        pass


def _run_create_hooks(config: dict[str, Any], container_id: str, pid: int, bundle: str,
                      tracer: Tracer) -> None:
    """prestart then createRuntime, in P (the runtime namespace); the first failure raises."""
    from runtime import hooks
    state = hooks.hook_state(container_id, "creating", pid, bundle, config.get("annotations"))
    hooks.run_hooks(config, "prestart", state, tracer)
    hooks.run_hooks(config, "createRuntime", state, tracer)


def _save_state(store: st.StateStore, container_id: str, bundle: str, rootfs: str,
                init_pid: int, config: dict[str, Any], rootless: bool, no_pivot: bool
                ) -> st.ContainerState:
    info = st.proc_stat(init_pid)
    if info is None:
        raise RuntimeFailure("container init exited during setup")
    state = st.ContainerState(
        id=container_id, bundle=bundle, rootfs=rootfs, pid=init_pid, starttime=info[1],
        created=st.rfc3339_now(), owner="", annotations=config.get("annotations") or {},
        config=config, rootless=rootless, no_pivot=no_pivot)
    store.save(state)
    return state


def _reported_error(channel: Channel, init_pid: int) -> str | None:
    """The error a dead init reported before it exited (None while it lives)."""
    info = st.proc_stat(init_pid)
    if info is not None and info[0] not in ("Z", "X"):
        return None
    while (message := channel.recv()) is not None:
        if message[0] == "error":
            return message[1]
    return None


def _report_cgroup_warnings(cgroup: Any, tracer: Tracer) -> None:
    for warning in cgroup.warnings:
        os.write(2, f"bundlebench-runtime: warning: {warning}\n".encode())
        tracer.emit("cgroups", warning, "skipped")


def _write_id_maps(pid: int, config: dict[str, Any], rootless: bool, tracer: Tracer) -> None:
    linux = config.get("linux") or {}
    uid_maps = linux.get("uidMappings") or []
    gid_maps = linux.get("gidMappings") or []
    from runtime.linux import seam
    k = seam.traced(tracer)
    try:
        if rootless:
            k.write_file(f"/proc/{pid}/setgroups", "deny", step="userns")
        if uid_maps:
            k.write_file(f"/proc/{pid}/uid_map", id_map_text(uid_maps), step="userns")
        if gid_maps:
            k.write_file(f"/proc/{pid}/gid_map", id_map_text(gid_maps), step="userns")
    except OSError as exc:
        raise RuntimeFailure(f"cannot write the user namespace id maps "
                             f"(linux.uidMappings/gidMappings): {exc.strerror}") from None
