"""Public API of the embedded runtime.

    from runtime.api import Runtime
    rt = Runtime(root="/run/bundlebench")
    rt.create("web1", "/path/to/bundle"); rt.start("web1"); rt.state("web1")
    rt.pause("web1"); rt.resume("web1"); rt.ps("web1"); rt.stats("web1"); rt.update(...)

create, run and exec fork and change namespaces: call them from a single-threaded
process (the `bundlebench-runtime` CLI is one). state, list and kill are safe anywhere.
Every failure raises RuntimeFailure whose message is one sentence for the user.
"""

from __future__ import annotations

from typing import Any

from runtime.errors import RuntimeFailure
from runtime.linux.constants import signal_number
from runtime.state import StateStore

TYPE_CHECKING = False
if TYPE_CHECKING:
    from runtime.step import Stepping

__all__ = ["Runtime", "RuntimeFailure"]


class Runtime:
    """One runtime root (a directory of container state dirs)."""

    def __init__(self, root: str | None = None) -> None:
        self.store = StateStore(root)

    @property
    def root(self) -> str:
        return self.store.root

    def create(self, container_id: str, bundle: str, *, console_socket: str | None = None,
               pid_file: str | None = None, no_pivot: bool = False,
               preserve_fds: int = 0, step: Stepping | None = None) -> dict[str, Any]:
        """Create a container from a bundle; it waits in `created` for start(). With
        step, each setup step waits for a client first (runtime/step.py)."""
        from runtime.process.parent import create
        create(self.store, container_id, bundle, console_socket=console_socket,
               pid_file=pid_file, no_pivot=no_pivot, preserve_fds=preserve_fds, step=step)
        return self.state(container_id)

    def start(self, container_id: str) -> None:
        """Run the user process of a created container."""
        from runtime.start import start
        start(self.store, container_id)

    def run(self, container_id: str, bundle: str, *, detach: bool = False, keep: bool = False,
            console_socket: str | None = None, pid_file: str | None = None,
            no_pivot: bool = False) -> int:
        """create + start; in the foreground, wait and return the exit code (128+N if killed
        by signal N), deleting the container unless keep."""
        from runtime.run import run
        return run(self.store, container_id, bundle, detach=detach, keep=keep,
                   console_socket=console_socket, pid_file=pid_file, no_pivot=no_pivot)

    def state(self, container_id: str) -> dict[str, Any]:
        """runtime-spec state: ociVersion, id, status, pid, bundle, rootfs, created, owner."""
        from runtime.status import state_dict
        return state_dict(self.store, container_id)

    def list(self) -> list[dict[str, Any]]:
        """State of every container under the root."""
        result = []
        for container_id in self.store.ids():
            try:
                result.append(self.state(container_id))
            except RuntimeFailure:
                continue
        return result

    def kill(self, container_id: str, signal: str | int = "TERM", all: bool = False) -> None:
        """Send a signal (name, SIGNAME or number) to the init, or to every process."""
        try:
            number = signal_number(signal, allow_zero=True)
        except ValueError as exc:
            raise RuntimeFailure(str(exc)) from None
        from runtime.kill import kill
        kill(self.store, container_id, number, all)

    def delete(self, container_id: str, force: bool = False) -> None:
        """Remove a stopped container (force: kill it first)."""
        from runtime.delete import delete
        delete(self.store, container_id, force)

    def exec(self, container_id: str, args: list[str] | None = None, *,
             process: dict[str, Any] | None = None, cwd: str | None = None,
             env: list[str] | None = None, user: str | None = None, tty: bool = False,
             detach: bool = False, console_socket: str | None = None,
             pid_file: str | None = None) -> int:
        """Run another process in a container; return its exit code (0 when detached)."""
        from runtime.process.exec import build_exec_process, exec_process
        if process is None:
            state = self.store.load(container_id)
            process = build_exec_process(
                state.config, args=list(args or []), process_json=None, cwd=cwd,
                env=list(env or []), user=user, tty=tty)
        return exec_process(self.store, container_id, process, detach=detach,
                            console_socket=console_socket, pid_file=pid_file)

    def pause(self, container_id: str) -> None:
        """Freeze every process of the container (state becomes paused)."""
        from runtime.cgroups import control
        control.pause(self.store, container_id)

    def resume(self, container_id: str) -> None:
        """Thaw a paused container."""
        from runtime.cgroups import control
        control.resume(self.store, container_id)

    def ps(self, container_id: str) -> list[int]:
        """Host pids of the container's processes."""
        from runtime.cgroups import control
        return control.container_pids(self.store, self.store.load(container_id),
                                      control.load_manager(self.store, container_id))

    def stats(self, container_id: str) -> dict[str, Any]:
        """runc's stats data: cpu, memory, pids, blkio, hugetlb, ..."""
        from runtime.cgroups import control
        return control.container_stats(self.store, container_id)

    def update(self, container_id: str, resources: dict[str, Any]) -> list[str]:
        """Apply a linux.resources fragment to a live container; returns warnings."""
        from runtime.cgroups import control
        return control.apply_update(self.store, container_id, resources)

    def trace(self, container_id: str) -> list[dict[str, Any]]:
        """The setup trace events of a container, oldest first."""
        import os

        from runtime.trace import TRACE_FILE, read_trace
        return read_trace(os.path.join(self.store.path(container_id), TRACE_FILE))
