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
