"""The lifecycle: create (fork, namespaces, rootfs, init), start, kill, delete, exec.

Process model (see DESIGN.md): the caller P stays on the host. Stage 1 (a child of P)
joins and unshares namespaces; the user namespace first, while P writes its id maps.
Stage 1 forks stage 2, which is PID 1 of a new pid namespace and becomes the container
init: it sets up the rootfs, pivots, sets up the process, reports `ready`, and blocks
opening exec.fifo until `start` opens the other end; then it execs. P is a child
subreaper, so the init is reparented to P when stage 1 exits and `run` can wait for it.
"""

from __future__ import annotations

import os

from runtime import state as st
from runtime.config import check_rootfs_reachable, env_list_to_dict, load_bundle
from runtime.errors import RuntimeFailure
from runtime.linux.constants import NAMESPACES
from runtime.namespaces import id_map_text, open_ns_path, plan
from runtime.sync import Channel
from runtime.trace import TRACE_FILE, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


class Created:
    """What `create` leaves the caller: the saved state and, for a foreground terminal,
    the pty master."""

    def __init__(self, state: st.ContainerState, master: int | None = None) -> None:
        self.state = state
        self.master = master


def _write_file(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def write_pid_file(path: str, pid: int) -> None:
    from runtime.atomic import write_file

    write_file(os.path.abspath(path), str(pid).encode())


def _kill_and_reap(pid: int) -> None:
    if pid <= 0:
        return
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        return
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        # Not our child (reparented elsewhere): wait until it is gone.
        import time
        for _ in range(500):
            if st.proc_stat(pid) is None or st.proc_stat(pid)[0] in ("Z", "X"):
                return
            time.sleep(0.01)


def create(store: st.StateStore, container_id: str, bundle: str, *,
           console_socket: str | None = None, pid_file: str | None = None,
           no_pivot: bool = False, preserve_fds: int = 0, foreground: bool = False
           ) -> Created:
    """Create a container; on any failure nothing is left behind and RuntimeFailure says why."""
    from runtime.ids import validate_id
    from runtime.linux import libc  # ctypes: only where syscalls happen
    validate_id(container_id)
    # A container without a pid namespace of its own sees this process: keep its
    # /proc/PID/exe (the host's interpreter) out of reach (CVE-2019-5736).
    libc.prctl(libc.PR_SET_DUMPABLE, 0)
    rootless = os.geteuid() != 0
    config, bundle, rootfs = load_bundle(bundle)
    from runtime import plan as planning
    planning.refuse(config, bundle, rootless)  # the rules `validate` shows, before any fork
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
        join_in_child = bool(ns_plan.unshare_flags & NAMESPACES["cgroup"][0])
        pending = cgroup is not None and not join_in_child
        rules = None
        if cgroup is not None and join_in_child:
            cgroups.realize(cgroup, config)
            cgroups.save(cgroup, directory)
            _report_cgroup_warnings(cgroup, tracer)
        ignored = not_applied(config)
        if ignored:
            tracer.emit("not_applied", ", ".join(ignored), "skipped")
        for warning in planning.warnings(config):
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
        channel = Channel(with_fds=terminal)
        libc.prctl(libc.PR_SET_CHILD_SUBREAPER, 1)
        # Import before fork: after setns/unshare(user) or pivot_root the interpreter may no
        # longer reach its own modules (e.g. a mapped uid cannot read /root).
        preload(terminal, config)
        ctx = _InitContext(config, bundle, rootfs, ns_plan, ns_fds, channel, tracer, fifo_fd,
                           no_pivot, preserve_fds, rootless, container_id, lock_fd)
        ctx.security = security
        ctx.cgroup = cgroup
        ctx.join_in_child = join_in_child
        tracer.flush()
        stage1 = os.fork()
        if stage1 == 0:
            _child_main(ctx)  # never returns
        channel.parent_side()
        os.close(fifo_fd)
        if pending:
            # While stage 1 starts (we have time until it reports the init's pid): the
            # record comes before any mkdir, so that delete can always clean up.
            rules = cgroups.device_rules(config, cgroup)
            cgroup.claim_in_advance()
            cgroups.save(cgroup, directory)
        ready = False
        while not ready or init_pid < 0:
            message = channel.recv()
            if message is None:
                raise RuntimeFailure("container setup failed: its process exited without a "
                                     "reason (see the trace)")
            kind, payload = message
            if kind == "userns":
                _write_id_maps(stage1, config, rootless, tracer)
                channel.reply("ok")
            elif kind == "hooks":
                _run_create_hooks(config, container_id, int(payload or 0), bundle, tracer)
                channel.reply("ok")
            elif kind == "pid":
                init_pid = int(payload)
                try:
                    if pending:
                        # The cgroup with its limits, then the init in it: the init waits
                        # for that before it mounts cgroups. The limits come first: a v1
                        # device list is rewritten from "deny all", and an init already
                        # inside would be refused /dev/null meanwhile.
                        pending = False
                        advance = cgroup.owned
                        cgroups.realize(cgroup, config, rules)
                        cgroup.join(init_pid)
                        channel.reply("cgroup")
                        if cgroup.owned != advance:  # someone made a dir meanwhile
                            cgroups.save(cgroup, directory)
                        _report_cgroup_warnings(cgroup, tracer)
                    # Written now, while the init sets up: `start` and `kill` wait for our
                    # lock, and a failure removes the whole state dir.
                    state = _save_state(store, container_id, bundle, rootfs, init_pid,
                                        config, rootless, no_pivot)
                except (RuntimeFailure, OSError):
                    # An init that failed early is gone: its reason matters, not ours.
                    reason = _reported_error(channel, init_pid)
                    if reason:
                        raise RuntimeFailure(reason) from None
                    raise
            elif kind == "pty":
                master = channel.recv_fd()
                if foreground and not process.get("consoleSize"):
                    _size_like_caller(master)
                channel.reply("ok")
            elif kind == "ready":
                ready = True
            elif kind == "error":
                raise RuntimeFailure(payload)
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
        return Created(state, master)
    except BaseException:
        if master is not None:
            os.close(master)
        _kill_and_reap(init_pid)
        _kill_and_reap(stage1)
        tracer.close()
        try:
            from runtime.cgroups import manager as cgroups
            cgroups.teardown(directory)
        except RuntimeFailure:
            pass  # the original error matters more
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


def _size_like_caller(master: int) -> None:
    """Give the new pty the caller's terminal size before the process can ask for it."""
    if not os.isatty(0):
        return
    from runtime.console import get_winsize, set_winsize
    try:  # noqa: SIM105 (no contextlib on the start path)
        set_winsize(master, *get_winsize(0))
    except OSError:
        pass


def not_applied(config: dict[str, Any]) -> list[str]:
    """Config fields this part of the runtime accepts but does not apply yet."""
    linux = config.get("linux") or {}
    process = config.get("process") or {}
    fields = [f"linux.{key}" for key in ("intelRdt", "mountLabel") if linux.get(key)]
    fields += [f"process.{key}" for key in ("ioPriority", "scheduler", "execCPUAffinity")
               if process.get(key)]
    return fields


class Security:
    """What P prepares before fork for the init (or an exec'd process) to apply."""

    def __init__(self, seccomp: Any = None, sysctl: list[Any] | None = None,
                 labels: list[Any] | None = None) -> None:
        self.seccomp = seccomp
        self.sysctl = sysctl or []
        self.labels = labels or []


def _seccomp_cache_dir(store: st.StateStore) -> str | None:
    """An owner-only dir under the runtime root for exported filters (None if unusable)."""
    path = os.path.join(store.root, ".seccomp-cache")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return None
    return path


def prepare_security(config: dict[str, Any], process: dict[str, Any], store: st.StateStore,
                     tracer: Tracer, *, sysctl: bool = True) -> Security:
    """seccomp compiled, sysctl keys checked, LSM labels planned: all in P, before fork."""
    linux = config.get("linux") or {}
    security = Security()
    if linux.get("seccomp") is not None:
        from runtime import seccomp
        security.seccomp = seccomp.prepare(config, tracer, cache_dir=_seccomp_cache_dir(store))
    if sysctl and linux.get("sysctl"):
        from runtime import sysctl as sysctl_module
        security.sysctl = sysctl_module.check(config)
    if process.get("apparmorProfile") or process.get("selinuxLabel"):
        from runtime import lsm
        security.labels = lsm.plan(process)
    if config.get("hooks"):
        from runtime import hooks
        for kind in hooks.HOOK_KINDS:
            hooks.hooks_of(config, kind)  # refuse a malformed hook before anything runs
    return security


def _run_create_hooks(config: dict[str, Any], container_id: str, pid: int, bundle: str,
                      tracer: Tracer) -> None:
    """prestart then createRuntime, in P (the runtime namespace); the first failure raises."""
    from runtime import hooks
    state = hooks.hook_state(container_id, "creating", pid, bundle, config.get("annotations"))
    hooks.run_hooks(config, "prestart", state, tracer)
    hooks.run_hooks(config, "createRuntime", state, tracer)


def run_host_hooks(state: st.ContainerState, kind: str, status: str) -> None:
    """poststart or poststop in P: failures are warnings on stderr."""
    config = state.config or {}
    if not (config.get("hooks") or {}).get(kind):
        return
    from runtime import hooks
    hook_state = hooks.hook_state(state.id, status, state.pid if status != st.STOPPED else 0,
                                  state.bundle, state.annotations)
    try:
        hooks.run_hooks(config, kind, hook_state)
    except RuntimeFailure as exc:  # a malformed hook list: still only a warning here
        os.write(2, f"bundlebench-runtime: warning: {exc}\n".encode())


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
    try:
        if rootless:
            tracer.call("userns", f"write(/proc/{pid}/setgroups, 'deny')",
                        _write_file, f"/proc/{pid}/setgroups", "deny")
        if uid_maps:
            text = id_map_text(uid_maps)
            tracer.call("userns", f"write(/proc/{pid}/uid_map, {text!r})",
                        _write_file, f"/proc/{pid}/uid_map", text)
        if gid_maps:
            text = id_map_text(gid_maps)
            tracer.call("userns", f"write(/proc/{pid}/gid_map, {text!r})",
                        _write_file, f"/proc/{pid}/gid_map", text)
    except OSError as exc:
        raise RuntimeFailure(f"cannot write the user namespace id maps "
                             f"(linux.uidMappings/gidMappings): {exc.strerror}") from None


class _InitContext:
    """Everything the setup children need, handed over by fork."""

    def __init__(self, config: dict[str, Any], bundle: str, rootfs: str, ns_plan: Any,
                 ns_fds: list[tuple[str, int]], channel: Channel, tracer: Tracer, fifo_fd: int,
                 no_pivot: bool, preserve_fds: int, rootless: bool, container_id: str,
                 lock_fd: int = -1) -> None:
        self.config = config
        self.bundle = bundle
        self.rootfs = rootfs
        self.ns_plan = ns_plan
        self.ns_fds = ns_fds
        self.channel = channel
        self.tracer = tracer
        self.fifo_fd = fifo_fd
        self.no_pivot = no_pivot
        self.preserve_fds = preserve_fds
        self.rootless = rootless
        self.container_id = container_id
        self.lock_fd = lock_fd
        self.security = Security()
        self.cgroup: Any = None
        self.join_in_child = True


def _child_main(ctx: _InitContext) -> None:
    """Stage 1, then (in the grandchild) stage 2. Never returns."""
    code = 1
    try:
        # The flock belongs to the open file description: a child holding it would block
        # `start` for ever.
        os.close(ctx.lock_fd)
        ctx.channel.child_side()
        _stage1(ctx)
        code = 0
    except RuntimeFailure as exc:
        _report(ctx, str(exc))
    except OSError as exc:
        _report(ctx, f"container setup failed: {_describe(exc)}")
    except BaseException as exc:  # noqa: BLE001 - a child must never unwind into the CLI
        _report(ctx, f"container setup failed: {type(exc).__name__}: {exc}")
    finally:
        ctx.tracer.flush()
        os._exit(code)


def _describe(exc: OSError) -> str:
    import errno
    name = errno.errorcode.get(exc.errno or 0, "")
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where} [{name}]"


