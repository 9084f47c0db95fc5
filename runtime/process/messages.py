"""The messages between P and its setup children, and the channel that carries them.

The messages: one line child -> P over a pipe, one reply line P -> child; with a terminal
or a seccomp listener a socketpair carries the fd (pty master, seccomp notify fd) by
SCM_RIGHTS.

    message   from            to   payload         P does, then replies
    userns    stage 1         P    -               writes uid_map/gid_map     -> ok
    pid       stage 1, exec   P    the init's pid  creates the cgroup, moves the init in,
                                                   saves state.json           -> cgroup (*)
    hooks     init            P    host pid        runs prestart, createRuntime -> ok
    pty       init, exec      P    the master fd   sizes the terminal         -> ok
    seccomp   init, exec      P    the notify fd   sends it with the container's state to
                                                   linux.seccomp.listenerPath, closes it
                                                   (after `pid`: held until then) -> ok
    ready     init, exec      P    -               (the init now blocks on exec.fifo)
    error     any child       P    one sentence    fails create with it

(*) only when the cgroup was not made before the fork; the init waits for it before its
first cgroup mount. A child's end of the channel closes at execve (close-on-exec), so P
reads end-of-file once the init runs the container's program.
"""

from __future__ import annotations

import os

from runtime.errors import RuntimeFailure

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from collections.abc import Callable

USERNS = "userns"   # stage 1 -> P: write my id maps
PID = "pid"         # stage 1 or exec -> P: the process that will exec has this pid
HOOKS = "hooks"     # init -> P: run prestart and createRuntime now
PTY = "pty"         # init or exec -> P: the pty master follows over the socket
SECCOMP = "seccomp" # init or exec -> P: the seccomp notify fd follows over the socket
READY = "ready"     # init or exec -> P: set up, about to wait for start
ERROR = "error"     # any child -> P: setup failed, this is why

OK = "ok"           # P -> child: done
CGROUP = "cgroup"   # P -> init: you are in your cgroup now


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
        line = (kind + " " + payload.replace("\n", " ")).strip().encode()
        if len(line) >= MAX_LINE:
            # Cut the text, never the newline: one write below PIPE_BUF stays whole, and
            # a line without its end would leave the parent with no reason at all.
            line = line[:MAX_LINE - 4].decode(errors="ignore").encode() + "…".encode()
        os.write(self.up_w, line + b"\n")

    def wait_reply(self) -> str:
        """The parent's next reply line ('' when the parent is gone)."""
        while b"\n" not in self._reply_buf:
            chunk = os.read(self.down_r, 4096)
            if not chunk:
                return ""
            self._reply_buf += chunk
        line, _, self._reply_buf = self._reply_buf.partition(b"\n")
        return line.decode(errors="replace").strip()

    def send_fd(self, fd: int, kind: str = PTY) -> str:
        """fd over the socket, then the message; returns P's reply once it is done with
        it (the pty sized, the notify fd with the listener): nothing may run before."""
        import socket
        socket.send_fds(self.sock_child, [kind.encode()], [fd])
        self.send(kind)
        return self.wait_reply()

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
            raise OSError("no fd received over the setup socket")
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


MAX_LINE = 4000  # bytes of one message line, newline included (PIPE_BUF is 4096)


def describe_os_error(exc: OSError) -> str:
    """An OSError as 'strerror (file) [ENAME]'."""
    import errno
    name = errno.errorcode.get(exc.errno or 0, "")
    where = f" ({exc.filename})" if exc.filename else ""
    return f"{exc.strerror or exc}{where} [{name}]"


def report_error(channel: Channel, message: str) -> None:
    """The one way a setup child tells P why it failed (P may be gone: then nobody)."""
    try:  # noqa: SIM105 (no contextlib on the start path)
        channel.send(ERROR, message)
    except OSError:
        pass


def report_failure(channel: Channel, exc: BaseException,
                   what: str = "container setup failed") -> None:
    """report_error with the sentence for exc: a RuntimeFailure says its own."""
    from runtime.errors import RuntimeFailure
    if isinstance(exc, RuntimeFailure):
        message = str(exc)
    elif isinstance(exc, OSError):
        message = f"{what}: {describe_os_error(exc)}"
    else:
        message = f"{what}: {type(exc).__name__}: {exc}"
    report_error(channel, message)


def drive(channel: Channel, *, on_pid: Callable[[int], None],
          on_pty: Callable[[int], None] | None = None,
          on_seccomp: Callable[[int], None] | None = None,
          answers: dict[str, Callable[[str], str]] | None = None, gone: str) -> bool:
    """P's one loop over the setup children's messages, until the process that will exec
    has said `ready` and stage 1 has told its pid (in either order).

    on_pid, on_pty and on_seccomp (the fd, which drive closes after it; then `ok` goes
    back) handle those; answers maps the stage's own requests (userns, hooks) to the reply
    they get; `error` raises the child's sentence. When every child end closes before
    that, raises `gone` (or, when gone is empty, returns False for the caller to judge)."""
    ready = have_pid = False
    held = -1  # a notify fd that came before the pid: the listener's state needs the pid
    try:
        while not (ready and have_pid):
            message = channel.recv()
            if message is None:
                if gone:
                    raise RuntimeFailure(gone)
                return False
            kind, payload = message
            if kind == PID:
                on_pid(int(payload))
                have_pid = True
            elif kind == PTY and on_pty is not None:
                on_pty(channel.recv_fd())
                channel.reply(OK)
            elif kind == SECCOMP and on_seccomp is not None:
                held = channel.recv_fd()
            elif kind == READY:
                ready = True
            elif kind == ERROR:
                raise RuntimeFailure(payload)
            elif answers and kind in answers:
                channel.reply(answers[kind](payload))
            else:
                raise RuntimeFailure(f"container setup failed: unexpected message {kind!r}")
            if held >= 0 and have_pid and on_seccomp is not None:
                fd, held = held, -1
                try:
                    on_seccomp(fd)
                finally:
                    os.close(fd)
                channel.reply(OK)
    finally:
        if held >= 0:
            os.close(held)
    return True
