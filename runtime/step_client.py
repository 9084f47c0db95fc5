"""The client side of step mode (runtime/step.py documents the messages)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from runtime.errors import RuntimeFailure
from runtime.step import SOCKET_NAME


@dataclass
class Stop:
    """A setup process waiting before a step; answer it with send()."""

    number: int
    pid: int
    stage: str
    step: str
    syscall: str
    connection: socket.socket

    def send(self, command: str) -> None:
        """next, continue, to KIND, look or abort; the stopped process goes on."""
        try:
            self.connection.sendall(command.encode() + b"\n")
            self.connection.recv(16)  # its "ok", or EOF
        except OSError:
            pass
        finally:
            self.connection.close()


def stepping(state_dir: str) -> bool:
    """Whether the container was created in step mode and may still stop."""
    return os.path.exists(os.path.join(state_dir, SOCKET_NAME))


def _connect(state_dir: str, timeout: float) -> socket.socket | None:
    path = os.path.join(state_dir, SOCKET_NAME)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    connection.settimeout(timeout)
    try:
        connection.connect(path)
    except (FileNotFoundError, ConnectionRefusedError):
        connection.close()
        return None  # no socket, or nobody holds it: the setup has no more stops
    except OSError as exc:
        connection.close()
        raise RuntimeFailure(f"cannot reach the step socket {path}: {exc.strerror or exc}"
                             ) from None
    return connection


WAITING_FOR_START = "waiting for start"


def wait_stop(state_dir: str, timeout: float = 30.0,
              created: Callable[[], bool] | None = None) -> Stop | str | None:
    """The next stop (blocking up to timeout); None when the setup has no more stops;
    WAITING_FOR_START when created() says create is done: the init then waits for
    `start` before its last stops (seccomp with no_new_privs, execve)."""
    import time

    from runtime.jsonread import JSONInputError, read_json
    connection = _connect(state_dir, timeout)
    if connection is None:
        return None
    data = b""
    deadline = time.monotonic() + timeout
    connection.settimeout(0.1)
    try:
        while not data.endswith(b"\n"):
            try:
                chunk = connection.recv(65536)
            except TimeoutError:
                if created is not None and created():
                    connection.close()
                    return WAITING_FOR_START
                if time.monotonic() >= deadline:
                    connection.close()
                    raise RuntimeFailure(f"no stop within {timeout:g} s: the setup is busy "
                                         "or stuck") from None
                continue
            if not chunk:
                connection.close()
                return None  # the last holder exec'd or exited while we waited
            data += chunk
    except OSError:
        connection.close()
        return None
    try:
        report = read_json(data, "the step report")
    except JSONInputError as exc:
        connection.close()
        raise RuntimeFailure(str(exc)) from None
    if not isinstance(report, dict):
        connection.close()
        raise RuntimeFailure("the step report is not an object")
    return Stop(int(report.get("stop") or 0), int(report.get("pid") or 0),
                str(report.get("stage", "")), str(report.get("step", "")),
                str(report.get("syscall", "")), connection)


def abort(state_dir: str, timeout: float = 10.0) -> bool:
    """Make the setup fail at its next stop (delete -f); True when a process took it."""
    try:
        stop = wait_stop(state_dir, timeout)
    except RuntimeFailure:
        return False
    if not isinstance(stop, Stop):
        return False
    stop.send("abort")
    return True