def _report(ctx: _InitContext, message: str) -> None:
    try:  # noqa: SIM105 (no contextlib on the start path)
        ctx.channel.send("error", message)
    except OSError:
        pass


def _stage1(ctx: _InitContext) -> None:
    if ctx.cgroup is not None and ctx.join_in_child:
        # Before any setns/unshare: the init, pid 1 and a later cgroup namespace are all
        # rooted in the container's cgroup.
        ctx.cgroup.join(0)
    from runtime.linux import libc  # ctypes: only where syscalls happen
    tracer = ctx.tracer
    libc.prctl(libc.PR_SET_DUMPABLE, 0)
    libc.prctl(libc.PR_SET_PDEATHSIG, 9)
    for kind, fd in ctx.ns_fds:
        flag = NAMESPACES[kind][0]
        tracer.call("namespace", f"setns(<{kind} ns>, CLONE_NEW{NAMESPACES[kind][1].upper()})",
                    libc.setns, fd, flag)
    if ctx.ns_plan.unshare_user:
        # The parent writes our id maps; /proc/PID of a non-dumpable task is root's.
        libc.prctl(libc.PR_SET_DUMPABLE, 1)
        tracer.call("namespace", "unshare(CLONE_NEWUSER)", libc.unshare, NAMESPACES["user"][0])
        ctx.channel.send("userns")
        if ctx.channel.wait_reply() != "ok":
            raise RuntimeFailure("the runtime did not write the user namespace id maps")
        libc.prctl(libc.PR_SET_DUMPABLE, 0)
        try:
            os.setresgid(0, 0, 0)
            os.setresuid(0, 0, 0)
        except OSError:
            pass  # container root is not mapped; the process user decides later
    if ctx.ns_plan.unshare_flags:
        names = "|".join(f"CLONE_NEW{NAMESPACES[k][1].upper()}" for k, (flag, _) in
                         NAMESPACES.items() if flag & ctx.ns_plan.unshare_flags)
        tracer.call("namespace", f"unshare({names})", libc.unshare, ctx.ns_plan.unshare_flags)
    offsets = (ctx.config.get("linux") or {}).get("timeOffsets")
    if offsets and ctx.ns_plan.unshare_flags & NAMESPACES["time"][0]:
        text = "".join(f"{clock} {int(v.get('secs', 0))} {int(v.get('nanosecs', 0))}\n"
                       for clock, v in offsets.items())
        tracer.call("namespace", f"write(/proc/self/timens_offsets, {text!r})",
                    _write_file, "/proc/self/timens_offsets", text)
        # The init will read a shifted CLOCK_MONOTONIC: its trace times must not be.
        shift = offsets.get("monotonic") or {}
        tracer.clock_offset = (int(shift.get("secs", 0)) * 1_000_000
                               + int(shift.get("nanosecs", 0)) // 1000)
    tracer.flush()
    pid = os.fork()
    if pid:
        ctx.channel.send("pid", str(pid))
        return
    try:
        _stage2(ctx)
    except RuntimeFailure as exc:
        _report(ctx, str(exc))
    except OSError as exc:
        _report(ctx, f"container setup failed: {_describe(exc)}")
    except BaseException as exc:  # noqa: BLE001
        _report(ctx, f"container setup failed: {type(exc).__name__}: {exc}")
    tracer.flush()
    os._exit(1)


def _host_pid() -> int | None:
    """Our pid as the host sees it: the first NSpid of the host's /proc (before pivot)."""
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"NSpid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def preload(terminal: bool, config: dict[str, Any] | None = None) -> None:
    """Import now what the process needs after pivot_root/chroot, when the host's modules
    are out of reach. Only what config asks for: each import costs start time."""
    import _signal  # noqa: F401
    import errno  # noqa: F401
    import resource  # noqa: F401

    from runtime import capabilities, process, rootfs  # noqa: F401
    from runtime.linux import sealed_exec  # noqa: F401
    if terminal:
        import fcntl  # noqa: F401
        import socket  # noqa: F401

        from runtime import console  # noqa: F401
    if config is None:
        return
    linux = config.get("linux") or {}
    proc = config.get("process") or {}
    if linux.get("maskedPaths") or linux.get("readonlyPaths"):
        from runtime import masking  # noqa: F401
    if linux.get("sysctl"):
        from runtime import sysctl  # noqa: F401
    if proc.get("apparmorProfile") or proc.get("selinuxLabel"):
        from runtime import lsm  # noqa: F401
    if linux.get("personality") is not None:
        from runtime import personality  # noqa: F401
    if config.get("hooks"):
        from runtime import hooks
        hooks.preload()


def _await_cgroup(ctx: _InitContext) -> None:
    """Wait (once) until the runtime has created our cgroup and moved us into it: a
    cgroup mount shows the cgroup we are in."""
    if ctx.cgroup is None or ctx.join_in_child:
        return
    ctx.cgroup = None
    if ctx.channel.wait_reply() != "cgroup":
        raise RuntimeFailure("the runtime did not set up the container's cgroup")


def _stage2(ctx: _InitContext) -> None:
    """The container init: filesystem, identity, process; then wait for start; exec."""
    from runtime import rootfs
    from runtime.linux import libc  # ctypes: only where syscalls happen
    tracer = ctx.tracer
    tracer.host_pid = _host_pid()
    config = ctx.config
    proc = config["process"]
    linux = config.get("linux") or {}
    kinds = {ns["type"] for ns in linux.get("namespaces") or []}
    in_userns = "user" in kinds or ctx.rootless
    os.setsid()
    libc.prctl(libc.PR_SET_PDEATHSIG, 0)
    root_fd = rootfs.prepare(config, ctx.bundle, ctx.rootfs, tracer, in_userns=in_userns,
                             cgroupns="cgroup" in kinds,
                             before_cgroup_mount=lambda: _await_cgroup(ctx))
    os.close(root_fd)
    _await_cgroup(ctx)  # before hooks, a terminal or `ready`: the init is in its cgroup
    if config.get("hostname"):
        tracer.call("hostname", f"sethostname({config['hostname']!r})",
                    libc.sethostname, config["hostname"])
    if config.get("domainname"):
        tracer.call("hostname", f"setdomainname({config['domainname']!r})",
                    libc.setdomainname, config["domainname"])
    hooks = config.get("hooks") or {}
    if hooks.get("prestart") or hooks.get("createRuntime") or hooks.get("createContainer"):
        ctx.channel.send("hooks", str(tracer.host_pid or 0))
        if ctx.channel.wait_reply() != "ok":
            raise RuntimeFailure("the runtime did not run the createRuntime hooks")
        if hooks.get("createContainer"):
            from runtime import hooks as hooks_module
            hooks_module.run_hooks(config, "createContainer", hooks_module.hook_state(
                ctx.container_id, "creating", tracer.host_pid or 0, ctx.bundle,
                config.get("annotations")), tracer)
    rootfs.pivot(ctx.rootfs, tracer, ctx.no_pivot)
    rootfs.apply_root_propagation(config, tracer)
    cwd = proc.get("cwd") or "/"
    if not cwd.startswith("/proc/"):
        # runc creates a missing cwd; inside the new root (and before it turns read-only)
        # this cannot touch the host. Failures surface at chdir with a clear message.
        try:  # noqa: SIM105 (no contextlib on the start path)
            tracer.call("cwd", f"mkdir -p {cwd!r}", os.makedirs, cwd, 0o755, True)
        except OSError:
            pass
    if proc.get("terminal"):
        from runtime import console
        master, slave = console.open_pty(proc.get("consoleSize"), tracer)
        console.mount_console(slave, tracer)
        ctx.channel.send_fd(master)
        os.close(master)
        console.make_controlling(slave, tracer)
    if (config.get("root") or {}).get("readonly"):
        rootfs.readonly_root(tracer, in_userns)
    security = ctx.security
    if security.sysctl:
        from runtime import sysctl
        sysctl.write_all(security.sysctl, "/proc", tracer)
    if linux.get("maskedPaths") or linux.get("readonlyPaths"):
        from runtime import masking
        masking.apply(config, "/", tracer)
    if linux.get("personality") is not None:
        from runtime import personality
        personality.apply(config, tracer)
    finish_process(proc, tracer, setgroups_allowed=not ctx.rootless,
                   preserve_fds=ctx.preserve_fds, before_exec=lambda: _wait_for_start(ctx),
                   channel=ctx.channel, security=security)


def finish_process(proc: dict[str, Any], tracer: Tracer, *, setgroups_allowed: bool,
                   preserve_fds: int, before_exec, channel: Channel,
                   security: Security | None = None) -> None:
    """Shared by create and exec: rlimits .. execve. Reports `ready` before blocking.

    The LSM labels and the seccomp filter come after before_exec (which runs the
    startContainer hooks); a failure there can only go to fd 2."""
    from runtime import capabilities, process
    from runtime.linux import libc, sealed_exec  # ctypes: only where syscalls happen
    security = security or Security()
    nnp = bool(proc.get("noNewPrivileges"))
    # Made before any seccomp filter, which may forbid memfd_create (CVE-2019-5736).
    try:
        helper = tracer.call("exec_helper", "memfd_create('bundlebench-exec', MFD_CLOEXEC|"
                             "MFD_ALLOW_SEALING) + F_ADD_SEALS(WRITE|GROW|SHRINK|SEAL)",
                             sealed_exec.helper_fd)
    except OSError as exc:
        raise RuntimeFailure(f"the sealed exec helper cannot be made: {exc.strerror or exc} "
                             "(the runtime needs memfd_create with sealing, Linux 3.17+)"
                             ) from None
    process.set_rlimits(proc, tracer)
    process.set_oom_score_adj(proc.get("oomScoreAdj"), tracer)
    if security.seccomp is not None and not nnp:
        # Without no_new_privs loading needs CAP_SYS_ADMIN, which the user switch drops.
        security.seccomp.load(tracer)
    caps = capabilities.masks(proc.get("capabilities"))
    capabilities.drop_bounding(caps["bounding"], tracer)
    libc.prctl(libc.PR_SET_KEEPCAPS, 1)
    process.set_user(proc.get("user") or {}, setgroups_allowed, tracer)
    capabilities.apply_sets(caps, tracer)
    libc.prctl(libc.PR_SET_KEEPCAPS, 0)
    process.enter_cwd(proc.get("cwd") or "/", tracer)
    env = env_list_to_dict(proc.get("env") or [])
    process.ensure_home(env, int((proc.get("user") or {}).get("uid", 0)))
    path = process.find_executable(proc["args"][0], env)
    process.refuse_self_exe_interpreter(path)
    if nnp:
        process.no_new_privileges(tracer)
    umask = (proc.get("user") or {}).get("umask")
    os.umask(0o022 if umask is None else int(umask))
    for fd in range(3, 3 + preserve_fds):
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.set_inheritable(fd, True)
        except OSError:
            pass
    tracer.flush()  # before_exec may block until `start`: the trace is complete meanwhile
    before_exec()
    program = security.seccomp if nnp else None
    if security.labels:
        from runtime import lsm
        try:
            lsm.apply(security.labels, "/proc", tracer)
        except RuntimeFailure as exc:
            tracer.close()
            os.write(2, f"bundlebench-runtime: {exc}\n".encode())
            os._exit(1)
    if program is not None:
        tracer.emit("seccomp", f"seccomp(SECCOMP_SET_MODE_FILTER, {program.flags:#x}, "
                    f"<{program.rules} rules, {program.instructions} BPF instructions>)")
    tracer.emit("exec", f"execveat(<sealed exec helper>) -> execve({path!r}, {proc['args']!r})")
    tracer.close()
    channel.close()
    process.reset_signals()
    process.close_fds_from(3 + preserve_fds, keep=helper)
    if program is not None:
        try:
            program.load()
        except RuntimeFailure as exc:
            os.write(2, f"bundlebench-runtime: {exc}\n".encode())
            os._exit(1)
    try:
        sealed_exec.execve(path, proc["args"], env, fd=helper)
    except OSError as exc:
        os.write(2, f"bundlebench-runtime: exec {path}: {exc.strerror}\n".encode())
        os._exit(127)


def _wait_for_start(ctx: _InitContext) -> None:
    """Tell the parent we are ready, then block until `start` opens exec.fifo."""
    fifo_path = f"/proc/self/fd/{ctx.fifo_fd}"
    try:
        os.stat(fifo_path)
    except OSError:
        raise RuntimeFailure("the container has no /proc mounted, which the runtime needs to "
                             "wait for `start`: add a proc mount") from None
    ctx.channel.send("ready")
    ctx.channel.close()
    fd = os.open(fifo_path, os.O_WRONLY | os.O_CLOEXEC)
    if (ctx.config.get("hooks") or {}).get("startContainer"):
        # Between open and write: `start` waits for the byte, so it returns (and runs
        # poststart) only after these hooks, and reports their failure as an early exit.
        _start_container_hooks(ctx)
    os.write(fd, b"0")
    os.close(fd)
    os.close(ctx.fifo_fd)


def _start_container_hooks(ctx: _InitContext) -> None:
    from runtime import hooks
    config = ctx.config
    state = hooks.hook_state(ctx.container_id, "created", ctx.tracer.host_pid or 0, ctx.bundle,
                             config.get("annotations"))
    env = env_list_to_dict((config.get("process") or {}).get("env") or [])
    try:
        hooks.run_hooks(config, "startContainer", state, ctx.tracer, default_env=env)
    except RuntimeFailure as exc:
        ctx.tracer.close()
        os.write(2, f"bundlebench-runtime: {exc}\n".encode())
        os._exit(1)


# --- operations on existing containers ------------------------------------------------------

def start(store: st.StateStore, container_id: str) -> st.ContainerState:
    lock = store.lock(container_id)
    try:
        state = store.load(container_id)
        status = container_status(store, state)
        if status != st.CREATED:
            raise RuntimeFailure(f"cannot start container {container_id!r}: it is {status}, "
                                 "not created")
        _open_fifo(store, state)
    finally:
        os.close(lock)
    run_host_hooks(state, "poststart", st.RUNNING)
    return state


def _open_fifo(store: st.StateStore, state: st.ContainerState) -> None:
    import select
    fifo = os.path.join(store.path(state.id), st.FIFO_NAME)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOFOLLOW)
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        while True:
            if poller.poll(100):
                data = os.read(fd, 16)
                if data:
                    break
            if not st.is_alive(state.pid, state.starttime):
                raise RuntimeFailure(f"container {state.id!r} exited before it could start")
    finally:
        os.close(fd)
    os.unlink(fifo)


