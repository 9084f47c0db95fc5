"""Terminals: a foreground session through a real pty, and runc's console-socket protocol."""

from __future__ import annotations

import array
import fcntl
import os
import select
import socket
import struct
import subprocess
import sys
import termios
import time

from tests.integration.conftest import ROOT_ONLY

pytestmark = ROOT_ONLY


def _read_until_exit(master: int, proc: subprocess.Popen, timeout: float = 20) -> bytes:
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    return out


def _tty_config(rt, args, size=None):
    config = rt.config(args)
    config["process"]["terminal"] = True
    if size:
        config["process"]["consoleSize"] = {"height": size[0], "width": size[1]}
    return config


def test_foreground_terminal_session(rt) -> None:
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    before = termios.tcgetattr(slave)
    cid = rt.new_id()
    bundle = rt.bundle(config=_tty_config(rt, ["sh"]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime", "--root", str(rt.root), "run", "-b", str(bundle), cid],
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    try:
        os.write(master, b"echo hi-$((40+2)); tty; stty size; ls -l /dev/console; exit 5\n")
        out = _read_until_exit(master, proc)
        assert proc.wait(timeout=20) == 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        after = termios.tcgetattr(slave)
        os.close(slave)
        os.close(master)
    text = out.decode(errors="replace")
    assert "hi-42" in text
    assert "/dev/pts/0" in text
    assert "40 120" in text  # the caller's size reached the container
    assert "crw" in text  # /dev/console is the pty
    assert after == before  # raw mode was undone
    assert not (rt.root / cid).exists()


def test_console_size_applies_first(rt) -> None:
    master, slave = os.openpty()
    cid = rt.new_id()
    bundle = rt.bundle(config=_tty_config(rt, ["stty", "size"], size=(33, 77)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime", "--root", str(rt.root), "run", "-b", str(bundle), cid],
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    try:
        out = _read_until_exit(master, proc)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(slave)
        os.close(master)
    assert b"33 77" in out


def _receive_master(listener: socket.socket, timeout: float = 20) -> tuple[int, bytes]:
    listener.settimeout(timeout)
    conn, _ = listener.accept()
    with conn:
        fds = array.array("i")
        msg, ancdata, _, _ = conn.recvmsg(1024, socket.CMSG_LEN(fds.itemsize))
        for level, kind, data in ancdata:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[:fds.itemsize])
    assert len(fds) == 1, "no fd in SCM_RIGHTS"
    return fds[0], msg


def test_console_socket_protocol(rt, tmp_path) -> None:
    """A small receiver, like the ones containerd and conmon run, gets the pty master."""
    path = str(tmp_path / "console.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    cid = rt.new_id()
    bundle = rt.bundle(config=_tty_config(rt, ["sh", "-c", "read x; echo got-$x; tty"],
                                          size=(24, 80)))
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime", "--root", str(rt.root), "create", "-b", str(bundle),
         "--console-socket", path, cid],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        master, name = _receive_master(listener)
        assert proc.wait(timeout=20) == 0, proc.stderr.read()
    finally:
        listener.close()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stderr.close()
    try:
        assert name  # runc sends the pty's name as the data
        size = struct.unpack("HHHH", fcntl.ioctl(master, termios.TIOCGWINSZ, b"\0" * 8))
        assert size[:2] == (24, 80)
        assert rt.state(cid)["status"] == "created"
        rt("start", cid, check=True)
        os.write(master, b"ping\n")
        out = b""
        deadline = time.monotonic() + 10
        while b"/dev/pts/0" not in out and time.monotonic() < deadline:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    out += os.read(master, 4096)
                except OSError:
                    break
        assert b"got-ping" in out and b"/dev/pts/0" in out
    finally:
        os.close(master)
    assert rt.wait_status(cid, "stopped")["status"] == "stopped"


def test_sigwinch_is_forwarded(rt) -> None:
    import signal
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 20, 60, 0, 0))
    cid = rt.new_id()
    script = "stty size; read go; stty size"
    bundle = rt.bundle(config=_tty_config(rt, ["sh", "-c", script]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "runtime", "--root", str(rt.root), "run", "-b", str(bundle), cid],
        stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    try:
        out = b""
        deadline = time.monotonic() + 15
        while b"20 60" not in out and time.monotonic() < deadline:
            if select.select([master], [], [], 0.1)[0]:
                out += os.read(master, 4096)
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 132, 0, 0))
        os.kill(proc.pid, signal.SIGWINCH)  # what the kernel sends a foreground job
        time.sleep(0.3)
        os.write(master, b"go\n")
        out += _read_until_exit(master, proc)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(slave)
        os.close(master)
    assert b"20 60" in out and b"50 132" in out
