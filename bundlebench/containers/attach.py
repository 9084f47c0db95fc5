"""Attach this terminal to a container's shim: raw mode, resize, ctrl+p ctrl+q to detach."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import termios
import tty
from collections.abc import Iterator
from dataclasses import dataclass

from bundlebench.errors import BundlebenchError
from shim.protocol import DATA, EXIT, AttachClient, exit_record

DETACH_KEYS = b"\x10\x11"  # ctrl+p ctrl+q, as docker and podman use


@dataclass
class AttachOutcome:
    """How an attach ended: detached (the container goes on) or the container exited."""

    detached: bool
    exit_code: int | None = None


class DetachScanner:
    """Finds the detach sequence in typed input, passing everything else through."""

    def __init__(self, keys: bytes = DETACH_KEYS) -> None:
        self.keys = keys
        self.held = b""

    def feed(self, data: bytes) -> tuple[bytes, bool]:
        """Return (bytes to forward, detach requested)."""
        out = bytearray()
        for byte in data:
            candidate = self.held + bytes([byte])
            if self.keys.startswith(candidate):
                if candidate == self.keys:
                    return bytes(out), True
                self.held = candidate
                continue
            out += candidate
            self.held = b""
        return bytes(out), False


@contextlib.contextmanager
def raw_terminal(fd: int) -> Iterator[None]:
    """Put a terminal in raw mode and restore it on every way out."""
    if not os.isatty(fd):
        yield
        return
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd, termios.TCSANOW)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def terminal_size(fd: int) -> tuple[int, int] | None:
    try:
        size = os.get_terminal_size(fd)
    except OSError:
        return None
    return size.lines, size.columns


def connect(state_dir: str, container_id: str) -> AttachClient:
    try:
        return AttachClient(state_dir)
    except FileNotFoundError:
        raise BundlebenchError(
            f"container {container_id} has no attach socket: it was not started by "
            "bundlebench, or it has already ended (`bundlebench ps` shows its status)"
        ) from None
    except (ConnectionRefusedError, ConnectionResetError):
        from shim.protocol import read_exit, shim_alive

        if shim_alive(state_dir) is False:
            raise BundlebenchError(
                f"container {container_id} lost its shim (was it killed?): its terminal "
                f"cannot be reached any more; `bundlebench rm -f {container_id}` removes it"
            ) from None
        record = read_exit(state_dir)
        if record is not None:
            raise BundlebenchError(
                f"container {container_id} has already ended "
                f"(exit code {record.get('exit_code')}): `bundlebench rm {container_id}`"
            ) from None
        raise BundlebenchError(f"container {container_id} is not accepting attaches") from None
    except PermissionError:
        raise BundlebenchError(
            f"container {container_id} belongs to another user: attach as its owner"
        ) from None
    except OSError as error:
        raise BundlebenchError(f"cannot attach to {container_id}: {error.strerror}") from None


def attach_terminal(state_dir: str, container_id: str, stdin: int = 0, stdout: int = 1,
                    announce: bool = True) -> AttachOutcome:
    """Relay this terminal to the container until it exits or the user detaches."""
    client = connect(state_dir, container_id)
    scanner = DetachScanner()
    resize_r, resize_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)

    def on_winch(_signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):
            os.write(resize_w, b"w")

    previous = signal.signal(signal.SIGWINCH, on_winch)
    if announce and os.isatty(stdout):
        os.write(stdout, f"[attached to {container_id}; detach with ctrl+p ctrl+q]\r\n".encode())
    stdin_open = True
    try:
        with raw_terminal(stdin):
            size = terminal_size(stdout)
            if size:
                client.resize(*size)
            while True:
                watched = [client.fileno(), resize_r] + ([stdin] if stdin_open else [])
                ready, _, _ = select.select(watched, [], [])
                if resize_r in ready:
                    with contextlib.suppress(BlockingIOError):
                        os.read(resize_r, 64)
                    size = terminal_size(stdout)
                    if size:
                        client.resize(*size)
                if stdin_open and stdin in ready:
                    data = os.read(stdin, 4096)
                    if not data:
                        stdin_open = False  # keep showing output after input ends
                        continue
                    forward, detach = scanner.feed(data)
                    if forward:
                        client.send_input(forward)
                    if detach:
                        client.detach()
                        return AttachOutcome(detached=True)
                if client.fileno() in ready:
                    frames = client.receive()
                    if not frames:
                        return AttachOutcome(detached=False, exit_code=None)
                    for kind, payload in frames:
                        if kind == DATA:
                            _write_all(stdout, payload)
                        elif kind == EXIT:
                            code = exit_record(payload).get("exit_code")
                            code = code if isinstance(code, int) else None
                            return AttachOutcome(detached=False, exit_code=code)
    finally:
        signal.signal(signal.SIGWINCH, previous)
        os.close(resize_r)
        os.close(resize_w)
        client.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        view = view[written:]


def print_detached(container_id: str, outcome: AttachOutcome) -> None:
    if outcome.detached:
        sys.stderr.write(f"\r\n[detached from {container_id}; "
                         f"`bundlebench attach {container_id}` to come back]\r\n")