def container_status(store: st.StateStore, state: st.ContainerState) -> str:
    """created, running, paused (a frozen cgroup) or stopped."""
    base = store.status(state)
    if base == st.STOPPED or not os.path.exists(os.path.join(store.path(state.id),
                                                             "cgroup.json")):
        return base  # nothing (left) to be frozen
    from runtime.cgroups import commands
    return commands.status(store, state)


def kill(store: st.StateStore, container_id: str, signal_number: int, all_: bool = False
         ) -> None:
    lock = store.lock(container_id)
    try:
        state = store.load(container_id)
        status = container_status(store, state)
        if status not in (st.CREATED, st.RUNNING, "paused"):
            raise RuntimeFailure(f"cannot kill container {container_id!r}: it is {status}")
        from runtime.cgroups import manager as cgroups
        cgroup = cgroups.load(store.path(container_id))
        if all_ and cgroup is not None:
            from runtime.cgroups import commands
            commands.signal_all(cgroup, signal_number)
        else:
            for pid in container_pids(state) if all_ else [state.pid]:
                try:  # noqa: SIM105 (no contextlib on the start path)
                    os.kill(pid, signal_number)
                except ProcessLookupError:
                    pass
        if signal_number == 9 and status == "paused":
            # A frozen task does not die until thawed.
            from runtime.cgroups import freeze
            freeze.thaw(cgroup)
    finally:
        os.close(lock)


