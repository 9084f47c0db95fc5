"""Where a terminal pane's bytes come from: a shim's attach socket, or a pty we own.

Both give the same small interface to the pane's reader thread: ``fileno()`` to wait
on, ``pump()`` to take what is there without blocking, ``send``/``resize`` from the UI
thread, ``close``. The exec transport runs `bundlebench-runtime exec -t` as a fresh
process on a pty of ours: the app is multi-threaded and never joins namespaces itself.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import struct
import subprocess
import termios
from dataclasses import dataclass, field
from typing import Any, Protocol

from shim.protocol import DATA, EXIT, AttachClient, exit_record

PUMP_LIMIT = 4 << 20  # bytes taken in one pump: enough to coalesce a flood


@dataclass
class Pumped:
    """What one pump found: output, the exit record if the program ended, EOF."""

    data: bytes = b""
    exit: dict[str, Any] | None = None
    closed: bool = False
    extra: list[bytes] = field(default_factory=list)


class Transport(Protocol):
    def fileno(self) -> int: ...
    def pump(self) -> Pumped: ...
    def send(self, data: bytes) -> None: ...
    def resize(self, rows: int, cols: int) -> None: ...
    def close(self) -> None: ...


def _readable(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


class AttachTransport:
    """A client of the container's shim (the attach socket in its state dir)."""

    reconnectable = True

    def __init__(self, state_dir: str) -> None:
        self.client = AttachClient(state_dir)
        self.hello = self.client.hello
        self._early = list(self.client._early)
        self.client._early = []
        self.closed = False

    def fileno(self) -> int:
        return self.client.fileno()

    def pump(self) -> Pumped:
        out = bytearray()
        result = Pumped()
        frames = self._early
        self._early = []
        while len(out) < PUMP_LIMIT:
            for kind, payload in frames:
                if kind == DATA:
                    out += payload
                elif kind == EXIT:
                    result.exit = exit_record(payload)
            if not _readable(self.fileno()):
                break
            try:
                chunk = self.client.sock.recv(1 << 18)
            except OSError:
                chunk = b""
            if not chunk:
                result.closed = True
                break
            try:
                frames = self.client.reader.feed(chunk)
            except ValueError:
                result.closed = True
                break
        result.data = bytes(out)
        if not self.hello.get("terminal", True):
            # Pipes, not a tty: nobody turns \n into \r\n (the tty's onlcr) but us.
            result.data = result.data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        return result

    def send(self, data: bytes) -> None:
        if not self.hello.get("terminal", True):
            data = data.replace(b"\r", b"\n")  # the enter key, as a tty's icrnl would
        if not self.closed:
            with contextlib.suppress(OSError):
                self.client.send_input(data)

    def resize(self, rows: int, cols: int) -> None:
        if not self.closed:
            with contextlib.suppress(OSError):
                self.client.resize(rows, cols)

    def close(self) -> None:
        """Detach: the container goes on."""
        if not self.closed:
            self.closed = True
            self.client.detach()


# The child makes the pty its controlling terminal, so that the runtime's relay gets
# SIGWINCH on resize; done in the new process, not with preexec_fn in a threaded app.
_CTTY = ("import fcntl, os, sys, termios; os.setsid(); "
         "fcntl.ioctl(0, termios.TIOCSCTTY, 0); os.execvp(sys.argv[1], sys.argv[1:])")


def set_winsize(fd: int, rows: int, cols: int) -> None:
    with contextlib.suppress(OSError):
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


class PtyTransport:
    """A program (``argv``) on a pty of ours; its exit code is the exit record."""

    reconnectable = False

    def __init__(self, argv: list[str], rows: int = 24, cols: int = 80,
                 env: dict[str, str] | None = None) -> None:
        import sys

        master, slave = pty.openpty()
        os.set_inheritable(master, False)
        set_winsize(master, rows, cols)
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-c", _CTTY, *argv], stdin=slave, stdout=slave, stderr=slave,
                close_fds=True, env=env)
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        self.master = master
        self.closed = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def fileno(self) -> int:
        return self.master

    def pump(self) -> Pumped:
        out = bytearray()
        result = Pumped()
        while len(out) < PUMP_LIMIT and _readable(self.master):
            try:
                chunk = os.read(self.master, 1 << 18)
            except OSError:
                chunk = b""  # EIO: the program and everything on the pty has gone
            if not chunk:
                result.closed = True
                break
            out += chunk
        if result.closed:
            code = self.process.wait()
            result.exit = {"exit_code": code if code >= 0 else 128 - code,
                           "signal": None if code >= 0 else f"signal {-code}"}
        result.data = bytes(out)
        return result

    def send(self, data: bytes) -> None:
        if not self.closed:
            with contextlib.suppress(OSError):
                os.write(self.master, data)

    def resize(self, rows: int, cols: int) -> None:
        if not self.closed:
            set_winsize(self.master, rows, cols)

    def close(self) -> None:
        """Hang up: the program gets SIGHUP; reap it so nothing is left behind."""
        if self.closed:
            return
        self.closed = True
        os.close(self.master)
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def exec_argv(root: str, container_id: str, command: list[str]) -> list[str]:
    """`bundlebench-runtime --root ROOT exec --tty ID CMD...`."""
    from shim import default_runtime_command

    return [*default_runtime_command(), "--root", root, "exec", "--tty", container_id,
            *command]
