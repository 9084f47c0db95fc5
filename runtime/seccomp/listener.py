"""Seccomp user notification: the notify fd and the runtime-spec's containerProcessState
go to the agent listening at linux.seccomp.listenerPath, in one SCM_RIGHTS message.

Runs in P (create, exec), which receives the fd from the init or the exec'd process.
"""

from __future__ import annotations

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any

SECCOMP_FD_NAME = "seccompFd"  # the runtime-spec's name of the fd in "fds"
_TIMEOUT = 10.0  # seconds: a listener that accepts nothing must not hang create for ever


def process_state(pid: int, metadata: str, state: dict[str, Any]) -> dict[str, Any]:
    """The containerProcessState document: the fds that follow, the process they belong
    to, listenerMetadata and the container's state."""
    from runtime import OCI_VERSION
    return {"ociVersion": OCI_VERSION, "fds": [SECCOMP_FD_NAME], "pid": pid,
            "metadata": metadata, "state": state}


def check_present(path: str) -> None:
    """Refuse, before any fork, a listenerPath where no socket is (validate says it too);
    whether someone listens there shows only when P connects."""
    import os
    import stat
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        raise _failure("cannot connect to the seccomp listener at", path,
                       exc.strerror or str(exc)) from None
    if not stat.S_ISSOCK(mode):
        raise _failure("cannot connect to the seccomp listener at", path, "it is not a socket")


def _failure(what: str, path: str, why: str) -> RuntimeFailure:
    return RuntimeFailure(f"{what} {path}: {why}", pointer="/linux/seccomp/listenerPath",
                          host=True)


def send(path: str, fd: int, document: dict[str, Any]) -> None:
    """Connect to the listener, send document with fd, close; RuntimeFailure says why not."""
    import socket

    from runtime.jsonlite import dumps
    payload = dumps(document).encode()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.settimeout(_TIMEOUT)
        try:
            sock.connect(path)
        except OSError as exc:
            raise _failure("cannot connect to the seccomp listener at", path,
                           exc.strerror or str(exc)) from None
        try:
            socket.send_fds(sock, [payload], [fd])
        except OSError as exc:
            raise _failure("cannot send the seccomp notify fd to the listener at", path,
                           exc.strerror or str(exc)) from None
    finally:
        sock.close()


def hand_over(program: Any, fd: int, pid: int, state: dict[str, Any]) -> None:
    """The notify fd of program (a loaded Program with a listener) to its listener."""
    send(program.listener, fd, process_state(pid, program.metadata, state))
