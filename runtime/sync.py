"""The parent <-> setup-children channel: short text messages over pipes, and (only with
a terminal) a socketpair that carries the pty master by SCM_RIGHTS."""

from __future__ import annotations

import os

from runtime.process import messages as msg


class Channel:
    """Two pipes: child -> parent messages, parent -> child replies."""

    def __init__(self, with_fds: bool = False) -> None:
        self.up_r, self.up_w = os.pipe2(os.O_CLOEXEC)
        self.down_r, self.down_w = os.pipe2(os.O_CLOEXEC)
        self._buf = b""
        self._reply_buf = b""
        self.sock_parent = self.sock_child = None
        if with_fds:
            import socket
            self.sock_parent, self.sock_child = socket.socketpair(socket.AF_UNIX,
                                                                  socket.SOCK_STREAM)

    # --- side selection after fork -------------------------------------------------------
    def parent_side(self) -> None:
        os.close(self.up_w)
        os.close(self.down_r)
        self.up_w = self.down_r = -1
        if self.sock_child is not None:
            self.sock_child.close()

    def child_side(self) -> None:
        os.close(self.up_r)
        os.close(self.down_w)
        self.up_r = self.down_w = -1
        if self.sock_parent is not None:
            self.sock_parent.close()

    # --- child ---------------------------------------------------------------------------
    def send(self, kind: str, payload: str = "") -> None:
        text = (kind + " " + payload.replace("\n", " ")).strip() + "\n"
        os.write(self.up_w, text.encode()[:4000])

    def wait_reply(self) -> str:
        """The parent's next reply line ('' when the parent is gone)."""
        while b"\n" not in self._reply_buf:
            chunk = os.read(self.down_r, 4096)
            if not chunk:
                return ""
            self._reply_buf += chunk
        line, _, self._reply_buf = self._reply_buf.partition(b"\n")
        return line.decode(errors="replace").strip()

    def send_fd(self, fd: int) -> None:
        import socket
        socket.send_fds(self.sock_child, [b"pty"], [fd])
        self.send(msg.PTY)
        # Wait until the parent has sized the terminal: the process must not start first.
        self.wait_reply()

    # --- parent --------------------------------------------------------------------------
    def reply(self, text: str) -> None:
        os.write(self.down_w, text.encode() + b"\n")

    def recv(self) -> tuple[str, str] | None:
        """Next (kind, payload) from a child, or None when every child end is closed."""
        while b"\n" not in self._buf:
            chunk = os.read(self.up_r, 4096)
            if not chunk:
                return None
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        kind, _, payload = line.decode(errors="replace").partition(" ")
        return kind, payload

    def recv_fd(self) -> int:
        import socket
        _, fds, _, _ = socket.recv_fds(self.sock_parent, 16, 1)
        if not fds:
            raise OSError("no pty master received")
        os.set_inheritable(fds[0], False)
        return fds[0]

    def close(self) -> None:
        for fd in (self.up_r, self.up_w, self.down_r, self.down_w):
            if fd >= 0:
                try:  # noqa: SIM105 (no contextlib on the start path)
                    os.close(fd)
                except OSError:
                    pass
        self.up_r = self.up_w = self.down_r = self.down_w = -1
        for sock in (self.sock_parent, self.sock_child):
            if sock is not None:
                sock.close()
