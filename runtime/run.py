"""run: create, start, and in the foreground wait for the exit code (runc's 128+N for a
signal), then delete."""

from __future__ import annotations

import os

from runtime import state as st
from runtime.delete import delete
from runtime.hooks_host import run_host_hooks
from runtime.process.parent import create
from runtime.process.waiting import exit_code, wait_forwarding
from runtime.start import open_fifo

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from runtime.step import Stepping


def run(store: st.StateStore, container_id: str, bundle: str, *, detach: bool = False,
        keep: bool = False, console_socket: str | None = None, pid_file: str | None = None,
        no_pivot: bool = False, preserve_fds: int = 0, step: Stepping | None = None) -> int:
    """create + start; in the foreground wait and return the container's exit code."""
    created = create(store, container_id, bundle, console_socket=console_socket,
                     pid_file=pid_file, no_pivot=no_pivot, preserve_fds=preserve_fds,
                     foreground=not detach, step=step)
    pid = created.state.pid
    try:
        # create still holds no lock here and nobody else knows the id yet: consume the
        # fifo directly instead of re-reading the state we just wrote.
        open_fifo(store, created.state)
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
