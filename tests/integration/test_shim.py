"""The shim: attach, detach, reattach, several clients, survival, exit status; and the
`bundlebench run/attach/ps/exec/kill/rm` commands on top of it, through real ptys."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

from shim import ShimError, launch
from shim.protocol import DATA, EXIT, AttachClient, read_exit
from tests.integration.conftest import ROOT_ONLY, Runner

pytestmark = ROOT_ONLY
RUNTIME = [sys.executable, "-m", "runtime"]


def terminal_bundle(rt: Runner, args: list[str] | None = None) -> Path:
    config = rt.config(args or ["sh"])
    config["process"]["terminal"] = True
    return rt.bundle(config=config)


# Frames a helper read but did not use: an exit frame can come in the same read as the
# container's last output.
_UNREAD: dict[int, list[tuple[bytes, bytes]]] = {}


def _next_frames(client: AttachClient) -> list[tuple[bytes, bytes]]:
    kept = _UNREAD.pop(id(client), None)
    return kept if kept else client.receive()


def read_until(client: AttachClient, needle: bytes, timeout: float = 10) -> bytes:
    client.sock.settimeout(timeout)
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        frames = _next_frames(client)
        if not frames:
            break
        seen += b"".join(payload for kind, payload in frames if kind == DATA)
        others = [(kind, payload) for kind, payload in frames if kind not in (DATA, b"")]
        if others:
            _UNREAD.setdefault(id(client), []).extend(others)
    return seen


def wait_exit_frame(client: AttachClient, timeout: float = 10) -> dict | None:
    client.sock.settimeout(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        frames = _next_frames(client)
        if not frames:
            return None
        for kind, payload in frames:
            if kind == EXIT:
                return json.loads(payload)
    return None


def wait_gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not os.path.exists(f"/proc/{pid}"):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def shell(rt: Runner):
    """A running shell container under a shim; deleted and its shim gone afterwards."""
    cid = rt.new_id("shim")
    result = launch(str(rt.root), str(terminal_bundle(rt)), cid, RUNTIME)
    yield cid, result
    rt("kill", cid, "KILL")
    assert wait_gone(result.shim_pid), "the shim did not exit after its container ended"


def test_attach_detach_reattach_keeps_scrollback(rt: Runner, shell) -> None:
    cid, _ = shell
    state_dir = str(rt.root / cid)
    first = AttachClient(state_dir)
    first.resize(33, 101)
    first.send_input(b"echo first-$((40+2)); stty size\n")
    assert b"33 101" in read_until(first, b"33 101")
    first.detach()
    assert rt.state(cid)["status"] == "running"
    again = AttachClient(state_dir)
    replay = read_until(again, b"first-42")
    assert b"first-42" in replay  # the screen of a new client is not blank
    assert again.hello["id"] == cid and again.hello["terminal"] is True
    again.close()


def test_two_clients_see_the_same_output(rt: Runner, shell) -> None:
    cid, _ = shell
    one, two = AttachClient(str(rt.root / cid)), AttachClient(str(rt.root / cid))
    read_until(one, b"#", 2)
    read_until(two, b"#", 2)
    one.send_input(b"echo shared-$((1+1))\n")
    assert b"shared-2" in read_until(one, b"shared-2")
    assert b"shared-2" in read_until(two, b"shared-2")
    one.close()
    two.close()


def test_container_survives_a_killed_client(rt: Runner, shell) -> None:
    cid, result = shell
    code = (
        "from shim.protocol import AttachClient\n"
        f"c = AttachClient({str(rt.root / cid)!r}); c.send_input(b'echo from-victim\\n')\n"
        "import time; time.sleep(60)\n"
    )
    victim = subprocess.Popen([sys.executable, "-c", code])
    time.sleep(1.0)
    victim.kill()
    victim.wait()
    assert rt.state(cid)["status"] == "running"
    assert os.path.exists(f"/proc/{result.shim_pid}")
    survivor = AttachClient(str(rt.root / cid))
    assert b"from-victim" in read_until(survivor, b"from-victim")
    survivor.close()


def test_exit_status_recorded_and_sent(rt: Runner) -> None:
    cid = rt.new_id("shim")
    result = launch(str(rt.root), str(terminal_bundle(rt)), cid, RUNTIME)
    client = AttachClient(str(rt.root / cid))
    client.send_input(b"exit 7\n")
    record = wait_exit_frame(client)
    assert record is not None and record["exit_code"] == 7 and record["signal"] is None
    assert wait_gone(result.shim_pid)
    assert read_exit(str(rt.root / cid))["exit_code"] == 7
    assert rt.state(cid)["status"] == "stopped"
    assert not (rt.root / cid / "attach.sock").exists()


def test_killed_container_records_signal(rt: Runner, shell) -> None:
    cid, result = shell
    client = AttachClient(str(rt.root / cid))
    rt("kill", cid, "KILL", check=True)
    record = wait_exit_frame(client)
    assert record == {**record, "exit_code": 137, "signal": "SIGKILL"}
    assert wait_gone(result.shim_pid)


def test_pipes_without_terminal(rt: Runner) -> None:
    cid = rt.new_id("shim")
    bundle = rt.bundle(["sh", "-c", "read line; echo got-$line; exit 3"])
    result = launch(str(rt.root), str(bundle), cid, RUNTIME)
    client = AttachClient(str(rt.root / cid))
    assert client.hello["terminal"] is False
    client.send_input(b"abc\n")
    assert b"got-abc" in read_until(client, b"got-abc")
    assert wait_exit_frame(client)["exit_code"] == 3
    assert wait_gone(result.shim_pid)


def test_launch_failure_is_one_sentence_and_leaves_nothing(rt: Runner) -> None:
    cid = rt.new_id("shim")
    bundle = rt.bundle(["/no/such/program"])
    with pytest.raises(ShimError) as caught:
        launch(str(rt.root), str(bundle), cid, RUNTIME)
    assert "\n" not in str(caught.value) and str(caught.value)
    assert not (rt.root / cid).exists()


# -- the bundlebench commands, through a real pty ---------------------------------------
def bb(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bundlebench", *args], capture_output=True,
                          text=True, timeout=60, **kwargs)


def spawn_in_pty(argv: list[str], rows: int = 24, cols: int = 80) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(argv[0], argv)
    import fcntl
    import struct

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    return pid, fd


def pty_read_until(fd: int, needle: bytes, timeout: float = 10) -> bytes:
    import select

    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


def test_run_detach_ps_attach_exec_kill_rm(rt: Runner) -> None:
    cid = rt.new_id("bb")
    bundle = terminal_bundle(rt)
    root = str(rt.root)
    started = bb("run", str(bundle), "--id", cid, "--detach", "--root", root)
    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == cid
    listing = bb("ps", "--root", root, "--format", "json")
    states = {s["id"]: s for s in json.loads(listing.stdout)}
    assert states[cid]["status"] == "running"
    executed = bb("exec", "--root", root, cid, "sh", "-c", "echo exec-$((2*21)); exit 5")
    assert executed.returncode == 5 and "exec-42" in executed.stdout

    # attach in a real terminal, type, detach with ctrl+p ctrl+q
    pid, fd = spawn_in_pty([sys.executable, "-m", "bundlebench", "attach", "--root", root, cid],
                           rows=19, cols=77)
    assert b"attached" in pty_read_until(fd, b"attached")
    os.write(fd, b"stty size\n")
    assert b"19 77" in pty_read_until(fd, b"19 77")
    os.write(fd, b"\x10\x11")
    assert b"detached" in pty_read_until(fd, b"detached")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    assert os.waitstatus_to_exitcode(status) == 0
    assert rt.state(cid)["status"] == "running"

    assert bb("kill", "--root", root, cid, "KILL").returncode == 0
    deadline = time.monotonic() + 10
    while read_exit(str(rt.root / cid)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    table = bb("ps", "--root", root)
    assert "exit 137" in table.stdout
    # A launch from the workbench with unsaved edits keeps a record and a private bundle:
    # rm from the command line removes them too.
    from bundlebench.containers import records
    private = records.write_record(root, cid, rt.root, {}, {"ociVersion": "1.3.0"},
                                   edited=True)
    assert private is not None and os.path.isdir(records.record_dir(root, cid))
    assert bb("rm", "--root", root, cid).returncode == 0
    assert not (rt.root / cid).exists()
    assert not os.path.exists(records.record_dir(root, cid))


def test_a_killed_shim_is_told_and_rm_force_cleans_up(rt: Runner) -> None:
    from shim.protocol import SHIM_PID_FILE, shim_alive

    cid = rt.new_id("bb")
    root = str(rt.root)
    started = bb("run", str(terminal_bundle(rt)), "--id", cid, "--detach", "--root", root)
    assert started.returncode == 0, started.stderr
    state_dir = str(rt.root / cid)
    assert shim_alive(state_dir) is True
    shim_pid = int((rt.root / cid / SHIM_PID_FILE).read_text())
    os.kill(shim_pid, 9)
    deadline = time.monotonic() + 10
    while shim_alive(state_dir) is not False and time.monotonic() < deadline:
        time.sleep(0.05)
    listing = json.loads(bb("ps", "--root", root, "--format", "json").stdout)
    assert {s["id"]: s for s in listing}[cid]["shim"] == "gone"
    table = bb("ps", "--root", root)
    assert "(shim" in table.stdout and "gone)" in table.stdout  # the column may wrap
    assert f"rm -f {cid}" in table.stderr
    attach = bb("attach", "--root", root, cid)
    assert attach.returncode != 0 and "lost its shim" in attach.stderr
    assert "Traceback" not in attach.stderr
    started = time.monotonic()
    assert bb("rm", "-f", "--root", root, cid).returncode == 0
    assert time.monotonic() - started < 4  # no wait for a shim that will never write
    assert not (rt.root / cid).exists()


def test_run_foreground_returns_exit_code_and_restores_terminal(rt: Runner) -> None:
    cid = rt.new_id("bb")
    bundle = terminal_bundle(rt, ["sh", "-c", "stty size; exit 9"])
    probe = (
        "import os, subprocess, sys, termios\n"
        "before = termios.tcgetattr(0)\n"
        f"code = subprocess.call([sys.executable, '-m', 'bundlebench', 'run', {str(bundle)!r},"
        f" '--id', {cid!r}, '--root', {str(rt.root)!r}, '--rm'])\n"
        "after = termios.tcgetattr(0)\n"
        "print('CODE', code, 'RESTORED', before == after, 'END')\n"
    )
    pid, fd = spawn_in_pty([sys.executable, "-c", probe], rows=21, cols=66)
    # Up to the last word: a pty read may split the line.
    out = pty_read_until(fd, b" END", timeout=20)
    os.waitpid(pid, 0)
    os.close(fd)
    assert b"21 66" in out
    assert b"CODE 9 RESTORED True" in out
    assert not (rt.root / cid).exists()


def test_run_refuses_invalid_bundle_without_launching(rt: Runner) -> None:
    cid = rt.new_id("bb")
    config = rt.config(["sh"])
    config["hostname"] = "x"
    config["linux"]["namespaces"] = [n for n in config["linux"]["namespaces"]
                                     if n["type"] != "uts"]
    bundle = rt.bundle(config=config)
    result = bb("run", str(bundle), "--id", cid, "--detach", "--root", str(rt.root))
    assert result.returncode == 1
    assert "/hostname" in result.stderr and "Traceback" not in result.stderr
    assert not (rt.root / cid).exists()


def test_attach_unknown_container(rt: Runner) -> None:
    result = bb("attach", "--root", str(rt.root), "nope-123")
    assert result.returncode == 1 and "no container 'nope-123'" in result.stderr


def test_shim_stays_small(rt: Runner, shell) -> None:
    import psutil

    _, result = shell
    rss = psutil.Process(result.shim_pid).memory_info().rss
    assert rss < 40 * 1024 * 1024  # the benchmark reports the real number; this catches blowups
    assert signal.SIGKILL  # keep the import honest
