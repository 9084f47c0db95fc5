"""Issue 8 part 3: podman (with conmon) drives bundlebench-runtime.

podman gets a private --root/--runroot under the session dir, the vfs storage driver,
the cgroupfs manager and no network, so nothing of the host's podman setup is touched.
The image is the demo rootfs (`podman import`). This machine's open-file hard limit is
20000, so every container gets --ulimit nofile=1024:1024 --ulimit nproc=1024:1024.
"""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
import tarfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import ROOT_ONLY

REPO = Path(__file__).resolve().parents[2]
MISSING = [tool for tool in ("podman", "conmon") if shutil.which(tool) is None]
pytestmark = [ROOT_ONLY, pytest.mark.skipif(
    bool(MISSING), reason=f"{' and '.join(MISSING)} not installed "
                          "(apt-get install -y podman; .ci/run does)")]

ULIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
IMAGE = "localhost/bbdemo:latest"

def _runtime_wrapper(directory: Path) -> Path:
    """bundlebench-runtime of the tree under test, as one executable path for podman."""
    path = directory / "bundlebench-runtime"
    path.write_text(f"#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m runtime \"$@\"\n")
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def podman_base(session_dir: Path, demo_rootfs: Path) -> Iterator[list[str]]:
    work = session_dir / "podman"
    work.mkdir(exist_ok=True)
    # podman calls some runtime commands without --root: the seccomp cache they make in
    # the default root is removed afterwards unless it was there before.
    default_cache = Path("/run/bundlebench/.seccomp-cache")
    cache_existed = default_cache.exists()
    runtime = _runtime_wrapper(work)
    base = ["podman", "--root", str(work / "storage"), "--runroot", str(work / "run"),
            "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
            "--events-backend", "file", "--runtime", str(runtime)]
    archive = work / "demo.tar"
    with tarfile.open(archive, "w") as tar:
        tar.add(demo_rootfs, arcname=".")
    subprocess.run([*base, "import", str(archive), IMAGE], check=True, capture_output=True,
                   timeout=120)
    yield base
    subprocess.run([*base, "rm", "-a", "-f", "-t", "0"], capture_output=True, timeout=120)
    subprocess.run([*base, "rmi", "-a", "-f"], capture_output=True, timeout=120)
    if not cache_existed:
        shutil.rmtree(default_cache, ignore_errors=True)


class Podman:
    """Runs podman with the private setup; removes the containers it named."""

    def __init__(self, base: list[str]) -> None:
        self.base = base
        self.names: list[str] = []

    def __call__(self, *args: str, timeout: float = 90, check: bool = False,
                 **kwargs: Any) -> subprocess.CompletedProcess[str]:
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        result = subprocess.run([*self.base, *args], capture_output=True, text=True,
                                timeout=timeout, **kwargs)
        if check and result.returncode != 0:
            raise AssertionError(f"podman {args} failed ({result.returncode}): "
                                 f"{result.stderr}")
        return result

    def new_name(self) -> str:
        self.names.append(f"bbp-{uuid.uuid4().hex[:8]}")
        return self.names[-1]


@pytest.fixture
def podman(podman_base: list[str]) -> Iterator[Podman]:
    runner = Podman(podman_base)
    yield runner
    for name in runner.names:
        runner("rm", "-f", "-t", "0", name)


def test_run_rm_echo_hello(podman: Podman) -> None:
    name = podman.new_name()
    result = podman("run", "--rm", "--name", name, "--network", "none", *ULIMITS, IMAGE,
                    "echo", "hello", check=True)
    assert result.stdout == "hello\n"
    assert podman("container", "exists", name).returncode == 1  # --rm removed it


def test_run_exit_code_and_stdin(podman: Podman) -> None:
    result = podman("run", "--rm", "-i", "--network", "none", *ULIMITS, IMAGE, "sh",
                    stdin=None, input="exit 7\n")
    assert result.returncode == 7, result.stderr


