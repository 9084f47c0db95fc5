"""Step mode: the container's setup stops before each traced step, like a debugger.

Our extension, off unless `create --step` (or the API's step=) asks for it. Every step
the trace records goes through Tracer.call (the seam's calls, the cgroup writes, masks,
the seccomp load) or Tracer.before (execve, which cannot be traced after it happens):
with a Stepper on the tracer, the process about to take the step waits there.

The control socket is `step.sock` in the container's state dir, made by P before the
fork; every setup process inherits the listening fd (close-on-exec, and closed before
the container's execve), so the init still answers after pivot_root, when the state dir
is out of its sight. One process is at a stop at a time: in step mode the cgroup is made
before the fork, and P, stage 1 and the init take their steps in turn.

The messages, one line each, over one connection per stop:

    stopped process -> client   {"stop": N, "pid": host pid, "stage": "runtime" |
                                 "stage 1" | "init", "step": kind, "syscall": text}
    client -> stopped process   next         take this step, stop before the next one
                                continue     take every step from here without stopping
                                to KIND      stop next before a step of that kind
                                look         nothing: stay stopped (the next connection
                                             gets the same stop)
                                abort        fail the setup here (delete -f sends it);
                                             the runtime cleans up as after any failure
    stopped process -> client   ok           (then it closes the connection)

A client that connects while no process is stopped waits in the listen backlog until
the next stop; once the init has exec'd and P has exited, nobody holds the socket and a
connection is refused. With no client for `timeout` seconds a stop continues (all the
remaining steps), or, with destroy_on_timeout, fails the setup.
"""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure

SOCKET_NAME = "step.sock"
_STAGING_NAME = ".step.new"
DEFAULT_TIMEOUT = 300.0  # seconds a stop waits for a client
COMMANDS = ("next", "continue", "to", "look", "abort")
_MODE_SIZE = 64  # bytes of the shared mode: "next", "continue" or "to KIND"


class Stepping:
    """How create steps: how long a stop waits for a client, and what then."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, destroy_on_timeout: bool = False
                 ) -> None:
        self.timeout = timeout
        self.destroy_on_timeout = destroy_on_timeout


class Aborted(RuntimeFailure):
    """The client (or delete -f) asked the setup to stop here."""


class Stepper:
    """Stops before each step while the shared mode says so (made in P, inherited)."""

    def __init__(self, state_dir: str, timeout: float = DEFAULT_TIMEOUT,
                 destroy_on_timeout: bool = False) -> None:
        # Everything a stop uses is imported now: after pivot_root the init cannot
        # reach the host's modules.
        import mmap
        import select  # noqa: F401
        import socket

        import runtime.jsonlite  # noqa: F401
        self.path = os.path.join(state_dir, SOCKET_NAME)
        self.timeout = timeout
        self.destroy_on_timeout = destroy_on_timeout
        self.stage = "runtime"
        # Shared by every process forked from here: a `continue` told to stage 1 holds
        # for the init and for P's own later steps too.
        self._mode = mmap.mmap(-1, _MODE_SIZE, mmap.MAP_SHARED)
        self._counter = mmap.mmap(-1, 8, mmap.MAP_SHARED)
        self._set_mode("next")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        # Bound under another name (as long, so no path limit differs) and renamed once it
        # listens: a client that sees step.sock can connect, never meets ECONNREFUSED
        # between bind and listen and takes it for "no more stops".
        staging = os.path.join(state_dir, _STAGING_NAME)
        self.server.bind(staging)
        os.chmod(staging, 0o600)
        self.server.listen(8)
        os.rename(staging, self.path)

    def _set_mode(self, mode: str) -> None:
        data = mode.encode()[:_MODE_SIZE]
        self._mode[:] = data + b"\0" * (_MODE_SIZE - len(data))

    @property
    def mode(self) -> str:
        return bytes(self._mode).rstrip(b"\0").decode()

    def _next_number(self) -> int:
        number = int.from_bytes(self._counter[:], "little") + 1
        self._counter[:] = number.to_bytes(8, "little")
        return number

    def wants_stop(self, step: str) -> bool:
        mode = self.mode
        return mode == "next" or (mode.startswith("to ") and mode[3:] == step)

    def before(self, step: str, syscall: str, pid: int) -> None:
        """Wait here for the client when the mode stops at this step."""
        if not self.wants_stop(step):
            return
        from runtime.jsonlite import dumps
        report = dumps({"stop": self._next_number(), "pid": pid, "stage": self.stage,
                        "step": step, "syscall": syscall}) + "\n"
        while True:
            command = self._serve(report.encode())
            if command is None:  # nobody came
                if self.destroy_on_timeout:
                    raise Aborted(f"step mode: no client for {self.timeout:g} s at the "
                                  f"{step} step: the setup was given up")
                self._set_mode("continue")
                return
            if command == "look":
                continue
            if command == "abort":
                raise Aborted(f"step mode: the setup was aborted before the {step} step")
            self._set_mode(command)
            return

    def _serve(self, report: bytes) -> str | None:
        """Wait for a client, send it the report, read its command; None when no client
        was there for the timeout (one that holds the stop open may take its time). A
        newer connection replaces one that says nothing (a client that went quiet, or
        delete -f while the TUI shows this stop)."""
        import select
        import time
        deadline = time.monotonic() + self.timeout
        listening = self.server.fileno()
        connection = None
        data = b""
        try:
            while True:
                wait = -1  # a client holds the stop: no timeout
                if connection is None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return None
                    wait = int(left * 1000) + 1
                poller = select.poll()
                poller.register(listening, select.POLLIN)
                if connection is not None:
                    poller.register(connection.fileno(), select.POLLIN)
                ready = dict(poller.poll(wait))
                if listening in ready:
                    if connection is not None:
                        connection.close()
                    connection, _ = self.server.accept()
                    data = b""
                    try:
                        connection.sendall(report)
                    except OSError:
                        connection.close()
                        connection = None
                    continue
                if connection is None or connection.fileno() not in ready:
                    continue
                try:
                    chunk = connection.recv(256)
                except OSError:
                    chunk = b""
                if not chunk:  # the client went away: wait for the next one
                    connection.close()
                    connection = None
                    deadline = time.monotonic() + self.timeout
                    continue
                data += chunk
                if b"\n" in data or len(data) > 256:
                    command = data.split(b"\n")[0].decode(errors="replace").strip()
                    if not _valid(command):
                        command = "look"
                    try:  # noqa: SIM105 - the command counts even if the client left
                        connection.sendall(b"ok\n")
                    except OSError:
                        pass
                    return command
        finally:
            if connection is not None:
                connection.close()

    def close(self) -> None:
        """This process takes no more steps (the socket stays for the others)."""
        self.server.close()


def _valid(command: str) -> bool:
    word, _, rest = command.partition(" ")
    return word in COMMANDS and (word != "to") == (rest == "")
