"""Terminals: the pty from the container's devpts, the console socket, the foreground loop."""

from __future__ import annotations

import os
import struct

from runtime.linux import libc, seam
from runtime.linux.constants import MS_BIND
from runtime.paths import fd_path, make_file
from runtime.trace import NULL_TRACER, Tracer

TYPE_CHECKING = False  # typing costs milliseconds on the container start path
if TYPE_CHECKING:
    from typing import Any


def set_winsize(fd: int, rows: int, cols: int) -> None:
    import fcntl
    fcntl.ioctl(fd, libc.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def get_winsize(fd: int) -> tuple[int, int]:
    import fcntl
    rows, cols, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, libc.TIOCGWINSZ, b"\0" * 8))
    return rows, cols


def open_pty(console_size: dict[str, Any] | None, tracer: Tracer = NULL_TRACER
             ) -> tuple[int, int]:
    """Open a pty on the container's /dev/ptmx (after pivot_root): (master, slave)."""
    k = seam.traced(tracer)
    master = k.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC, step="console",
                    text="open('/dev/ptmx', O_RDWR|O_NOCTTY)")
    libc.ioctl_set_int(master, libc.TIOCSPTLCK, 0)
    # TIOCGPTPEER opens the peer through the master, never through a path (CVE-2025-52565).
    slave = k.ioctl_int(master, libc.TIOCGPTPEER, os.O_RDWR | os.O_NOCTTY | os.O_CLOEXEC,
                        step="console", text="ioctl(master, TIOCGPTPEER)")
    if console_size:
        set_winsize(master, int(console_size.get("height", 0)), int(console_size.get("width", 0)))
    return master, slave




def mount_console(slave: int, tracer: Tracer = NULL_TRACER) -> None:
    """Bind the pty slave onto /dev/console, fd to fd."""
    from runtime.errors import RuntimeFailure
    from runtime.paths import open_in_root
    root = os.open("/", os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.close(make_file(root, "/dev/console", 0o600))
        # CVE-2025-52565: never bind through a symlink planted at /dev/console.
        target = open_in_root(root, "/dev/console", os.O_PATH, no_symlinks=True)
    except OSError as exc:
        raise RuntimeFailure("/dev/console in the rootfs is a symlink or unusable: refusing "
                             f"to bind the terminal there ({exc.strerror})") from None
    finally:
        os.close(root)
    try:
        seam.traced(tracer).mount(fd_path(slave), fd_path(target), None, MS_BIND, None,
                                  step="console",
                                  text="mount(<pty slave>, '/dev/console', NULL, MS_BIND)")
    finally:
        os.close(target)


def make_controlling(slave: int, tracer: Tracer = NULL_TRACER) -> None:
    for std in (0, 1, 2):
        os.dup2(slave, std)
    os.close(slave)
    seam.traced(tracer).ioctl_int(0, libc.TIOCSCTTY, 0, step="console",
                                  text="ioctl(0, TIOCSCTTY, 0)")


def send_to_console_socket(path: str, master: int) -> None:
    """runc's protocol: connect to the unix socket, send one message whose SCM_RIGHTS
    carries the master; the data is the pty's name."""
    import socket
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
    try:
        sock.connect(path)
        socket.send_fds(sock, [b"/dev/ptmx"], [master])
    finally:
        sock.close()


def foreground(master: int, init_pid: int, forward_winsize: bool = True) -> int:
    """Copy stdin -> master and master -> stdout in raw mode until init exits.

    Returns init's wait status. The caller's terminal is restored on every path.
    """
    import gc
    import select
    import signal
    import termios

    # The entry point turned it off for start-up; this relay may last days. Frozen
    # first, the start-up's objects are never scanned (a full pass costs milliseconds).
    gc.freeze()
    gc.enable()
    stdin_tty = os.isatty(0)
    saved = termios.tcgetattr(0) if stdin_tty else None
    wake_r, wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
    old_wakeup = signal.set_wakeup_fd(wake_w)
    handlers = {}

    def forward(signum: int, _frame: object) -> None:
        try:  # noqa: SIM105 (no contextlib on the start path)
            os.kill(init_pid, signum)
        except ProcessLookupError:
            pass

    def resize(_signum: int, _frame: object) -> None:
        try:
            rows, cols = get_winsize(0)
            set_winsize(master, rows, cols)
        except OSError:
            pass

    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        handlers[sig] = signal.signal(sig, forward)
    handlers[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, lambda *_: None)
    handlers[signal.SIGWINCH] = signal.signal(signal.SIGWINCH, resize)
    status = None
    try:
        if stdin_tty:
            import tty
            tty.setraw(0, termios.TCSANOW)  # TCSAFLUSH would drop typed-ahead input
            if forward_winsize:
                resize(0, None)
        poller = select.poll()
        poller.register(master, select.POLLIN)
        poller.register(wake_r, select.POLLIN)
        stdin_open = True
        poller.register(0, select.POLLIN)
        master_open = True
        while True:
            if status is None:
                pid, st = os.waitpid(init_pid, os.WNOHANG)
                if pid:
                    status = st
            if status is not None and not master_open:
                break
            for fd, events in poller.poll(100 if status is None else 0):
                if fd == wake_r:
                    try:  # noqa: SIM105 (no contextlib on the start path)
                        os.read(wake_r, 512)
                    except BlockingIOError:
                        pass
                elif fd == master:
                    try:
                        data = os.read(master, 65536)
                    except OSError:
                        data = b""
                    if not data:
                        poller.unregister(master)
                        master_open = False
                    else:
                        _write_all(1, data)
                elif fd == 0 and stdin_open:
                    data = os.read(0, 65536) if events & select.POLLIN else b""
                    if not data:
                        poller.unregister(0)
                        stdin_open = False
                    else:
                        _write_all(master, data)
            if status is not None and master_open and not _readable(master):
                break
    finally:
        if saved is not None:
            termios.tcsetattr(0, termios.TCSADRAIN, saved)
        signal.set_wakeup_fd(old_wakeup)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        os.close(wake_r)
        os.close(wake_w)
    return status


def _readable(fd: int) -> bool:
    import select
    return bool(select.select([fd], [], [], 0)[0])


def _write_all(fd: int, data: bytes) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]