def container_pids(state: st.ContainerState) -> list[int]:
    """Every host pid in the container's pid namespace (init first)."""
    try:
        init_ns = os.readlink(f"/proc/{state.pid}/ns/pid")
    except OSError:
        return [state.pid]
    if init_ns == os.readlink("/proc/self/ns/pid"):
        return [state.pid]  # shares our pid namespace: only the init is known to be its own
    pids = [state.pid]
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != state.pid:
            try:
                if os.readlink(f"/proc/{name}/ns/pid") == init_ns:
                    pids.append(int(name))
            except OSError:
                continue
    return pids


def delete(store: st.StateStore, container_id: str, force: bool = False,
           state: st.ContainerState | None = None) -> None:
    """Remove a container (state: its state, when the caller has it at hand)."""
    lock = store.lock(container_id, missing_ok=False)
    try:
        if state is None:
            try:
                state = store.load(container_id)
            except RuntimeFailure:
                if not force:
                    raise
        if state is not None:
            status = container_status(store, state)
            if status != st.STOPPED:
                if not force:
                    raise RuntimeFailure(f"cannot delete container {container_id!r}: it is "
                                         f"{status}; stop it first or use delete --force")
                for pid in reversed(container_pids(state)):
                    _kill_and_reap(pid)
                _wait_gone(state)
        # Raises (keeping the state dir, so delete can be retried) if the cgroup stays busy.
        from runtime.cgroups import manager as cgroups
        cgroups.teardown(store.path(container_id))
        store.remove_dir(container_id)
    finally:
        os.close(lock)
    if state is not None:
        run_host_hooks(state, "poststop", st.STOPPED)


