"""Setup trace: one JSON line per step in <root>/<id>/trace.jsonl.

Each event: step id, the syscall and its arguments as text, "ok" or the errno name,
duration in microseconds, the pid (as the host sees it when known) and `t`, the
CLOCK_MONOTONIC time in microseconds when the step ended. The runtime's processes work
side by side, so readers order events by when they began (t - us), not by their place in
the file.
"""

from __future__ import annotations

import errno as _errno
import os
import time

from runtime.jsonlite import quote

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeVar

    T = TypeVar("T")
TRACE_FILE = "trace.jsonl"


class Tracer:
    """Collects events and appends them to an O_APPEND fd with one write(2) per flush.

    A write per step would cost more than most steps. Each process flushes before it
    forks (so a child never inherits, and writes twice, its parent's events), before it
    blocks, execs or exits.
    """

    def __init__(self, fd: int | None = None, host_pid: int | None = None) -> None:
        self.fd = fd
        self.host_pid = host_pid
        # µs to take off CLOCK_MONOTONIC: a process in a time namespace sees it shifted.
        self.clock_offset = 0
        self._lines: list[str] = []
        self.stepper: Any = None  # step mode (runtime/step.py): stop before each step

    @classmethod
    def open(cls, path: str) -> Tracer:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return cls(fd)

    def emit(self, step: str, syscall: str, result: str = "ok", micros: int = 0) -> None:
        if self.fd is None:
            return
        self._lines.append(
            f'{{"step":{quote(step)},"syscall":{quote(syscall)},"result":{quote(result)},'
            f'"us":{micros},"pid":{self.host_pid or os.getpid()},'
            f'"t":{time.monotonic_ns() // 1000 - self.clock_offset}}}\n')

    def before(self, step: str, syscall: str) -> None:
        """In step mode, wait for the client before this step (the trace so far is
        written first, for the client to read)."""
        if self.stepper is not None:
            self.flush()
            self.stepper.before(step, syscall, self.host_pid or os.getpid())

    def call(self, step: str, syscall: str, func: Callable[..., T], *args: Any) -> T:
        """Run func(*args), record how it went, and return its result or re-raise."""
        if self.stepper is not None:
            self.before(step, syscall)
        start = time.perf_counter_ns()
        try:
            result = func(*args)
        except OSError as exc:
            name = _errno.errorcode.get(exc.errno or 0, str(exc.errno))
            self.emit(step, syscall, name, (time.perf_counter_ns() - start) // 1000)
            raise
        self.emit(step, syscall, "ok", (time.perf_counter_ns() - start) // 1000)
        return result

    def flush(self) -> None:
        """Write the collected events; tracing never breaks container setup."""
        if self.fd is None or not self._lines:
            return
        data = "".join(self._lines).encode()
        self._lines = []
        try:
            while data:
                data = data[os.write(self.fd, data):]
        except OSError:
            pass

    def close(self) -> None:
        if self.fd is not None:
            self.flush()
            os.close(self.fd)
            self.fd = None


NULL_TRACER = Tracer(None)


def read_trace(path: str) -> list[dict[str, Any]]:
    """Events of a trace file in the order they began; unreadable lines are skipped."""
    from runtime.jsonlite import loads
    events = []
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                try:
                    event = loads(line)
                except ValueError:
                    continue
                if isinstance(event, dict):
                    events.append(event)
    except FileNotFoundError:
        return []
    events.sort(key=lambda event: began(event) or 0)  # stable: old traces keep file order
    return events


def began(event: dict[str, Any]) -> int | None:
    """When a step began, in CLOCK_MONOTONIC µs (None for an event without t)."""
    t, micros = event.get("t"), event.get("us")
    if not isinstance(t, int):
        return None
    return t - (micros if isinstance(micros, int) else 0)


def host_pid() -> int | None:
    """Our pid as the host sees it: the first NSpid of the host's /proc (before pivot)."""
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(b"NSpid:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None
