"""containerd drives bundlebench-runtime through its runc shim v2 (`ctr --runc-binary`):
the path Kubernetes takes (RuntimeClass -> containerd -> containerd-shim-runc-v2 -> us).

A private containerd runs for this module: its own root, state and socket under the
session dir, a namespace of its own, no CRI plugin; it is stopped by its pid at the end
and nothing of it may be left (no task, shim, mount or runtime state dir). The image is
the demo rootfs, imported from an OCI archive written by the test.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pty
import select
import shutil
import struct
import subprocess
import sys
import termios
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.integration.conftest import ROOT_ONLY
from tests.integration.containerd_daemon import private_containerd
from tests.integration.oci_archive import write_archive

REPO = Path(__file__).resolve().parents[2]
MISSING = [tool for tool in ("containerd", "ctr", "containerd-shim-runc-v2")
           if shutil.which(tool) is None]
pytestmark = [ROOT_ONLY, pytest.mark.skipif(
    bool(MISSING), reason=f"{' and '.join(MISSING)} not installed "
                          "(apt-get install -y containerd; .ci/run does)")]

IMAGE = "docker.io/library/bbdemo:latest"
# The shim keeps runc's state in <its root>/<namespace>: /run/containerd/runc/NS.
SHIM_ROOT = Path("/run/containerd/runc")


class Ctr:
    """`ctr` against the private containerd, in the module's namespace, with our runtime."""

    def __init__(self, socket: Path, namespace: str, runtime: Path) -> None:
        self.base = ["ctr", "--address", str(socket), "--namespace", namespace]
        self.namespace = namespace
        self.runtime = runtime
        self.ids: list[str] = []

    def __call__(self, *args: str, check: bool = False, timeout: float = 60
                 ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([*self.base, *args], capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"ctr {args} failed ({result.returncode}): {result.stderr}")
        return result

    def new_id(self) -> str:
        self.ids.append(f"bbc-{uuid.uuid4().hex[:8]}")
        return self.ids[-1]

    def run(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return self("run", "--runc-binary", str(self.runtime), *args, check=check)

    def status(self, container_id: str) -> str:
        for line in self("task", "ls", check=True).stdout.splitlines()[1:]:
            fields = line.split()
            if fields and fields[0] == container_id:
                return fields[-1]
        return "absent"

    def remove(self, container_id: str) -> None:
        self("task", "kill", "-s", "SIGKILL", container_id)
        deadline = time.monotonic() + 10
        while self.status(container_id) not in ("STOPPED", "absent") and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self("task", "rm", "-f", container_id)
        self("container", "rm", container_id)


def _runtime_wrapper(directory: Path) -> Path:
    path = directory / "bundlebench-runtime"
    path.write_text(f"#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m runtime \"$@\"\n")
    path.chmod(0o755)
    return path


def _shims(namespace: str) -> list[int]:
    found = []
    for process in psutil.process_iter(["cmdline"]):
        cmdline = process.info["cmdline"] or []
        if cmdline and "containerd-shim" in cmdline[0] and namespace in cmdline:
            found.append(process.pid)
    return found


@pytest.fixture(scope="module")
def ctr(session_dir: Path, demo_rootfs: Path) -> Iterator[Ctr]:
    work = session_dir / "containerd"
    made_here = [p for p in (Path("/run/containerd"), SHIM_ROOT) if not p.exists()]
    namespace = f"bbtest-{os.getpid()}"
    with private_containerd(work) as socket:
        runner = Ctr(socket, namespace, _runtime_wrapper(work))
        try:
            archive = write_archive(demo_rootfs, work / "demo.tar", IMAGE, ["sh"])
            runner("images", "import", str(archive), check=True, timeout=120)
            yield runner
        finally:
            for line in runner("container", "ls", "-q").stdout.split():
                runner.remove(line)
            runner("images", "rm", IMAGE)
    deadline = time.monotonic() + 10
    while _shims(namespace) and time.monotonic() < deadline:
        time.sleep(0.1)
    state_dir = SHIM_ROOT / namespace
    left = sorted(os.listdir(state_dir)) if state_dir.exists() else []
    if state_dir.exists() and not left:
        state_dir.rmdir()
    for place in made_here:  # containerd's empty dirs under /run, if we made them
        for directory, _, _ in sorted(os.walk(place), reverse=True):
            with contextlib.suppress(OSError):
                os.rmdir(directory)
    assert not _shims(namespace), "a containerd shim outlived the test"
    assert not left, f"runtime state dirs left behind: {left}"
    with open("/proc/self/mountinfo") as handle:
        assert str(work) not in handle.read(), "a containerd mount was left behind"


def test_run_rm_gives_the_output_and_the_exit_code(ctr: Ctr) -> None:
    cid = ctr.new_id()
    result = ctr.run("--rm", IMAGE, cid, "sh", "-c", "echo from-ctr; exit 3")
    assert (result.returncode, result.stdout) == (3, "from-ctr\n"), result.stderr
    assert cid not in ctr("container", "ls", "-q").stdout.split()  # --rm removed it
    assert not (SHIM_ROOT / ctr.namespace / cid).exists()  # and our state dir


def test_the_loopback_is_up_in_the_container_s_network_namespace(ctr: Ctr) -> None:
    cid = ctr.new_id()
    result = ctr.run("--rm", IMAGE, cid, "cat", "/sys/class/net/lo/flags", check=True)
    assert int(result.stdout, 16) & 0x1, f"lo is down: flags {result.stdout.strip()}"


# ctr resizes the console only after the task started (runc shows "0 0" first too, 8 of 10
# times here): the shell waits, at most 5 s, for the size to arrive. busybox's stty prints
# nothing (and exits 0) on an unsized terminal where coreutils prints "0 0": both mean "not yet".
WAIT_FOR_SIZE = ('i=0; until [ $i -ge 100 ] || { s=$(stty size 2>/dev/null); '
                 '[ -n "$s" ] && [ "$s" != "0 0" ]; }; do sleep 0.05; i=$((i+1)); done; ')


def test_run_t_has_the_terminal_s_size_and_exit_code(ctr: Ctr) -> None:
    cid = ctr.new_id()
    pid, fd = pty.fork()
    if pid == 0:  # the child: ctr on a 30x100 terminal, sized before ctr looks
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        os.execvp("ctr", [*ctr.base, "run", "--runc-binary", str(ctr.runtime), "-t",
                          "--rm", IMAGE, cid, "sh", "-c", WAIT_FOR_SIZE + "stty size; exit 5"])
    try:
        output = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # EIO: ctr exited and the pty closed
                break
            if not chunk:
                break
            output += chunk
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    assert b"30 100" in output, output
    assert os.waitstatus_to_exitcode(status) == 5


def test_detached_task_exec_ps_metrics_pause_resume_kill_delete(ctr: Ctr) -> None:
    cid = ctr.new_id()
    ctr.run("-d", IMAGE, cid, "sleep", "300", check=True)
    try:
        assert ctr.status(cid) == "RUNNING"
        pid = int(next(line.split()[1] for line in
                       ctr("task", "ls", check=True).stdout.splitlines()[1:]
                       if line.split()[0] == cid))
        assert psutil.Process(pid).cmdline() == ["sleep", "300"]
        exec_result = ctr("task", "exec", "--exec-id", "e1", cid, "sh", "-c",
                          "echo in-exec; exit 4")
        assert (exec_result.returncode, exec_result.stdout) == (4, "in-exec\n")
        listed = ctr("task", "ps", cid, check=True).stdout
        assert str(pid) in listed.split()
        metrics = ctr("task", "metrics", cid, check=True).stdout
        assert "pids.current" in metrics, metrics
        ctr("task", "pause", cid, check=True)
        assert ctr.status(cid) == "PAUSED"
        state = subprocess.run([str(ctr.runtime), "--root", str(SHIM_ROOT / ctr.namespace),
                                "state", cid], capture_output=True, text=True, check=True)
        assert '"status": "paused"' in state.stdout.replace('":"', '": "')  # ours, too
        ctr("task", "resume", cid, check=True)
        assert ctr.status(cid) == "RUNNING"
        ctr("task", "kill", "-s", "SIGKILL", cid, check=True)
        deadline = time.monotonic() + 10
        while ctr.status(cid) != "STOPPED" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert ctr.status(cid) == "STOPPED"
        ctr("task", "rm", cid, check=True)
        ctr("container", "rm", cid, check=True)
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
        assert not (SHIM_ROOT / ctr.namespace / cid).exists()
    finally:
        if cid in ctr("container", "ls", "-q").stdout.split():
            ctr.remove(cid)
