"""Stage 1: join and unshare namespaces (the user namespace first, while P writes its id
maps), then fork the init, PID 1 of a new pid namespace. Its one error path reports to P."""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure
from runtime.linux.constants import NAMESPACES
from runtime.process import messages as msg
from runtime.process.init import run_init
from runtime.process.messages import report_failure
from runtime.process.prepare import InitContext


def child_main(ctx: InitContext) -> None:
    """Stage 1, then (in the grandchild) stage 2. Never returns."""
    code = 1
    try:
        # The flock belongs to the open file description: a child holding it would block
        # `start` for ever.
        os.close(ctx.lock_fd)
        ctx.channel.child_side()
        run_stage1(ctx)
        code = 0
    except BaseException as exc:  # noqa: BLE001 - a child must never unwind into the CLI
        report_failure(ctx.channel, exc)
    finally:
        ctx.tracer.flush()
        os._exit(code)


def run_stage1(ctx: InitContext) -> None:
    if ctx.tracer.stepper is not None:
        ctx.tracer.stepper.stage = "stage 1"
    if ctx.cgroup is not None and ctx.join_in_child:
        # Before any setns/unshare: the init, pid 1 and a later cgroup namespace are all
        # rooted in the container's cgroup.
        ctx.cgroup.join(0)
    from runtime.linux import libc, seam  # ctypes: only where syscalls happen
    tracer = ctx.tracer
    k = seam.traced(tracer)
    kernel = seam.kernel()
    kernel.prctl(libc.PR_SET_DUMPABLE, 0)
    kernel.prctl(libc.PR_SET_PDEATHSIG, 9)
    for kind, fd in ctx.ns_fds:
        k.setns(fd, NAMESPACES[kind][0],
                text=f"setns(<{kind} ns>, {seam.clone_flag(kind)})")
    if ctx.ns_plan.unshare_user:
        # The parent writes our id maps; /proc/PID of a non-dumpable task is root's.
        kernel.prctl(libc.PR_SET_DUMPABLE, 1)
        k.unshare(NAMESPACES["user"][0])
        ctx.channel.send(msg.USERNS)
        if ctx.channel.wait_reply() != msg.OK:
            raise RuntimeFailure("the runtime did not write the user namespace id maps")
        kernel.prctl(libc.PR_SET_DUMPABLE, 0)
        try:
            kernel.setresgid(0, 0, 0)
            kernel.setresuid(0, 0, 0)
        except OSError:
            pass  # container root is not mapped; the process user decides later
    if ctx.ns_plan.unshare_flags:
        k.unshare(ctx.ns_plan.unshare_flags)
    if ctx.ns_plan.unshare_flags & NAMESPACES["network"][0]:
        try:  # a new network namespace has lo, down (runc brings it up)
            k.link_up(1)
        except OSError as exc:
            raise RuntimeFailure(f"lo cannot be brought up in the new network namespace: "
                                 f"{exc.strerror}") from None
    if ctx.plan.time_offsets and ctx.ns_plan.unshare_flags & NAMESPACES["time"][0]:
        k.write_file("/proc/self/timens_offsets", ctx.plan.time_offsets, step="namespace")
        # The init will read a shifted CLOCK_MONOTONIC: its trace times must not be.
        tracer.clock_offset = ctx.plan.monotonic_shift_us
    tracer.flush()
    pid = kernel.fork()
    if pid:
        ctx.channel.send(msg.PID, str(pid))
        return
    try:
        run_init(ctx)
    except BaseException as exc:  # noqa: BLE001 - the init must never unwind either
        report_failure(ctx.channel, exc)
    tracer.flush()
    os._exit(1)


