"""The shim process: create the container through the runtime's command line, start it,
serve clients (relay.py) until it exits, record how it ended.

    python -m shim --root ROOT --bundle DIR --id ID --status-fd N [--attach-first]
                   [--no-start] [--rm] [--runtime PART]...
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
from shim.launcher import START_TIMEOUT, ShimError, default_runtime_command
from shim.protocol import ATTACH_SOCKET, DATA, EXIT, EXIT_FILE, SHIM_PID_FILE, frame
from shim.relay import Client, Relay, alive


class Shim(Relay):
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

        from runtime.jsonread import read_json_file
        config = read_json_file(os.path.join(self.bundle, "config.json"))
        process = config.get("process") if isinstance(config, dict) else None
        self.terminal = isinstance(process, dict) and process.get("terminal") is True
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

    def delete(self) -> None:
        """Delete the ended container (its exit has been told to the clients)."""
        import subprocess

        subprocess.run([*self.runtime, "--root", self.root, "delete", "--force", self.id],
                       stdin=subprocess.DEVNULL, capture_output=True)

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
        if self.exit_record is None and not alive(self.init_pid):
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
    no_start = False
    remove = False

    def __init__(self) -> None:
        self.runtime: list[str] = []


def _parse_args(argv: list[str]) -> _Args:
    """The shim's own flags (argparse would cost the shim memory for its whole life)."""
    args = _Args()
    for item in argv:
        name, _, value = item.partition("=")
        if name == "--attach-first":
            args.attach_first = True
        elif name == "--no-start":
            args.no_start = True
        elif name == "--rm":
            args.remove = True
        elif name == "--runtime":
            args.runtime.append(value)
        elif name in ("--root", "--bundle", "--id"):
            setattr(args, name[2:], value)
        elif name == "--status-fd":
            args.status_fd = int(value)
        else:
            raise SystemExit(f"shim: unknown argument {item!r}")
    if not (args.root and args.bundle and args.id) or args.status_fd < 0:
        raise SystemExit("shim: --root, --bundle, --id and --status-fd are required")
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
        if not (args.attach_first or args.no_start):
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
    if args.remove:
        shim.delete()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
