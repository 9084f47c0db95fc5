"""Setup trace: one JSON line per step in <root>/<id>/trace.jsonl.

Each event: step id, the syscall and its arguments as text, "ok" or the errno name,
duration in microseconds, and the pid (as the host sees it when known).
"""

from __future__ import annotations

import errno as _errno
import os
import time

from runtime.jsonlite import dumps

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")
TRACE_FILE = "trace.jsonl"


class Tracer:
    """Appends events to an inherited O_APPEND fd; each event is one write(2)."""

    def __init__(self, fd: int | None = None, host_pid: int | None = None) -> None:
        self.fd = fd
        self.host_pid = host_pid

    @classmethod
    def open(cls, path: str) -> Tracer:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return cls(fd)

    def emit(self, step: str, syscall: str, result: str = "ok", micros: int = 0) -> None:
        if self.fd is None:
            return
        event = {"step": step, "syscall": syscall, "result": result, "us": micros,
                 "pid": self.host_pid or os.getpid()}
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.write(self.fd, (dumps(event) + "\n").encode())
        except OSError:
            pass  # tracing must never break container setup

    def call(self, step: str, syscall: str, func: Callable[..., T], *args: Any) -> T:
        """Run func(*args), record how it went, and return its result or re-raise."""
        start = time.perf_counter_ns()
        try:
            result = func(*args)
        except OSError as exc:
            name = _errno.errorcode.get(exc.errno or 0, str(exc.errno))
            self.emit(step, syscall, name, (time.perf_counter_ns() - start) // 1000)
            raise
        self.emit(step, syscall, "ok", (time.perf_counter_ns() - start) // 1000)
        return result

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


NULL_TRACER = Tracer(None)


def read_trace(path: str) -> list[dict[str, Any]]:
    """Events of a trace file, oldest first; unreadable lines are skipped."""
    from runtime.jsonlite import loads
    events = []
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    events.append(loads(line))
                except ValueError:
                    continue
    except FileNotFoundError:
        return []
    return events