def _wait_gone(state: st.ContainerState) -> None:
    import time
    for _ in range(1000):
        if not st.is_alive(state.pid, state.starttime):
            return
        time.sleep(0.005)
    raise RuntimeFailure(f"container {state.id!r} init (pid {state.pid}) did not die")


def state_dict(store: st.StateStore, container_id: str) -> dict[str, Any]:
    from runtime import OCI_VERSION
    state = store.load(container_id)
    status = container_status(store, state)
    result: dict[str, Any] = {
        "ociVersion": OCI_VERSION, "id": state.id,
        "pid": state.pid if status != st.STOPPED else 0, "status": status,
        "bundle": state.bundle, "rootfs": state.rootfs, "created": state.created,
        "owner": state.owner,
    }
    if state.annotations:
        result["annotations"] = state.annotations
    return result


def exit_code(status: int) -> int:
    """runc's convention: the exit code, or 128+N when killed by signal N."""
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


def wait_forwarding(pid: int) -> int:
    """Wait for our child pid, forwarding the usual termination signals to it."""
    import _signal as signal  # the C module: `signal` pulls in enum (milliseconds)

    def forward(signum: int, _frame: object) -> None:
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.kill(pid, signum)
        except ProcessLookupError:
            pass
    sigs = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
            signal.SIGUSR2)
    old = {sig: signal.signal(sig, forward) for sig in sigs}
    try:
        _, status = os.waitpid(pid, 0)
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    return status


