"""kill: a signal to the init or to every process of the container."""

from __future__ import annotations

import os

from runtime import state as st
from runtime.errors import RuntimeFailure
from runtime.status import PAUSED, container_pids, container_status


def kill(store: st.StateStore, container_id: str, signal_number: int, all_: bool = False
         ) -> None:
    lock = store.lock(container_id)
    try:
        state = store.load(container_id)
        status = container_status(store, state)
        if status not in (st.CREATED, st.RUNNING, PAUSED):
            raise RuntimeFailure(f"cannot kill container {container_id!r}: it is {status}")
        from runtime.cgroups import manager as cgroups
        cgroup = cgroups.load(store.path(container_id))
        if all_ and cgroup is not None:
            from runtime.cgroups.freeze import signal_all
            signal_all(cgroup, signal_number)
        else:
            for pid in container_pids(state) if all_ else [state.pid]:
                try:  # noqa: SIM105 (no contextlib on the start path)
                    os.kill(pid, signal_number)
                except ProcessLookupError:
                    pass
        if signal_number == 9 and status == PAUSED:
            # A frozen task does not die until thawed.
            from runtime.cgroups import freeze
            freeze.thaw(cgroup)
    finally:
        os.close(lock)


def kill_and_reap(pid: int) -> None:
    """SIGKILL pid and return once it has exited: reaped when it is our child, else
    awaited through a pidfd (5 s at most)."""
    if pid <= 0:
        return
    # The pidfd is opened before the signal, so it names this process even if the pid
    # is recycled the moment it dies.
    handle = st.open_pidfd(pid)
    try:
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            return
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            st.wait_exit(pid, 5.0, handle)
    finally:
        if handle is not None:
            os.close(handle)
