"""The shim's event loop: the container's output to every client and to the log, client
input to the container, window sizes, and backpressure when a client falls behind."""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import time

from shim.protocol import (
    CONSOLE_LOG,
    DATA,
    DETACH,
    HELLO,
    RESIZE,
    FrameReader,
    frame,
    parse_resize,
)

SCROLLBACK = 256 * 1024
LOG_LIMIT = 1 << 20
HIGH_WATER = 1 << 20  # a client this far behind pauses the container's output
LOW_WATER = 256 * 1024
STALLED_CLIENT_SECONDS = 5.0


class Client:
    """One attached client and the output still to be sent to it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = FrameReader()
        self.pending = bytearray()
        self.behind_since = 0.0  # when it fell more than HIGH_WATER behind


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != b"Z"  # a zombie has ended; reaping it gives the status


class Relay:
    """The I/O half of a Shim (daemon.py holds the state it uses: master, clients, ...)."""

    # -- serving -----------------------------------------------------------------------
    def serve(self) -> None:
        """Relay between the container and its clients until the container has ended."""
        wake_r, wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)
        os.set_blocking(self.master, False)
        os.set_blocking(self.input, False)
        self._update_master()
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(wake_r, selectors.EVENT_READ, "signal")
        self.log = open(os.path.join(self.state_dir, CONSOLE_LOG), "ab")  # noqa: SIM115
        self._reap()
        while self.exit_record is None:
            for key, events in self.selector.select(timeout=1.0):
                what = key.data
                if what == "output":
                    if events & selectors.EVENT_WRITE:
                        self._flush_input()
                    if events & selectors.EVENT_READ:
                        self._read_output()
                elif what == "accept":
                    self._accept()
                elif what == "signal":
                    with contextlib.suppress(BlockingIOError):
                        os.read(wake_r, 512)
                    self._reap()
                elif what == "input":
                    self._flush_input()
                elif isinstance(what, Client):
                    if events & selectors.EVENT_READ:
                        self._client_readable(what)
                    if events & selectors.EVENT_WRITE and what.sock.fileno() in self.clients:
                        self._client_writable(what)
            self._check_backpressure()
            if self.exit_record is None and not alive(self.init_pid):
                self._reap()
        self._finish()

    def _update_master(self) -> None:
        """Watch the container's output unless paused, and its input while some waits."""
        if self.output_closed:
            return
        events = 0 if self.output_paused else selectors.EVENT_READ
        if self.input == self.master and self.pending_input:
            events |= selectors.EVENT_WRITE
        registered = self.master in self.selector.get_map()
        if events and registered:
            self.selector.modify(self.master, events, "output")
        elif events:
            self.selector.register(self.master, events, "output")
        elif registered:
            self.selector.unregister(self.master)

    def _check_backpressure(self) -> None:
        # Like a real terminal, a reader that falls behind makes the writer wait, rather
        # than the shim buffering without bound; a client stalled for long is dropped.
        now = time.monotonic()
        behind = False
        for client in list(self.clients.values()):
            size = len(client.pending)
            if size > HIGH_WATER:
                client.behind_since = client.behind_since or now
                if now - client.behind_since > STALLED_CLIENT_SECONDS:
                    self._drop(client)
                else:
                    behind = True
            elif size > LOW_WATER:
                behind = behind or self.output_paused  # resume only once well drained
            else:
                client.behind_since = 0.0
        if behind != self.output_paused:
            self.output_paused = behind
            self._update_master()

    def _read_output(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""  # EIO: every holder of the terminal's other side is gone
        if not data:
            self.output_closed = True
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(self.master)
            return
        self._record(data)
        message = frame(DATA, data)
        for client in list(self.clients.values()):
            self._queue(client, message)
        self._check_backpressure()

    def _record(self, data: bytes) -> None:
        self.scrollback += data
        if len(self.scrollback) > SCROLLBACK:
            del self.scrollback[: len(self.scrollback) - SCROLLBACK]
        self.log.write(data)
        if self.log.tell() > LOG_LIMIT:
            # Keep the log bounded: restart it from the most recent output.
            self.log.seek(0)
            self.log.truncate()
            self.log.write(self.scrollback)
        self.log.flush()

    def _accept(self) -> None:
        try:
            sock, _ = self.listener.accept()
        except BlockingIOError:
            return
        sock.setblocking(False)
        client = Client(sock)
        self.clients[sock.fileno()] = client
        self.selector.register(sock, selectors.EVENT_READ, client)
        hello = {"id": self.id, "pid": self.init_pid, "terminal": self.terminal}
        self._queue(client, frame(HELLO, json.dumps(hello).encode()))
        if self.scrollback:
            self._queue(client, frame(DATA, bytes(self.scrollback)))

    def _client_readable(self, client: Client) -> None:
        try:
            data = client.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(client)
            return
        try:
            frames = client.reader.feed(data)
        except ValueError:
            self._drop(client)
            return
        for kind, payload in frames:
            if kind == DATA:
                self.pending_input += payload
                self._flush_input()
            elif kind == RESIZE and self.terminal:
                self._resize(*parse_resize(payload))
            elif kind == DETACH:
                self._drop(client)
                return

    def _resize(self, rows: int, cols: int) -> None:
        import fcntl
        import struct
        import termios

        with contextlib.suppress(OSError):
            fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def _flush_input(self) -> None:
        while self.pending_input:
            try:
                written = os.write(self.input, self.pending_input)
            except BlockingIOError:
                break
            except OSError:
                self.pending_input.clear()  # the container closed its input
                break
            del self.pending_input[:written]
        self._watch_input(bool(self.pending_input))

    def _watch_input(self, waiting: bool) -> None:
        if self.input == self.master:
            self._update_master()  # one registration for both directions of the pty
            return
        registered = self.input in self.selector.get_map()
        if waiting and not registered:
            self.selector.register(self.input, selectors.EVENT_WRITE, "input")
        elif not waiting and registered:
            self.selector.unregister(self.input)

    def _queue(self, client: Client, message: bytes) -> None:
        client.pending += message
        self._client_writable(client)

    def _client_writable(self, client: Client) -> None:
        try:
            sent = client.sock.send(client.pending)
            if sent == len(client.pending):
                client.pending = bytearray()  # give the memory back after a flood
            else:
                del client.pending[:sent]
        except BlockingIOError:
            pass
        except OSError:
            self._drop(client)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.pending else 0)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.modify(client.sock, events, client)
        if self.output_paused and len(client.pending) <= LOW_WATER:
            self._check_backpressure()

    def _drop(self, client: Client) -> None:
        fd = client.sock.fileno()
        if self.clients.pop(fd, None) is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(client.sock)
            client.sock.close()
