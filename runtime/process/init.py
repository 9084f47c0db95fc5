"""Stage 2, the container init: mounts, /dev, hooks, pivot_root, console, read-only and
masked paths; then the common finish, which waits for `start` and execs."""

from __future__ import annotations

import os

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
    """The container init: filesystem, identity, process; then wait for start; exec.
    It acts on ctx.plan, decided before the fork; config.json's dict is only handed to
    the hook runner."""
    from runtime import rootfs
    from runtime.linux import libc, seam  # ctypes: only where syscalls happen
    tracer = ctx.tracer
    tracer.host_pid = host_pid()
    if tracer.stepper is not None:
        tracer.stepper.stage = "init"
    plan = ctx.plan
    proc = plan.process
    kernel = seam.kernel()
    kernel.setsid()
    kernel.prctl(libc.PR_SET_PDEATHSIG, 0)
    root_fd = rootfs.prepare(plan, tracer, before_cgroup_mount=lambda: _await_cgroup(ctx))
    os.close(root_fd)
    _await_cgroup(ctx)  # before hooks, a terminal or `ready`: the init is in its cgroup
    k = seam.traced(tracer)
    if plan.hostname:
        k.sethostname(plan.hostname)
    if plan.domainname:
        k.setdomainname(plan.domainname)
    if plan.hooks & {"prestart", "createRuntime", "createContainer"}:
        ctx.channel.send(msg.HOOKS, str(tracer.host_pid or 0))
        if ctx.channel.wait_reply() != msg.OK:
            raise RuntimeFailure("the runtime did not run the createRuntime hooks")
        if "createContainer" in plan.hooks:
            from runtime import hooks as hooks_module
            hooks_module.run_hooks(plan.config, "createContainer", hooks_module.hook_state(
                ctx.container_id, "creating", tracer.host_pid or 0, plan.bundle,
                plan.config.get("annotations")), tracer)
    rootfs.pivot(plan.rootfs, tracer, ctx.no_pivot, host_namespace="mount" not in plan.kinds)
    rootfs.apply_root_propagation(plan.rootfs_propagation, tracer)
    if not proc.cwd.startswith("/proc/"):
        # runc creates a missing cwd; inside the new root (and before it turns read-only)
        # this cannot touch the host. Failures surface at chdir with a clear message.
        try:  # noqa: SIM105 (no contextlib on the start path)
            k.makedirs(proc.cwd, 0o755, text=f"mkdir -p {proc.cwd!r}")
        except OSError:
            pass
    if proc.terminal:
        from runtime import console
        master, slave = console.open_pty(proc.console_size, tracer)
        console.mount_console(slave, tracer)
        ctx.channel.send_fd(master)
        os.close(master)
        console.make_controlling(slave, tracer)
    if plan.readonly_root:
        rootfs.readonly_root(tracer, plan.in_userns)
    security = ctx.security
    if security.sysctl:
        from runtime import sysctl
        sysctl.write_all(security.sysctl, "/proc", tracer)
    if plan.paths:
        from runtime import masking
        masking.apply_paths(plan.paths, "/", tracer)
    if plan.personality is not None:
        from runtime import personality
        personality.set_value(plan.personality, tracer)
    finish_process(proc, tracer, setgroups_allowed=not plan.rootless,
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
    if "startContainer" in ctx.plan.hooks:
        # Between open and write: `start` waits for the byte, so it returns (and runs
        # poststart) only after these hooks, and reports their failure as an early exit.
        _start_container_hooks(ctx)
    os.write(fd, b"0")
    os.close(fd)
    os.close(ctx.fifo_fd)


def _start_container_hooks(ctx: InitContext) -> None:
    from runtime import hooks
    plan = ctx.plan
    state = hooks.hook_state(ctx.container_id, "created", ctx.tracer.host_pid or 0,
                             plan.bundle, plan.config.get("annotations"))
    try:
        hooks.run_hooks(plan.config, "startContainer", state, ctx.tracer,
                        default_env=dict(plan.process.env))
    except RuntimeFailure as exc:
        ctx.tracer.close()
        os.write(2, f"bundlebench-runtime: {exc}\n".encode())
        os._exit(1)
