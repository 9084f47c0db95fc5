"""The per-container shim: the role conmon plays for podman.

It creates and starts the container through a runc-compatible runtime, holds the pty
master (or the stdio pipes), keeps a bounded scrollback, serves an owner-only attach
socket in the state dir, records the exit status there, and exits after the container
has ended. It outlives whoever launched it: closing the app never kills a container.

    python -m runtime.shim --root ROOT --bundle DIR --id ID [--runtime CMD]

`launch()` starts one and waits until the container runs (or says why it could not).
Standard library only, and small: one shim runs per container.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import socket
import sys
import time

from runtime.atomic import write_file
from runtime.attach_protocol import (
    ATTACH_SOCKET,
    CONSOLE_LOG,
    DATA,
    DETACH,
    EXIT,
    EXIT_FILE,
    HELLO,
    RESIZE,
    SHIM_PID_FILE,
    FrameReader,
    frame,
    parse_resize,
)

SCROLLBACK = 256 * 1024
LOG_LIMIT = 1 << 20
HIGH_WATER = 1 << 20  # a client this far behind pauses the container's output
LOW_WATER = 256 * 1024
STALLED_CLIENT_SECONDS = 5.0
START_TIMEOUT = 30.0


class ShimError(Exception):
    """The container could not be launched; the message says why in one sentence."""


class LaunchResult:
    """The pids of a launched shim and of its container's init."""

    def __init__(self, shim_pid: int, init_pid: int) -> None:
        self.shim_pid = shim_pid
        self.init_pid = init_pid

    def __repr__(self) -> str:
        return f"LaunchResult(shim_pid={self.shim_pid}, init_pid={self.init_pid})"


def default_runtime_command() -> list[str]:
    """Our own runtime's command line, next to this interpreter when installed."""
    script = os.path.join(os.path.dirname(sys.executable), "bundlebench-runtime")
    if os.access(script, os.X_OK):
        return [script]
    return [sys.executable, "-m", "runtime"]


