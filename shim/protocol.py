"""The attach socket protocol between a container's shim and its clients.

Every message is a frame: one type byte, a 4-byte big-endian length, the payload.

    shim -> client   HELLO  JSON {"id", "pid", "terminal"}, sent once on connect
                     DATA   output of the container (the recent scrollback first)
                     EXIT   JSON {"exit_code", "signal", "exited_at"} when it ended
    client -> shim   DATA   input for the container
                     RESIZE rows and columns, two big-endian u16
                     DETACH the client leaves; the container goes on

Standard library and the runtime's bounded JSON reader: the shim, `bundlebench attach` and
the TUI pane all speak it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import struct
from typing import Any

from runtime.jsonread import read_json, read_json_file

HELLO = b"H"
DATA = b"D"
EXIT = b"X"
RESIZE = b"R"
DETACH = b"Q"

_HEADER = struct.Struct(">cI")
MAX_FRAME = 1 << 20
ATTACH_SOCKET = "attach.sock"
EXIT_FILE = "exit.json"
CONSOLE_LOG = "console.log"
SHIM_PID_FILE = "shim.pid"


def frame(kind: bytes, payload: bytes = b"") -> bytes:
    """Encode one message."""
    return _HEADER.pack(kind, len(payload)) + payload


def resize_frame(rows: int, cols: int) -> bytes:
    return frame(RESIZE, struct.pack(">HH", rows, cols))


def parse_resize(payload: bytes) -> tuple[int, int]:
    rows, cols = struct.unpack(">HH", payload[:4])
    return rows, cols


class FrameReader:
    """Splits a byte stream into (kind, payload) frames, however it arrives."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[bytes, bytes]]:
        """Add received bytes; return every frame now complete. Raises ValueError on junk."""
        self._buffer += data
        frames = []
        offset = 0
        size = len(self._buffer)
        while size - offset >= _HEADER.size:
            kind, length = _HEADER.unpack_from(self._buffer, offset)
            if length > MAX_FRAME:
                raise ValueError(f"attach frame of {length} bytes is too large")
            end = offset + _HEADER.size + length
            if size < end:
                break
            frames.append((kind, bytes(self._buffer[offset + _HEADER.size:end])))
            offset = end
        del self._buffer[:offset]  # once: a flood brings many frames per read
        return frames


class AttachClient:
    """A blocking client of a shim's attach socket."""

    def __init__(self, state_dir: str, timeout: float | None = 5.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        self.sock.settimeout(timeout)
        path = os.path.join(state_dir, ATTACH_SOCKET)
        try:
            _connect(self.sock, path)
        except OSError:
            self.sock.close()
            raise
        self.reader = FrameReader()
        self.hello: dict[str, Any] = {}
        self._early: list[tuple[bytes, bytes]] = []
        try:
            while not self.hello:  # the shim always speaks first
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionResetError("the shim closed the attach socket")
                for kind, payload in self.reader.feed(data):
                    if kind == HELLO and not self.hello:
                        self.hello = _hello(payload)
                    else:
                        self._early.append((kind, payload))
        except (OSError, ValueError):
            self.sock.close()
            raise
        self.sock.settimeout(None)

    def fileno(self) -> int:
        return self.sock.fileno()

    def send_input(self, data: bytes) -> None:
        self.sock.sendall(frame(DATA, data))

    def resize(self, rows: int, cols: int) -> None:
        self.sock.sendall(resize_frame(rows, cols))

    def detach(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.sendall(frame(DETACH))
        self.close()

    def receive(self) -> list[tuple[bytes, bytes]]:
        """Read what is available (blocking for at least one read); [] means closed."""
        if self._early:
            early, self._early = self._early, []
            return early
        data = self.sock.recv(65536)
        if not data:
            return []
        frames = self.reader.feed(data)
        for kind, payload in frames:
            if kind == HELLO:
                self.hello = _hello(payload)
        return frames or [(b"", b"")]

    def close(self) -> None:
        self.sock.close()


def _hello(payload: bytes) -> dict[str, Any]:
    """The shim's greeting: an object, or ValueError."""
    hello = read_json(payload, "the shim's greeting", max_bytes=1 << 16)
    if not isinstance(hello, dict) or not hello:
        raise ValueError("the shim's greeting is not an object")
    return hello


def exit_record(payload: bytes) -> dict[str, Any]:
    """An EXIT frame's record ({} when it is not an object)."""
    try:
        record = read_json(payload, "the shim's exit record", max_bytes=1 << 16)
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


def _connect(sock: socket.socket, path: str) -> None:
    # AF_UNIX paths are limited to 108 bytes; a long state root is reached through
    # /proc/self/fd of its directory instead.
    if len(path.encode()) < 100:
        sock.connect(path)
        return
    dir_fd = os.open(os.path.dirname(path), os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        sock.connect(f"/proc/self/fd/{dir_fd}/{os.path.basename(path)}")
    finally:
        os.close(dir_fd)


def shim_alive(state_dir: str) -> bool | None:
    """Whether the container's shim runs: True; False when it was started and is gone
    without ending the way it ends (killed: its pid file stays behind); None when there
    is no shim (none was started, or it ended and removed its pid file)."""
    try:
        with open(os.path.join(state_dir, SHIM_PID_FILE)) as handle:
            pid = int(handle.read().strip())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read()
    except OSError:
        return False
    return b"shim" in command  # not a recycled pid


def read_exit(state_dir: str) -> dict[str, Any] | None:
    """The exit record the shim wrote, or None while the container runs."""
    try:
        record = read_json_file(os.path.join(state_dir, EXIT_FILE), max_bytes=1 << 16)
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None
