"""start: open the exec fifo that the init waits on, then run the poststart hooks."""

from __future__ import annotations

import os

from runtime import state as st
from runtime.errors import RuntimeFailure
from runtime.hooks_host import run_host_hooks
from runtime.status import container_status


def start(store: st.StateStore, container_id: str) -> st.ContainerState:
    lock = store.lock(container_id)
    try:
        state = store.load(container_id)
        status = container_status(store, state)
        if status != st.CREATED:
            raise RuntimeFailure(f"cannot start container {container_id!r}: it is {status}, "
                                 "not created")
        open_fifo(store, state)
    finally:
        os.close(lock)
    run_host_hooks(state, "poststart", st.RUNNING)
    return state


def open_fifo(store: st.StateStore, state: st.ContainerState) -> None:
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