def run(store: st.StateStore, container_id: str, bundle: str, *, detach: bool = False,
        keep: bool = False, console_socket: str | None = None, pid_file: str | None = None,
        no_pivot: bool = False, preserve_fds: int = 0) -> int:
    """create + start; in the foreground wait and return the container's exit code."""
    created = create(store, container_id, bundle, console_socket=console_socket,
                     pid_file=pid_file, no_pivot=no_pivot, preserve_fds=preserve_fds,
                     foreground=not detach)
    pid = created.state.pid
    try:
        # create still holds no lock here and nobody else knows the id yet: consume the
        # fifo directly instead of re-reading the state we just wrote.
        _open_fifo(store, created.state)
    except BaseException:
        if created.master is not None:
            os.close(created.master)
        delete(store, container_id, force=True)
        raise
    run_host_hooks(created.state, "poststart", st.RUNNING)
    if detach:
        return 0
    try:
        if created.master is not None:
            from runtime.console import foreground
            size = (created.state.config.get("process") or {}).get("consoleSize")
            status = foreground(created.master, pid, forward_winsize=not size)
        else:
            status = wait_forwarding(pid)
    finally:
        if created.master is not None:
            os.close(created.master)
    if not keep:
        delete(store, container_id, force=True, state=created.state)
    return exit_code(status)


