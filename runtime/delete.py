"""delete: kill what is left (with --force), tear the cgroup down, remove the state dir,
then run the poststop hooks."""

from __future__ import annotations

import os

from runtime import state as st
from runtime.errors import RuntimeFailure
from runtime.hooks_host import run_host_hooks
from runtime.kill import kill_and_reap
from runtime.status import PAUSED, container_pids, container_status


def delete(store: st.StateStore, container_id: str, force: bool = False,
           state: st.ContainerState | None = None) -> None:
    """Remove a container (state: its state, when the caller has it at hand)."""
    if force and _abort_stepping(store, container_id):
        return  # its create failed at the stop and cleaned up after itself
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
                if status == PAUSED:
                    _kill_frozen(store, state)
                for pid in reversed(container_pids(state)):
                    kill_and_reap(pid)
                _wait_gone(state)
        from runtime import host_mounts
        host_mounts.release(store.path(container_id))  # a container in the host's mount ns
        from runtime.cgroups import saved
        if not saved.remove_if_empty(store.path(container_id)):
            # Raises (keeping the state dir, so delete can be retried) if it stays busy.
            from runtime.cgroups import manager as cgroups
            cgroups.teardown(store.path(container_id))
        store.remove_dir(container_id)
    finally:
        os.close(lock)
    if state is not None:
        run_host_hooks(state, "poststop", st.STOPPED)


def _kill_frozen(store: st.StateStore, state: st.ContainerState) -> None:
    """SIGKILL a paused container's processes, then thaw it: a frozen task holds its
    SIGKILL until it may run again, and must not run anything else first."""
    from runtime.cgroups import freeze
    from runtime.cgroups import manager as cgroups
    cgroup = cgroups.load(store.path(state.id))
    if cgroup is None:
        return
    freeze.kill_all(cgroup)  # every process of the cgroup, exec'd ones too
    freeze.thaw(cgroup)


def _wait_gone(state: st.ContainerState) -> None:
    handle = st.open_pidfd(state.pid)  # before the liveness check: a recycled pid can't fool it
    try:
        if st.is_alive(state.pid, state.starttime) and not st.wait_exit(state.pid, 5.0, handle):
            raise RuntimeFailure(f"container {state.id!r} init (pid {state.pid}) did not die")
    finally:
        if handle is not None:
            os.close(handle)


def _abort_stepping(store: st.StateStore, container_id: str) -> bool:
    """A create in step mode holds the lock while it waits at a stop: delete -f makes it
    fail there (its own cleanup removes everything). True when the container is gone."""
    from runtime.step import SOCKET_NAME
    directory = store.path(container_id)
    if not os.path.exists(os.path.join(directory, SOCKET_NAME)) or \
            not store.being_created(container_id):
        return False
    from runtime import step_client
    step_client.abort(directory)
    import time
    deadline = time.monotonic() + 10
    while os.path.lexists(directory) and time.monotonic() < deadline:
        time.sleep(0.01)
    return not os.path.lexists(directory)