def test_run_t_with_a_shell(podman_base: list[str]) -> None:
    command = [*podman_base, "run", "--rm", "-t", "-i", "--network", "none", *ULIMITS, IMAGE,
               "sh"]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(command[0], command)
    out = b""
    sent = False
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
            if not sent and b"#" in out:
                os.write(fd, b"tty; echo marker-$((6*7)); exit 5\r")
                sent = True
    finally:
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    assert b"/dev/pts/0" in out and b"marker-42" in out, out
    assert os.waitstatus_to_exitcode(status) == 5


def test_detached_exec_pause_unpause_stop_rm(podman: Podman) -> None:
    name = podman.new_name()
    podman("run", "-d", "--name", name, "--network", "none", *ULIMITS, IMAGE, "sleep", "300",
           check=True)
    assert podman("exec", name, "echo", "from-exec", check=True).stdout == "from-exec\n"

    def status() -> str:
        return podman("inspect", "-f", "{{.State.Status}}", name, check=True).stdout.strip()
    assert status() == "running"
    podman("pause", name, check=True)
    assert status() == "paused"
    podman("unpause", name, check=True)
    assert status() == "running"
    top = podman("top", name, check=True).stdout
    assert "sleep 300" in top
    podman("stop", "-t", "1", name, check=True)
    assert status() == "exited"
    podman("rm", name, check=True)
    assert podman("container", "exists", name).returncode == 1


# --- issue 16: what podman users hit -------------------------------------------------------

# (args[0], the code runc gives through podman): 127 not found, 126 cannot be invoked.
NOT_RUNNABLE = [("nosuchcmd", 127), ("/nonexistent", 127), ("/etc/passwd", 126)]


@pytest.mark.parametrize(("program", "code"), NOT_RUNNABLE)
def test_run_of_a_program_that_cannot_run_exits_as_with_runc(podman: Podman, program: str,
                                                             code: int) -> None:
    result = podman("run", "--rm", "--network", "none", *ULIMITS, IMAGE, program)
    assert result.returncode == code, result.stderr


def test_exec_of_a_program_that_cannot_run_exits_as_with_runc(podman: Podman) -> None:
    name = podman.new_name()
    podman("run", "-d", "--name", name, "--network", "none", *ULIMITS, IMAGE, "sleep", "300",
           check=True)
    got = {program: podman("exec", name, program).returncode for program, _ in NOT_RUNNABLE}
    assert got == dict(NOT_RUNNABLE)
    assert podman("exec", name, "true").returncode == 0  # the container is still usable


def test_read_only_with_podmans_tmpcopyup_tmpfs(podman: Podman) -> None:
    """podman --read-only mounts /run, /tmp and /var/tmp as tmpfs with tmpcopyup."""
    result = podman("run", "--rm", "--read-only", "--network", "none", *ULIMITS, IMAGE, "sh",
                    "-c", "echo ok > /tmp/f && cat /tmp/f && stat -f -c %T /tmp && "
                    "! touch /etc/x 2>/dev/null && echo ro", check=True)
    assert result.stdout.split() == ["ok", "tmpfs", "ro"]


@pytest.mark.parametrize("flags", [["--tmpfs", "/scratch:size=1m"],
                                   ["--mount", "type=tmpfs,destination=/scratch,tmpfs-size=1m"]])
def test_tmpfs_flags(podman: Podman, flags: list[str]) -> None:
    result = podman("run", "--rm", *flags, "--network", "none", *ULIMITS, IMAGE, "sh", "-c",
                    "stat -f -c '%T %b %S' /scratch", check=True)
    kind, blocks, size = result.stdout.split()
    assert kind == "tmpfs" and int(blocks) * int(size) == 1 << 20


def test_network_none_has_a_working_loopback(podman: Podman) -> None:
    result = podman("run", "--rm", "--network", "none", *ULIMITS, IMAGE, "sh", "-c",
                    "cat /sys/class/net/lo/flags; grep -c 127.0.0.1 /proc/net/fib_trie; "
                    "ls /sys/class/net", check=True)
    flags, local, *links = result.stdout.split()
    assert int(flags, 16) & 0x1 and int(local) > 0 and links == ["lo"], result.stdout