def build_exec_process(config: dict[str, Any], *, args: list[str], process_json: str | None,
                       cwd: str | None, env: list[str], user: str | None, tty: bool,
                       additional_gids: list[int] | None = None) -> dict[str, Any]:
    """The process runc exec would run: a process.json, or the config's process with the
    command line's args, cwd, env, user and terminal."""
    from runtime.config import merge_env
    from runtime.process import parse_user_spec
    if process_json:
        from runtime.jsonlite import loads
        try:
            with open(process_json, encoding="utf-8") as handle:
                proc = loads(handle.read())
        except OSError as exc:
            raise RuntimeFailure(f"cannot read process file {process_json}: {exc.strerror}"
                                 ) from None
        except ValueError as exc:
            raise RuntimeFailure(f"process file {process_json} is not valid JSON: {exc}"
                                 ) from None
        if not isinstance(proc, dict) or not proc.get("args"):
            raise RuntimeFailure(f"process file {process_json} has no args")
        return proc
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
                 pid_file: str | None = None, preserve_fds: int = 0) -> int:
    """Run proc inside a running container's namespaces and root; return its exit code."""
    from runtime.linux import libc  # ctypes: only where syscalls happen
    libc.prctl(libc.PR_SET_DUMPABLE, 0)  # as in create: the container may see this process
    state = store.load(container_id)
    status = container_status(store, state)
    if status not in (st.CREATED, st.RUNNING):
        raise RuntimeFailure(f"cannot exec in container {container_id!r}: it is {status}")
    from runtime.cgroups import manager as cgroups
    cgroup = cgroups.load(store.path(container_id))
    terminal = bool(proc.get("terminal"))
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
        channel = Channel(with_fds=terminal)
        libc.prctl(libc.PR_SET_CHILD_SUBREAPER, 1)
        preload(terminal, {"process": proc})
        tracer.flush()
        stage1 = os.fork()
        if stage1 == 0:
            _exec_child(channel, ns_fds, root_fd, proc, state, tracer, preserve_fds, security,
                        cgroup)
        channel.parent_side()
        ready = False
        # "pid" (from stage 1) and "ready" (from the process) may arrive in either order.
        while not ready or pid < 0:
            message = channel.recv()
            if message is None:
                break
            kind, payload = message
            if kind == "pid":
                pid = int(payload)
            elif kind == "pty":
                master = channel.recv_fd()
                if not detach and not proc.get("consoleSize"):
                    _size_like_caller(master)
                channel.reply("ok")
            elif kind == "ready":
                ready = True
            elif kind == "error":
                raise RuntimeFailure(payload)
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
        _kill_and_reap(pid)
        _kill_and_reap(stage1)
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