def launch(root: str, bundle: str, container_id: str, runtime: list[str] | None = None,
           timeout: float = START_TIMEOUT, attach_first: bool = False) -> LaunchResult:
    """Start a shim for a new container and wait until the container runs.

    With ``attach_first`` the container is created but started only once a client has
    attached (or after a timeout), so a foreground client sees every byte of output.
    """
    import subprocess

    status_r, status_w = os.pipe()
    # -S: the shim needs only the standard library and this package, and one runs per
    # container, so it skips site-packages (smaller and faster to start).
    command = [sys.executable, "-S", "-m", "runtime.shim", f"--root={root}",
               f"--bundle={bundle}", f"--id={container_id}", f"--status-fd={status_w}"]
    if attach_first:
        command.append("--attach-first")
    for part in runtime or default_runtime_command():
        command.append(f"--runtime={part}")
    try:
        first = subprocess.Popen(
            command, pass_fds=(status_w,), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
            env=_child_env(),
        )
    finally:
        os.close(status_w)
    first.wait()  # the first process only forks the daemon and leaves
    with os.fdopen(status_r, "rb") as status:
        line = _read_with_timeout(status, timeout).decode("utf-8", "replace").strip()
    if line.startswith("ok "):
        shim_pid, init_pid = (int(x) for x in line[3:].split())
        return LaunchResult(shim_pid, init_pid)
    if line.startswith("error "):
        raise ShimError(line[6:])
    raise ShimError(f"the shim for {container_id} stopped before the container started")


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The shim must find this package even when it runs from a source checkout.
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def _read_with_timeout(handle, timeout: float) -> bytes:
    import select

    deadline = time.monotonic() + timeout
    data = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([handle], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(handle.fileno(), 4096)
        if not chunk:
            break
        data += chunk
        if b"\n" in data:
            break
    return data


class Client:
    """One attached client and the output still to be sent to it."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = FrameReader()
        self.pending = bytearray()
        self.behind_since = 0.0  # when it fell more than HIGH_WATER behind


class Shim:
    """The running shim of one container."""

    def __init__(self, root: str, bundle: str, container_id: str, runtime: list[str]) -> None:
        self.root = root
        self.bundle = bundle
        self.id = container_id
        self.runtime = runtime
        self.state_dir = os.path.join(root, container_id)
        self.private = _private_dir()
        self.master = -1  # pty master, or the read end of the stdout pipe
        self.input = -1  # where client input goes: the master, or the stdin pipe
        self.terminal = False
        self.init_pid = 0
        self.scrollback = bytearray()
        self.clients: dict[int, Client] = {}
        self.pending_input = bytearray()
        self.exit_record: dict | None = None
        self.selector = selectors.DefaultSelector()
        self.output_paused = False
        self.output_closed = False

    # -- launch ------------------------------------------------------------------------
    def create(self) -> None:
        """Create the container, take its terminal or pipes, open the attach socket."""
        import subprocess

        with open(os.path.join(self.bundle, "config.json"), "rb") as handle:
            config = json.load(handle)
        self.terminal = bool(config.get("process", {}).get("terminal"))
        pid_file = os.path.join(self.private, "pid")
        create = [*self.runtime, "--root", self.root, "create", "--bundle", self.bundle,
                  "--pid-file", pid_file]
        if self.terminal:
            console_path = os.path.join(self.private, "console.sock")
            listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
            listener.bind(console_path)
            listener.listen(1)
            process = subprocess.Popen(
                [*create, "--console-socket", console_path, self.id],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            self.master = self._receive_master(listener, process)
            listener.close()
            self.input = self.master
            _, err = process.communicate()
        else:
            in_r, in_w = os.pipe2(os.O_CLOEXEC)
            out_r, out_w = os.pipe2(os.O_CLOEXEC)
            process = subprocess.Popen([*create, self.id], stdin=in_r, stdout=out_w,
                                       stderr=out_w)
            os.close(in_r)
            os.close(out_w)
            process.wait()
            self.master, self.input = out_r, in_w
            err = b""
            if process.returncode != 0:
                os.set_blocking(out_r, False)
                with contextlib.suppress(BlockingIOError):
                    err = os.read(out_r, 4096)
        if process.returncode != 0:
            self._cleanup_failed_create()
            raise ShimError(_first_line(err) or f"creating {self.id} failed")
        if self.master < 0:
            raise ShimError(f"the runtime sent no terminal for {self.id}")
        with open(pid_file) as handle:
            self.init_pid = int(handle.read().strip())
        self._listen()

    def start(self) -> None:
        """Start the created container; on failure delete it and say why."""
        import subprocess

        started = subprocess.run([*self.runtime, "--root", self.root, "start", self.id],
                                 stdin=subprocess.DEVNULL, capture_output=True)
        if started.returncode != 0:
            subprocess.run([*self.runtime, "--root", self.root, "delete", "--force", self.id],
                           capture_output=True)
            raise ShimError(_first_line(started.stderr) or f"starting {self.id} failed")

    def _receive_master(self, listener: socket.socket, process) -> int:
        deadline = time.monotonic() + START_TIMEOUT
        listener.settimeout(0.05)
        while time.monotonic() < deadline:
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                if process.poll() is not None:
                    return -1  # create failed before it sent the terminal
                continue
            with connection:
                _, fds, _, _ = socket.recv_fds(connection, 4096, 1)
            if fds:
                os.set_inheritable(fds[0], False)
                return fds[0]
        return -1

    def _cleanup_failed_create(self) -> None:
        for fd in (self.master, self.input):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master = self.input = -1

    def _listen(self) -> None:
        path = os.path.join(self.state_dir, ATTACH_SOCKET)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM | socket.SOCK_CLOEXEC)
        old_umask = os.umask(0o177)  # the socket is the owner's alone
        try:
            dir_fd = os.open(self.state_dir, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                self.listener.bind(f"/proc/self/fd/{dir_fd}/{ATTACH_SOCKET}"
                                   if len(path.encode()) >= 100 else path)
            finally:
                os.close(dir_fd)
        finally:
            os.umask(old_umask)
        self.listener.listen(16)
        self.listener.setblocking(False)
        with open(os.path.join(self.state_dir, SHIM_PID_FILE), "w") as handle:
            handle.write(f"{os.getpid()}\n")

    def wait_for_client(self, timeout: float) -> None:
        """Block until the first client attaches (a foreground `run`), or the timeout."""
        import select

        ready, _, _ = select.select([self.listener], [], [], timeout)
        if not ready:
            return
        self._accept()
        # A client's first words are its size: apply it before the program starts.
        for client in list(self.clients.values()):
            ready, _, _ = select.select([client.sock], [], [], 1.0)
            if ready:
                self._client_readable(client)

    def fail_to_clients(self, message: str) -> None:
        """Tell attached clients the container could not start, then leave."""
        record = json.dumps({"exit_code": None, "signal": None, "error": message}).encode()
        for client in list(self.clients.values()):
            client.pending += frame(DATA, f"{message}\r\n".encode()) + frame(EXIT, record)
            with contextlib.suppress(OSError):
                client.sock.setblocking(True)
                client.sock.sendall(client.pending)
            self._drop(client)
        self.close_private()

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
            if self.exit_record is None and not _alive(self.init_pid):
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

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            if pid == self.init_pid:
                self.exit_record = exit_record(status)
        if self.exit_record is None and not _alive(self.init_pid):
            # Not our child (the runtime kept it elsewhere): its status is unknown.
            self.exit_record = {"exit_code": None, "signal": None, "exited_at": _now()}

    def _finish(self) -> None:
        deadline = time.monotonic() + 0.5
        self.output_paused = False
        self._update_master()
        while not self.output_closed and time.monotonic() < deadline:
            if not self.selector.select(timeout=0.05):
                break
            self._read_output()
        record = json.dumps(self.exit_record).encode()
        with contextlib.suppress(OSError):  # `delete --force` may have removed the dir
            write_file(os.path.join(self.state_dir, EXIT_FILE), record + b"\n")
        for client in list(self.clients.values()):
            self._queue(client, frame(EXIT, record))
        deadline = time.monotonic() + 1.0
        while any(c.pending for c in self.clients.values()) and time.monotonic() < deadline:
            for client in list(self.clients.values()):
                client.sock.setblocking(True)
                client.sock.settimeout(max(0.01, deadline - time.monotonic()))
                with contextlib.suppress(OSError):
                    client.sock.sendall(client.pending)
                client.pending.clear()
        for client in list(self.clients.values()):
            self._drop(client)
        self.log.close()
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(self.state_dir, ATTACH_SOCKET))
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(self.state_dir, SHIM_PID_FILE))
        self.close_private()

    def close_private(self) -> None:
        for name in os.listdir(self.private) if os.path.isdir(self.private) else ():
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(self.private, name))
        with contextlib.suppress(OSError):
            os.rmdir(self.private)


def _private_dir() -> str:
    """A fresh owner-only directory for the console socket and pid file."""
    base = os.environ.get("TMPDIR") or "/tmp"
    for _ in range(100):
        path = os.path.join(base, f"bbshim-{os.getpid()}-{os.urandom(4).hex()}")
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            continue
        return path
    raise ShimError("could not make a private directory for the shim in " + base)


def exit_record(status: int) -> dict:
    """The exit record for a wait status: the code as a shell reports it, and the signal."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = str(number)
        return {"exit_code": 128 + number, "signal": name, "exited_at": _now()}
    return {"exit_code": os.WEXITSTATUS(status), "signal": None, "exited_at": _now()}


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            state = handle.read().rsplit(b")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != b"Z"  # a zombie has ended; reaping it gives the status


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())



def _first_line(raw: bytes | None) -> str:
    text = (raw or b"").decode("utf-8", "replace").strip()
    return text.splitlines()[-1].strip() if text else ""


def _become_keeper() -> None:
    """Reap the container's processes, and stay non-dumpable: a container that shares the
    host's pid namespace must not reach our /proc/PID/exe, the host's interpreter
    (CVE-2019-5736)."""
    from runtime.linux import libc

    libc.prctl(libc.PR_SET_CHILD_SUBREAPER, 1)
    libc.prctl(libc.PR_SET_DUMPABLE, 0)


class _Args:
    root = bundle = id = ""
    status_fd = -1
    attach_first = False

    def __init__(self) -> None:
        self.runtime: list[str] = []


def _parse_args(argv: list[str]) -> _Args:
    """The shim's own flags (argparse would cost the shim memory for its whole life)."""
    args = _Args()
    for item in argv:
        name, _, value = item.partition("=")
        if name == "--attach-first":
            args.attach_first = True
        elif name == "--runtime":
            args.runtime.append(value)
        elif name in ("--root", "--bundle", "--id"):
            setattr(args, name[2:], value)
        elif name == "--status-fd":
            args.status_fd = int(value)
        else:
            raise SystemExit(f"runtime.shim: unknown argument {item!r}")
    if not (args.root and args.bundle and args.id) or args.status_fd < 0:
        raise SystemExit("runtime.shim: --root, --bundle, --id and --status-fd are required")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(sys.argv[1:] if argv is None else argv)
    if os.fork():
        os._exit(0)  # the launcher reaps us at once; the daemon is adopted by init
    os.setsid()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    _become_keeper()
    status = os.fdopen(args.status_fd, "w")
    shim = Shim(os.path.abspath(args.root), os.path.abspath(args.bundle), args.id,
                args.runtime or default_runtime_command())
    try:
        shim.create()
        if not args.attach_first:
            shim.start()
    except Exception as error:  # the launcher must hear why, whatever it was
        shim.close_private()
        message = str(error) if isinstance(error, ShimError) else f"shim failed: {error!r}"
        status.write(f"error {message}\n")
        status.close()
        return 1
    status.write(f"ok {os.getpid()} {shim.init_pid}\n")
    status.close()
    if args.attach_first:
        shim.wait_for_client(START_TIMEOUT)
        try:
            shim.start()
        except ShimError as error:
            shim.fail_to_clients(str(error))
            return 1
    shim.serve()
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
