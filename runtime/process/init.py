"""Stage 2, the container init: mounts, /dev, hooks, pivot_root, console, read-only and
masked paths; then the common finish, which waits for `start` and execs."""

from __future__ import annotations

import os

from runtime.config import env_list_to_dict
from runtime.errors import RuntimeFailure
from runtime.process import messages as msg
from runtime.process.finish import finish_process
from runtime.process.prepare import InitContext
from runtime.trace import host_pid


def _await_cgroup(ctx: InitContext) -> None:
    """Wait (once) until the runtime has created our cgroup and moved us into it: a
    cgroup mount shows the cgroup we are in."""
    if ctx.cgroup is None or ctx.join_in_child:
        return
    ctx.cgroup = None
    if ctx.channel.wait_reply() != msg.CGROUP:
        raise RuntimeFailure("the runtime did not set up the container's cgroup")


def run_init(ctx: InitContext) -> None:
    """The container init: filesystem, identity, process; then wait for start; exec."""
    from runtime import rootfs
    from runtime.linux import libc, seam  # ctypes: only where syscalls happen
    tracer = ctx.tracer
    tracer.host_pid = host_pid()
    config = ctx.config
    proc = config["process"]
    linux = config.get("linux") or {}
    kinds = {ns["type"] for ns in linux.get("namespaces") or []}
    in_userns = "user" in kinds or ctx.rootless
    kernel = seam.kernel()
    kernel.setsid()
    kernel.prctl(libc.PR_SET_PDEATHSIG, 0)
    root_fd = rootfs.prepare(config, ctx.bundle, ctx.rootfs, tracer, in_userns=in_userns,
                             cgroupns="cgroup" in kinds,
                             before_cgroup_mount=lambda: _await_cgroup(ctx))
    os.close(root_fd)
    _await_cgroup(ctx)  # before hooks, a terminal or `ready`: the init is in its cgroup
    if config.get("hostname"):
        seam.traced(tracer).sethostname(config["hostname"],
                                        step="hostname",
                                        text=f"sethostname({config['hostname']!r})")
    if config.get("domainname"):
        seam.traced(tracer).setdomainname(config["domainname"],
                                          step="hostname",
                                          text=f"setdomainname({config['domainname']!r})")
    hooks = config.get("hooks") or {}
    if hooks.get("prestart") or hooks.get("createRuntime") or hooks.get("createContainer"):
        ctx.channel.send(msg.HOOKS, str(tracer.host_pid or 0))
        if ctx.channel.wait_reply() != msg.OK:
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
            seam.traced(tracer).makedirs(cwd, 0o755, step="cwd", text=f"mkdir -p {cwd!r}")
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


def _wait_for_start(ctx: InitContext) -> None:
    """Tell the parent we are ready, then block until `start` opens exec.fifo."""
    fifo_path = f"/proc/self/fd/{ctx.fifo_fd}"
    try:
        os.stat(fifo_path)
    except OSError:
        raise RuntimeFailure("the container has no /proc mounted, which the runtime needs to "
                             "wait for `start`: add a proc mount") from None
    ctx.channel.send(msg.READY)
    ctx.channel.close()
    fd = os.open(fifo_path, os.O_WRONLY | os.O_CLOEXEC)
    if (ctx.config.get("hooks") or {}).get("startContainer"):
        # Between open and write: `start` waits for the byte, so it returns (and runs
        # poststart) only after these hooks, and reports their failure as an early exit.
        _start_container_hooks(ctx)
    os.write(fd, b"0")
    os.close(fd)
    os.close(ctx.fifo_fd)


def _start_container_hooks(ctx: InitContext) -> None:
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