def _exec_child(channel: Channel, ns_fds: list[tuple[str, int]], root_fd: int,
                proc: dict[str, Any], state: st.ContainerState, tracer: Tracer,
                preserve_fds: int, security: Security | None = None, cgroup: Any = None
                ) -> None:
    from runtime.linux import libc  # ctypes: only where syscalls happen
    code = 1
    try:
        channel.child_side()
        if cgroup is not None:
            cgroup.join(0)  # before setns: a cgroup namespace would hide the target
        libc.prctl(libc.PR_SET_DUMPABLE, 0)
        libc.prctl(libc.PR_SET_PDEATHSIG, 9)
        for kind, fd in ns_fds:
            tracer.call("exec", f"setns(<{kind} ns of pid {state.pid}>)", libc.setns, fd,
                        NAMESPACES[kind][0])
        tracer.flush()
        pid = os.fork()
        if pid:
            channel.send("pid", str(pid))
            code = 0
            return
        libc.prctl(libc.PR_SET_PDEATHSIG, 0)
        tracer.host_pid = _host_pid()
        os.fchdir(root_fd)
        tracer.call("exec", f"chroot(/proc/{state.pid}/root)", os.chroot, ".")
        os.chdir("/")
        os.close(root_fd)
        os.setsid()
        if proc.get("terminal"):
            from runtime import console
            master, slave = console.open_pty(proc.get("consoleSize"))
            channel.send_fd(master)
            os.close(master)
            console.make_controlling(slave)
        finish_process(proc, tracer, setgroups_allowed=not state.rootless,
                       preserve_fds=preserve_fds, before_exec=lambda: channel.send("ready"),
                       channel=channel, security=security)
    except RuntimeFailure as exc:
        channel.send("error", str(exc))
    except OSError as exc:
        channel.send("error", f"exec failed: {_describe(exc)}")
    except BaseException as exc:  # noqa: BLE001
        channel.send("error", f"exec failed: {type(exc).__name__}: {exc}")
    finally:
        tracer.flush()
        os._exit(code)
